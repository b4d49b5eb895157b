from datetime import timedelta
from decimal import Decimal

import django_filters
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.filters import (
    AmountFilter,
    NumberFilter,
    OrderingFilter,
    SearchFilter,
    StyledFilterSet,
    WholeNumberFilter,
)
from core.users import staff_users

from .models import Customer, CustomerValue, Segment

# The sorts read from the value table.
VALUE_SORTS = {"grade", "ltv", "reliability"}
# The largest lifetime value its column holds: the "LTV at least" filter's upper limit.
_LTV = CustomerValue._meta.get_field("ltv")
LTV_MAX = Decimal(f"{'9' * (_LTV.max_digits - _LTV.decimal_places)}.{'9' * _LTV.decimal_places}")


class CustomerOrderingFilter(OrderingFilter):
    """Sorting by value from the value table's indexes (customers.CustomerValue): unscored
    customers (no grade, LTV or reliability) come last in both directions, and within a grade the
    most valuable come first (grade, then LTV descending, then id: one index serves it; the
    reverse order uses value_grade_desc_idx). The value table is joined with an inner join,
    which every customer's value row allows (customers.value_rows): a left join's missing rows
    could not be read in index order."""

    def filter(self, qs, value):
        if not value:
            return qs
        order = []
        for param in value:
            descending = param.startswith("-")
            name = param.lstrip("-")
            if name == "grade":
                grade, ltv = F("value__grade"), F("value__ltv")
                order += (
                    [grade.desc(nulls_last=True), ltv.asc()]
                    if descending
                    else [grade.asc(nulls_last=True), ltv.desc()]
                )
            elif name in ("ltv", "reliability"):
                figure = F("value__ltv" if name == "ltv" else "value__payment_reliability")
                order.append(
                    figure.desc(nulls_last=True) if descending else figure.asc(nulls_last=True)
                )
            else:
                order.append(self.get_ordering_value(param))
        if any(param.lstrip("-") in VALUE_SORTS for param in value):
            qs = qs.filter(value__isnull=False)  # an inner join
        return qs.order_by(*order)


class CustomerFilter(StyledFilterSet):
    q = SearchFilter(label=_("Search"), method="filter_search")
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[c for c in Customer.Status.choices if c[0] != Customer.Status.MERGED],
    )
    segment = django_filters.ModelChoiceFilter(
        label=_("Segment"), field_name="segments", queryset=Segment.objects.all()
    )
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=staff_users())
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Customer.Source.choices)
    relationship_kind = django_filters.ChoiceFilter(
        label=_("Relationship kind"),
        choices=[("lasting", _("Lasting relationship")), ("casual", _("Casual contact"))],
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Customer.Kind.choices)
    grade = django_filters.ChoiceFilter(
        label=_("Grade"),
        choices=[*Customer.Grade.choices, ("none", _("Not graded"))],
        method="filter_grade",
    )
    ltv_min = AmountFilter(
        label=_("LTV at least"),
        field_name="value__ltv",
        lookup_expr="gte",
        min_value=0,
        max_value=LTV_MAX,
    )
    reliability_min = NumberFilter(
        label=_("Reliability at least"),
        field_name="value__payment_reliability",
        lookup_expr="gte",
        min_value=0,
        max_value=100,
    )
    uncontacted_days = WholeNumberFilter(
        label=_("No contact for (days)"),
        method="filter_uncontacted_days",
        min_value=1,
        max_value=3650,
    )
    ordering = CustomerOrderingFilter(
        label=_("Sort by"),
        fields=(
            ("display_name", "name"),
            ("value__grade", "grade"),
            ("value__ltv", "ltv"),
            ("value__payment_reliability", "reliability"),
            ("last_contact_at", "last_contact"),
            ("first_contact_on", "first_contact"),
            ("status", "status"),
            ("city", "city"),
        ),
        field_labels={
            "name": _("Name"),
            "grade": _("Grade, then lifetime value"),
            "ltv": _("Lifetime value"),
            "reliability": _("Payment reliability"),
            "last_contact": _("Last contact"),
            "first_contact": _("First contact"),
            "status": _("Status"),
            "city": _("City"),
        },
    )

    class Meta:
        model = Customer
        fields = []

    def filter_grade(self, queryset, name, value):
        if value == "none":
            return queryset.filter(value__grade__isnull=True)
        return queryset.filter(value__grade=value)

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_uncontacted_days(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.not_contacted_since(timezone.now() - timedelta(days=value))
