import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.filters import OrderingFilter, SearchFilter, StyledFilterSet
from core.forms import DateInput
from core.users import staff_users

from .models import ProcessDefinition, ProcessInstance, SlaPolicy, Stage, Task

STATE_CHOICES = [
    ("open", _("Open")),
    ("closed", _("Closed")),
    *Stage.Outcome.choices,
]


class InstanceFilter(StyledFilterSet):
    q = SearchFilter(label=_("Title or customer"), method="filter_search")
    definition = django_filters.ModelChoiceFilter(
        label=_("Process"), queryset=ProcessDefinition.objects.all()
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), field_name="definition__kind", choices=ProcessDefinition.Kind.choices
    )
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=STATE_CHOICES, method="filter_state", empty_label=_("Any")
    )
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=staff_users())
    late = django_filters.BooleanFilter(
        label=_("Past stage SLA"), method="filter_late", widget=forms.CheckboxInput
    )
    stalled = django_filters.BooleanFilter(
        label=_("No recent activity"), method="filter_stalled", widget=forms.CheckboxInput
    )
    stage = django_filters.ModelChoiceFilter(
        label=_("Stage"),
        queryset=Stage.objects.select_related("definition"),
        widget=forms.HiddenInput,
    )
    close_after = django_filters.DateFilter(
        label=_("Expected close from"),
        field_name="expected_close_on",
        lookup_expr="gte",
        validators=[bounds.WindowValidator("business")],
        widget=DateInput(),
    )
    close_before = django_filters.DateFilter(
        label=_("Expected close until"),
        field_name="expected_close_on",
        lookup_expr="lte",
        validators=[bounds.WindowValidator("business")],
        widget=DateInput(),
    )
    ordering = OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("opened_at", "opened"),
            ("last_activity_at", "activity"),
            ("expected_close_on", "close"),
            ("amount", "amount"),
            ("stage_due_at", "due"),
        ),
        field_labels={
            "opened": _("Opened"),
            "activity": _("Last activity"),
            "close": _("Expected close"),
            "amount": _("Amount"),
            "due": _("Stage due"),
        },
    )

    class Meta:
        model = ProcessInstance
        fields = []

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value) | Q(customer__display_name__icontains=value)
        )

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.filter(closed_at__isnull=True)
        if value == "closed":
            return queryset.filter(closed_at__isnull=False)
        return queryset.filter(outcome=value) if value else queryset

    def filter_late(self, queryset, name, value):
        return queryset.past_stage_sla(now=timezone.now()) if value else queryset

    def filter_stalled(self, queryset, name, value):
        return queryset.stalled(now=timezone.now()) if value else queryset


class TicketOrderingFilter(OrderingFilter):
    """The list's sort orders, and `sla`: the service queue's, by the stored next deadline
    not yet met, so breaches come first (ProcessInstanceQuerySet.by_sla_deadline)."""

    def filter(self, qs, value):
        if value and value[0] == "sla":
            return qs.by_sla_deadline(now=timezone.now())
        return super().filter(qs, [v for v in value or [] if v.lstrip("-") != "sla"])


class TicketFilter(InstanceFilter):
    priority = django_filters.ChoiceFilter(
        label=_("Priority"), field_name="ticket__priority", choices=SlaPolicy.Priority.choices
    )
    breached = django_filters.BooleanFilter(
        label=_("SLA breached"), method="filter_breached", widget=forms.CheckboxInput
    )
    ordering = TicketOrderingFilter(
        label=_("Sort by"),
        fields=(
            ("opened_at", "opened"),
            ("last_activity_at", "activity"),
            ("expected_close_on", "close"),
            ("amount", "amount"),
            ("stage_due_at", "due"),
            ("sla_due_at", "sla"),
        ),
        field_labels={
            "opened": _("Opened"),
            "activity": _("Last activity"),
            "close": _("Expected close"),
            "amount": _("Amount"),
            "due": _("Stage due"),
            "sla": _("SLA deadline, breaches first"),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.filters["kind"]
        self.form.fields.pop("kind", None)
        self.filters["definition"].queryset = ProcessDefinition.objects.filter(
            kind=ProcessDefinition.Kind.SUPPORT
        )
        self.form.fields["definition"].queryset = self.filters["definition"].queryset

    def filter_breached(self, queryset, name, value):
        return queryset.sla_breached(now=timezone.now()) if value else queryset


class TaskFilter(StyledFilterSet):
    state = django_filters.ChoiceFilter(
        label=_("Show"),
        choices=[
            ("open", _("To do")),
            ("due", _("Due today or overdue")),
            ("overdue", _("Overdue")),
            ("done", _("Done")),
        ],
        method="filter_state",
        empty_label=_("All"),
    )

    class Meta:
        model = Task
        fields = []

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.filter(done_at__isnull=True)
        if value == "due":
            return queryset.filter(done_at__isnull=True, due_on__lte=timezone.localdate())
        if value == "overdue":
            return queryset.filter(done_at__isnull=True, due_on__lt=timezone.localdate())
        if value == "done":
            return queryset.filter(done_at__isnull=False).order_by("-done_at")
        return queryset
