from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.money import currency_symbol, format_money

from ..process_kpis import Metric

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


# --- The process KPI dashboard's tables -----------------------------------------------------
# A kind's table is a few rows of one cell per process definition, each cell a number linked to
# its drill-down, often with a badge and a target: rendered by the template language, its tags,
# filters and blocktranslates took a third of the page's time. Here each cell is one format_html
# call and each row one more, with the same markup.

_MISSING = format_html('<span class="text-muted">{}</span>', "—")


def _sla_detail(kpis):
    if not kpis.sla_total:
        return ""
    parts = [_("%(met)s of %(total)s deadlines") % {"met": kpis.sla_met, "total": kpis.sla_total}]
    if kpis.response_total:
        parts.append(
            _("responses %(met)s/%(total)s")
            % {"met": kpis.response_met, "total": kpis.response_total}
        )
    if kpis.resolution_total:
        parts.append(
            _("resolutions %(met)s/%(total)s")
            % {"met": kpis.resolution_met, "total": kpis.resolution_total}
        )
    return format_html('<div class="small text-muted">{}</div>', " · ".join(parts))


def _other_currencies_won(kpis):
    return format_html_join(
        "",
        '<div><a href="{}">{}</a></div>',
        (
            (kpis.links["won"], format_money(amount, code))
            for code, amount in kpis.won.items()
            if code != kpis.definition.currency
        ),
    )


def _value_per_cost(kpis):
    if not kpis.value_per_cost:
        return _MISSING
    cost = currency_symbol(kpis.definition.currency)
    return format_html_join(
        "",
        '<div><a href="{}">{}</a></div>',
        (
            (
                kpis.links["won"],
                _("%(ratio)s %(code)s per 1 %(cost)s")
                % {"ratio": floatformat(ratio, 2), "code": currency_symbol(code), "cost": cost},
            )
            for code, ratio in kpis.value_per_cost
        ),
    )


def _cycle_percentiles(kpis):
    if kpis.cycle_median_days is None:
        return _MISSING
    return format_html(
        '<a href="{}">{} / {}</a>',
        kpis.links["cycle"],
        floatformat(kpis.cycle_median_days, 1),
        floatformat(kpis.cycle_p90_days, 1),
    )


def _kpi_table_rows(kind):
    """[(row label, data-kpi name, cell content of one DefinitionKpis)] of a kind's table."""
    return [
        (
            _("Started"),
            "started",
            lambda k: format_html('<a href="{}">{}</a>', k.links["started"], k.started),
        ),
        (
            _("Closed"),
            "closed",
            lambda k: format_html('<a href="{}">{}</a>', k.links["closed"], k.closed),
        ),
        (
            _("Resolution rate (resolved ÷ closed)")
            if kind == "support"
            else _("Win rate (won ÷ closed)"),
            "conversion",
            lambda k: kpi_cell(k.conversion_measure, k.links["succeeded"], 1, "%"),
        ),
        (_("Cycle time, median / p90 (days)"), "cycle-percentiles", _cycle_percentiles),
        (
            _("Cycle time, average (days)"),
            "cycle-average",
            lambda k: kpi_cell(k.measures.get(Metric.AVG_CYCLE_DAYS), k.links["cycle"], 1, ""),
        ),
        (
            _("SLA met"),
            "sla",
            lambda k: format_html(
                "{}{}",
                kpi_cell(k.measures.get(Metric.SLA_MET_RATE), k.links["sla_missed"], 1, "%"),
                _sla_detail(k),
            ),
        ),
        (
            _("Average cost per closed instance"),
            "cost",
            lambda k: kpi_cell(
                k.measures.get(Metric.AVG_COST), k.links["cost"], "2g", k.cost_suffix
            ),
        ),
        (
            _("Amount recovered") if kind == "collections" else _("Amount won"),
            "amount",
            lambda k: format_html(
                "{}{}",
                kpi_cell(
                    k.measures.get(Metric.AMOUNT_RECOVERED), k.links["won"], "2g", k.cost_suffix
                ),
                _other_currencies_won(k),
            ),
        ),
        (_("Value won per unit of cost"), "value-per-cost", _value_per_cost),
    ]


@register.simple_tag
def kpi_table_body(rows):
    """The body of one kind's KPI table: a row per KPI, a cell per DefinitionKpis of `rows`
    (all of one kind, each with its drill-down `links`)."""
    if not rows:
        return ""
    return format_html_join(
        "",
        '<tr><th scope="row">{}</th>{}</tr>',
        (
            (
                label,
                format_html_join("", '<td data-kpi="{}">{}</td>', ((name, cell(k)) for k in rows)),
            )
            for label, name, cell in _kpi_table_rows(rows[0].definition.kind)
        ),
    )


@register.simple_tag
def stage_table_body(kpis):
    """The body of one definition's time-in-stage table: a row per StageKpis (each with its
    drill-down `link`)."""
    return format_html_join(
        "",
        '<tr><td>{}{}</td><td class="text-end">{}</td><td class="text-end">{}</td>'
        '<td class="text-end">{}</td></tr>',
        (
            (
                stage.stage.name,
                format_html(
                    ' <span class="small text-muted">({})</span>',
                    ngettext("SLA %(hours)s hour", "SLA %(hours)s hours", stage.stage.sla_hours)
                    % {"hours": stage.stage.sla_hours},
                )
                if stage.stage.sla_hours
                else "",
                format_html('<a href="{}">{}</a>', stage.link, stage.stays) if stage.stays else 0,
                "—"
                if stage.median_days is None
                else format_html(
                    "{} / {}", floatformat(stage.median_days, 1), floatformat(stage.p90_days, 1)
                ),
                "—"
                if stage.sla_rate is None
                else format_html("{}%", floatformat(stage.sla_rate, 0)),
            )
            for stage in kpis.stages
        ),
    )
