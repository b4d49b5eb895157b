import django_filters
from django.utils.translation import gettext_lazy as _

from .forms import staff_users
from .models import Customer, Segment


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Customer.Status.choices)
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
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("display_name", "name"),
            ("last_contact_at", "last_contact"),
            ("first_contact_on", "first_contact"),
            ("status", "status"),
            ("city", "city"),
        ),
        field_labels={
            "name": _("Name"),
            "last_contact": _("Last contact"),
            "first_contact": _("First contact"),
            "status": _("Status"),
            "city": _("City"),
        },
    )

    class Meta:
        model = Customer
        fields = []

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    @property
    def qs(self):
        qs = super().qs
        # A stable tie-breaker, in the direction of the sort so one index serves both columns,
        # so pages never repeat or skip rows.
        order = list(qs.query.order_by) or ["display_name"]
        return qs.order_by(*order, "-id" if str(order[0]).startswith("-") else "id")
