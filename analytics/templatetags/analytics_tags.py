from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.money import format_money

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
    """{currency: amount} as “1,200.00 PLN · 300.00 EUR” (“1 200,00 zł · 300,00 €” in
    Polish), one line per currency; never summed."""
    if not by_currency:
        return "—"
    # The separator is escaped unless marked safe: a plain "<br>" printed as text.
    return format_html_join(
        mark_safe("<br>"),
        '<span class="text-nowrap">{}</span>',
        ((format_money(amount, currency),) for currency, amount in by_currency.items()),
    )


_RAG_BADGES = {
    "green": ("text-bg-success", "bi-check-circle", gettext_lazy("on target")),
    "amber": ("text-bg-warning", "bi-exclamation-circle", gettext_lazy("within 10%")),
    "red": ("text-bg-danger", "bi-x-circle", gettext_lazy("off target")),
}


@register.simple_tag
def rag_badge(status):
    """The green / amber / red badge of a KPI against its target; nothing without a target."""
    if status not in _RAG_BADGES:
        return ""
    css, icon, label = _RAG_BADGES[status]
    return format_html(
        '<span class="badge {}" data-rag="{}"><i aria-hidden="true" class="bi {}"></i> {}</span>',
        css,
        status,
        icon,
        label,
    )


@register.simple_tag
def kpi_cell(measure, link, places, suffix=""):
    """One KPI of one definition on the dashboard: its value linked to the instances behind it,
    its badge and its target. A tag, not an included template: the dashboard shows dozens."""
    value = getattr(measure, "value", None)
    if value is None:
        shown = format_html('<span class="text-muted">{}</span>', "—")
    else:
        shown = format_html('<a href="{}">{}{}</a>', link, floatformat(value, places), suffix)
    target = getattr(measure, "target", None)
    if target is None:
        return format_html("{} {}", shown, rag_badge(getattr(measure, "status", None)))
    return format_html(
        '{} {}<div class="small text-muted">{}{}</div>',
        shown,
        rag_badge(measure.status),
        _("target %(target)s") % {"target": floatformat(target, places)},
        suffix,
    )
