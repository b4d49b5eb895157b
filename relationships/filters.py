from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.filters import OrderingFilter, SearchFilter, StyledFilterSet, WholeNumberFilter
from core.forms import DateInput
from customers.models import Customer

from .models import Contract, Invoice, Payment


def _customers_seen(filterset):
    """The `customer` parameter accepts only a customer the user sees (core.visibility)."""
    if filterset.request is not None:
        seen = Customer.objects.visible_to(filterset.request.user)
        filterset.filters["customer"].queryset = seen
        filterset.form.fields["customer"].queryset = seen


class InvoiceFilter(StyledFilterSet):
    q = SearchFilter(label=_("Number or customer"), method="filter_search")
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Invoice.Status.choices, method="filter_status"
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )
    due_after = django_filters.DateFilter(
        label=_("Due from"),
        field_name="due_date",
        lookup_expr="gte",
        validators=[bounds.WindowValidator("business")],
        widget=DateInput(),
    )
    due_before = django_filters.DateFilter(
        label=_("Due until"),
        field_name="due_date",
        lookup_expr="lte",
        validators=[bounds.WindowValidator("business")],
        widget=DateInput(),
    )
    currency = django_filters.CharFilter(label=_("Currency"), method="filter_currency")
    payment_recorded_on = django_filters.DateFilter(
        label=_("Payment recorded on"),
        method="filter_payment_recorded_on",
        validators=[bounds.WindowValidator("recorded")],
        widget=DateInput(),
    )
    customer = django_filters.ModelChoiceFilter(
        queryset=Customer.objects.all(), widget=forms.HiddenInput
    )
    ordering = OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("due_date", "due"),
            ("issue_date", "issued"),
            ("amount", "amount"),
            ("number", "number"),
        ),
        field_labels={
            "due": _("Due date"),
            "issued": _("Issue date"),
            "amount": _("Amount"),
            "number": _("Number"),
        },
    )

    class Meta:
        model = Invoice
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _customers_seen(self)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__istartswith=value) | Q(customer__display_name__icontains=value)
        )

    def filter_status(self, queryset, name, value):
        return queryset.with_status(value) if value else queryset

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset

    def filter_currency(self, queryset, name, value):
        value = value.strip().upper()
        return queryset.filter(currency=value) if value else queryset

    def filter_payment_recorded_on(self, queryset, name, value):
        if value is None:
            return queryset
        start = timezone.make_aware(datetime.combine(value, time.min))
        recorded = Payment.objects.filter(
            invoice=OuterRef("pk"), created_at__gte=start, created_at__lt=start + timedelta(days=1)
        )
        return queryset.filter(Exists(recorded))


class ContractFilter(StyledFilterSet):
    q = SearchFilter(label=_("Number, title or customer"), method="filter_search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Contract.Status.choices)
    billing_period = django_filters.ChoiceFilter(
        label=_("Billing"), choices=Contract.BillingPeriod.choices
    )
    ending_within = WholeNumberFilter(
        label=_("Ending within (days)"),
        method="filter_ending_within",
        min_value=0,
        max_value=3650,
    )
    customer = django_filters.ModelChoiceFilter(
        queryset=Customer.objects.all(), widget=forms.HiddenInput
    )

    class Meta:
        model = Contract
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _customers_seen(self)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__istartswith=value)
            | Q(title__icontains=value)
            | Q(customer__display_name__icontains=value)
        )

    def filter_ending_within(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.ending_within(value, today=timezone.localdate()).order_by("end_date")
