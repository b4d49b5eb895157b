from django import template
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

register = template.Library()

_GRADE_CLASSES = {
    "A": "text-bg-success",
    "B": "text-bg-primary",
    "C": "text-bg-warning",
    "D": "text-bg-danger",
}


def _grade(grade):
    if grade in _GRADE_CLASSES:
        return format_html(
            '<span class="badge {} grade-badge">{}</span>', _GRADE_CLASSES[grade], grade
        )
    return format_html(
        '<span class="badge text-bg-light border grade-badge" title="{}">—</span>', _("Not graded")
    )


@register.simple_tag
def grade_change(previous, new):
    """“B → A” as grade badges (the movers table)."""
    return format_html("{} → {}", _grade(previous), _grade(new))


@register.simple_tag
def amounts(by_currency):
    """{currency: amount} as “1,200.00 PLN · 300.00 EUR”, one line per currency; never summed."""
    if not by_currency:
        return "—"
    return format_html_join(
        "<br>",
        '<span class="text-nowrap">{} {}</span>',
        (
            (formats.number_format(amount, 2, force_grouping=True), currency)
            for currency, amount in by_currency.items()
        ),
    )
