"""The audit list's filters: who, what kind of record, which record, which action, when."""

import datetime

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .. import bounds
from ..filters import StyledFilterSet, WholeNumberFilter
from ..models import AuditEvent
from .registry import audited

MAX_RECORD_ID = 2**63 - 1


def _kinds():
    return sorted(
        ((entry.label, capfirst(entry.model._meta.verbose_name)) for entry in audited()),
        key=lambda choice: str(choice[1]),
    )


class AuditEventFilter(StyledFilterSet):
    user = django_filters.ModelChoiceFilter(
        label=_("User"), queryset=get_user_model().objects.order_by("username")
    )
    action = django_filters.ChoiceFilter(label=_("Action"), choices=AuditEvent.Action.choices)
    model = django_filters.ChoiceFilter(label=_("Kind of record"), choices=_kinds)
    object_id = WholeNumberFilter(label=_("Record id"), min_value=1, max_value=MAX_RECORD_ID)
    since = django_filters.DateFilter(
        label=_("From"),
        method="filter_since",
        validators=[bounds.WindowValidator("past")],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        label=_("Until"),
        method="filter_until",
        validators=[bounds.WindowValidator("past")],
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEvent
        fields = ["user", "action", "model", "object_id"]

    # Whole days in the user's time zone, as a range on `at`, so the indexes serve it.
    def filter_since(self, queryset, name, value):
        return queryset.filter(at__gte=_start_of(value))

    def filter_until(self, queryset, name, value):
        return queryset.filter(at__lt=_start_of(value + datetime.timedelta(days=1)))


def _start_of(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
