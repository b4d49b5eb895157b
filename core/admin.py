"""Admin pieces every app's admin shares, the outbox's own admin, teams, and the user admin
with each user's teams."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import IntegrityError
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from . import audit, outbox
from .integrity import rule_error, violated_rule
from .models import AuditEvent, ExportJob, OutboxMessage, SavedView, Team, UserProfile


class AuditHistoryAdminMixin:
    """The admin's "History" of an audited record is its audit: every change, by whom, bulk
    writes included, in the readable audit list."""

    def history_view(self, request, object_id, extra_context=None):
        if not audit.is_audited(self.model):
            return super().history_view(request, object_id, extra_context)
        query = urlencode({"model": self.model._meta.label_lower, "object_id": object_id})
        return HttpResponseRedirect(f"{reverse('audit_list')}?{query}")


class UniqueRaceAdminMixin:
    """Two admins saving the same unique value at once: the loser sees the usual form error.

    The admin's form checks unique rules before saving, but another save can commit in between
    and the database refuses the second one. `changeform_view` runs in a transaction, so the
    refused save (the object, its inlines and its log entry) is rolled back whole; the form is
    then simply posted again, and this time its validation sees the winner's row and puts the
    error beside the field. Should the database refuse it again (a rule the form does not
    check), the error is shown as a message on the unchanged object instead of a 500.
    """

    def _race_models(self):
        return [self.model, *(inline.model for inline in self.inlines)]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError as error:
            if request.method != "POST" or violated_rule(error, *self._race_models()) is None:
                raise
        # The winner's row is committed now: this time the form's own validation sees it.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError as error:
            rule = violated_rule(error, *self._race_models())
            if rule is None:
                raise
            for message in rule_error(rule.model(), rule).messages:
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class SentFilter(admin.SimpleListFilter):
    title = _("sent")
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [("no", _("Not yet")), ("yes", _("Yes"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(sent_at__isnull=False)
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """What background work waits for the broker, and why; written by the app only."""

    list_display = ["id", "task", "created_at", "available_at", "attempts", "sent_at", "last_error"]
    list_filter = [SentFilter, "task"]
    search_fields = ["task", "dedupe_key"]
    ordering = ["-id"]
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]
    actions = ["publish_now"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Publish the selected unsent messages now"))
    def publish_now(self, request, queryset):
        sent = sum(outbox.publish(message) for message in queryset.pending())
        self.message_user(request, _("%(sent)s published.") % {"sent": sent})


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    """A staff member's language (empty: the browser's), which their pages and e-mails use."""

    list_display = ["user", "language"]
    list_filter = ["language"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]


@admin.register(SavedView)
class SavedViewAdmin(UniqueRaceAdminMixin, admin.ModelAdmin):
    """The lists' saved filters (core.lists); their owners keep them on the lists' pages."""

    list_display = ["name", "list_key", "owner", "team", "created_at"]
    list_filter = ["list_key"]
    search_fields = ["name", "owner__username"]
    list_select_related = ["owner", "team"]
    raw_id_fields = ["owner"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """Teams decide whose customers staff see with CRM_VISIBILITY = "team" and, in both modes,
    who may change a customer besides its owner and managers (core.visibility)."""

    list_display = ["name", "member_count"]
    search_fields = ["name", "members__username"]
    filter_horizontal = ["members"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj):
        return obj.member_count


class TeamMembershipInline(admin.TabularInline):
    """A user's teams on the user's admin page; a user may be in several."""

    model = Team.members.through
    extra = 1
    autocomplete_fields = ["team"]
    verbose_name = _("team")
    verbose_name_plural = _("teams")


class CrmUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, TeamMembershipInline]
    list_filter = [*UserAdmin.list_filter, "crm_teams"]


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, CrmUserAdmin)


class ReadOnlyAdminMixin:
    """Records the app writes and nobody edits by hand: listed and opened, never added, changed
    or deleted in the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit, read-only: rows are written by the database triggers and the app, never by
    hand (the readable view is /audit/)."""

    list_display = ["at", "action", "model", "object_id", "user", "username", "source"]
    list_filter = ["action", "model"]
    list_select_related = ["user"]
    search_fields = ["username", "source"]
    ordering = ["-at", "-id"]
    readonly_fields = [field.name for field in AuditEvent._meta.fields]
    show_full_result_count = False


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Background exports, read-only: the worker writes them, their owner downloads the file
    from My exports (the admin links no file: it is the owner's alone), the hourly job deletes
    them (core.export_jobs)."""

    list_display = ["created_at", "user", "list_key", "format", "status", "rows", "finished_at"]
    list_filter = ["status", "format", "list_key"]
    list_select_related = ["user"]
    ordering = ["-created_at", "-id"]
    fields = [
        "user",
        "list_key",
        "format",
        "query",
        "status",
        "rows",
        "error",
        "created_at",
        "started_at",
        "finished_at",
    ]
    readonly_fields = fields
    show_full_result_count = False
