import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import staff_users
from .models import Customer, Segment


class StyledFilterSet(django_filters.FilterSet):
    """A FilterSet with Bootstrap's small controls and a stable order, for every app's lists."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            if isinstance(field.widget, forms.HiddenInput):
                continue
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input d-block mt-2"
                continue
            is_select = hasattr(field.widget, "choices")
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if is_select else "form-control form-control-sm"
            )

    @property
    def qs(self):
        qs = super().qs
        # A stable tie-breaker, in the direction of the sort so one index serves both columns,
        # so pages never repeat or skip rows.
        order = list(qs.query.order_by or qs.model._meta.ordering)
        return qs.order_by(*order, "-id" if str(order[0]).startswith("-") else "id")


class CustomerFilter(StyledFilterSet):
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
