from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from core.admin import AuditHistoryAdminMixin, UniqueRaceAdminMixin

from .models import (
    MAX_STAGES,
    Approval,
    CollectionCase,
    DecisionRule,
    KpiTarget,
    Notification,
    ProcessDefinition,
    ProcessInstance,
    RetentionCampaign,
    SlaPolicy,
    Stage,
    StageTransition,
    Task,
    Ticket,
    WorkLog,
)
from .services import definition_record_revision, ticket_store_sla_due


class StageInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE", False)
        ]
        if len(kept) > MAX_STAGES:
            raise ValidationError(
                _("A definition has at most %(max)s stages.") % {"max": MAX_STAGES}
            )
        if kept and not any(not form.cleaned_data.get("outcome") for form in kept):
            raise ValidationError(
                _("A definition needs at least one working (non-terminal) stage.")
            )


class StageInline(admin.TabularInline):
    model = Stage
    formset = StageInlineFormSet
    extra = 0
    max_num = MAX_STAGES
    fields = ["position", "name", "code", "sla_hours", "win_probability", "outcome", "fixed_cost"]
    ordering = ["position"]


class SlaPolicyInline(admin.TabularInline):
    model = SlaPolicy
    extra = 0
    max_num = len(SlaPolicy.Priority)


class KpiTargetInline(admin.TabularInline):
    model = KpiTarget
    extra = 0


class GoesWithItsProcessAdminMixin:
    """A ticket or a collection case is deleted with its process (Process instances), never
    alone: its process would stay behind without it and break the ticket or collections list
    for everyone. The delete permission stays, so deleting the process can take it along."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied

    def render_change_form(self, request, context, *args, **kwargs):
        context["show_delete"] = False  # the admin's submit row reads it
        return super().render_change_form(request, context, *args, **kwargs)


@admin.register(ProcessDefinition)
class ProcessDefinitionAdmin(UniqueRaceAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "active", "hourly_rate", "currency", "stall_days"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "goal"]
    inlines = [StageInline, SlaPolicyInline, KpiTargetInline]
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        # Definitions with history are deactivated, not deleted (instances protect them anyway).
        return request.user.is_superuser

    def save_related(self, request, form, formsets, change):
        """Record what an admin save changed as the definition's next revision, as the app's
        editor does. The admin does not apply the editor's refusals beyond its own (a stage in
        use cannot be deleted: PROTECT), so managers edit definitions in the app
        (processes:definition_edit)."""
        super().save_related(request, form, formsets, change)
        definition_record_revision(
            definition=form.instance, by=request.user, comment=_("Saved in the admin.")
        )


class TransitionInline(admin.TabularInline):
    model = StageTransition
    extra = 0
    fields = ["at", "from_stage", "to_stage", "by", "note"]
    readonly_fields = fields
    can_delete = False
    ordering = ["-at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ProcessInstance)
class ProcessInstanceAdmin(UniqueRaceAdminMixin, AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = [
        "shown_title",
        "customer",
        "definition",
        "stage",
        "owner",
        "amount",
        "currency",
        "outcome",
        "opened_at",
        "closed_at",
        "last_activity_at",
    ]
    list_filter = ["definition__kind", "definition", "outcome"]
    search_fields = ["title", "customer__display_name"]
    list_select_related = ["customer", "definition", "stage", "owner"]
    raw_id_fields = ["customer", "owner", "opened_by", "campaign"]

    @admin.display(description=_("title"), ordering="title")
    def shown_title(self, obj):
        return obj.display_title

    # Stages move through the app, which logs every move and accrues the cost.
    readonly_fields = [
        "definition",
        "stage",
        "outcome",
        "outcome_reason",
        "accrued_cost",
        "closed_at",
        "stage_entered_at",
        "stage_due_at",
        "sla_due_at",
    ]
    inlines = [TransitionInline]
    date_hierarchy = "opened_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # Opened in the app (first stage, transition log, tickets' SLA deadlines).


@admin.register(StageTransition)
class StageTransitionAdmin(admin.ModelAdmin):
    list_display = ["at", "instance", "from_stage", "to_stage", "by"]
    list_filter = ["to_stage__definition"]
    search_fields = ["instance__title", "instance__customer__display_name"]
    list_select_related = ["instance", "from_stage", "to_stage", "by"]
    raw_id_fields = ["instance", "by"]
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # The log is history.


@admin.register(WorkLog)
class WorkLogAdmin(admin.ModelAdmin):
    list_display = ["logged_at", "instance", "user", "minutes", "cost"]
    search_fields = ["instance__title", "note"]
    list_select_related = ["instance", "user"]
    raw_id_fields = ["instance", "user"]
    readonly_fields = ["cost"]
    date_hierarchy = "logged_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # Logged in the app, which accrues the cost on the instance.


@admin.register(Ticket)
class TicketAdmin(GoesWithItsProcessAdminMixin, admin.ModelAdmin):
    list_display = [
        "instance",
        "priority",
        "response_due_at",
        "first_response_at",
        "resolution_due_at",
        "resolved_at",
    ]
    list_filter = ["priority", "instance__definition"]
    search_fields = ["instance__title", "instance__customer__display_name", "description"]
    list_select_related = ["instance"]
    raw_id_fields = ["instance", "contact_person", "asset", "first_response_by"]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A deadline or a response changed here moves the ticket in the service queue.
        ticket_store_sla_due(ticket=obj)


@admin.register(CollectionCase)
class CollectionCaseAdmin(GoesWithItsProcessAdminMixin, UniqueRaceAdminMixin, admin.ModelAdmin):
    list_display = ["instance", "invoice", "balance_at_open", "reminders_sent"]
    search_fields = ["invoice__number", "instance__customer__display_name"]
    list_select_related = ["instance", "invoice"]
    raw_id_fields = ["instance", "invoice"]
    readonly_fields = ["balance_at_open", "reminders_sent"]
    show_full_result_count = False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "customer", "instance", "assignee", "due_on", "done_at"]
    list_filter = ["due_on", "done_at"]
    search_fields = ["title", "customer__display_name"]
    list_select_related = ["customer", "instance", "assignee"]
    raw_id_fields = ["customer", "instance", "assignee", "created_by"]
    date_hierarchy = "due_on"
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "recipient",
        "kind",
        "instance",
        "shown_text",
        "read_at",
        "emailed",
    ]
    list_filter = ["kind", "emailed"]
    search_fields = ["message", "recipient__username"]
    list_select_related = ["recipient", "instance"]
    raw_id_fields = ["recipient", "instance"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    # The text in the admin's language; `message` is the text as it was sent.
    @admin.display(description=_("message"))
    def shown_text(self, obj):
        return obj.text


@admin.register(Approval)
class ApprovalAdmin(UniqueRaceAdminMixin, AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = ["requested_at", "action", "instance", "value", "requested_by", "decision"]
    list_filter = ["action", "decision"]
    search_fields = ["instance__title", "reason", "comment"]
    list_select_related = ["instance", "requested_by"]
    raw_id_fields = ["instance", "requested_by", "decided_by"]
    # Decisions carry out the action they gate, so they are made in the app.
    readonly_fields = ["decision", "decided_by", "decided_at", "comment", "reason_shown"]

    @admin.display(description=_("why, in your language"))
    def reason_shown(self, obj):
        return obj.reason_text

    show_full_result_count = False


@admin.register(DecisionRule)
class DecisionRuleAdmin(UniqueRaceAdminMixin, AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "definition",
        "active",
        "min_grade",
        "min_ltv",
        "max_cost_to_value_percent",
        "min_amount",
        "on_break",
        "created_by",
        "updated_at",
    ]
    list_filter = ["active", "on_break", "definition__kind", "definition"]
    search_fields = ["name", "definition__name"]
    list_select_related = ["definition", "created_by"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(RetentionCampaign)
class RetentionCampaignAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "definition",
        "segment",
        "started_by",
        "started_at",
        "skipped_by_rules",
    ]
    list_filter = ["definition", "segment"]
    search_fields = ["name"]
    list_select_related = ["definition", "segment", "started_by"]
    raw_id_fields = ["started_by"]
    show_full_result_count = False


admin.site.register(KpiTarget)
