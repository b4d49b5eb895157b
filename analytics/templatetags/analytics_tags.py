from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.money import currency_symbol, format_money

from ..process_kpis import Metric, conversion_metric

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


# --- The process KPI dashboard's tables -----------------------------------------------------
# A kind's table is nine rows of one cell per process definition, each a figure linked to its
# drill-down, most with a badge and a target. Rendered by the template language (a tag, filters
# and blocktranslates per cell) it took as long as the rest of the page; here each row is one
# format_html call, each cell one more (two with a detail line), the labels are translated and
# the badges rendered once per table, and the markup is the same.


def _figure(value, places, suffix, link, target, badge):
    """A figure linked to its drill-down, its badge and its target; a dash without a value."""
    if value is None:
        shown = format_html('<span class="text-muted">{}</span>', "—")
        if target is None:
            return format_html("{} {}", shown, badge)
        return format_html(
            '{} {}<div class="small text-muted">{}{}</div>',
            shown,
            badge,
            _("target %(target)s") % {"target": floatformat(target, places)},
            suffix,
        )
    if target is None:
        return format_html(
            '<a href="{}">{}{}</a> {}', link, floatformat(value, places), suffix, badge
        )
    return format_html(
        '<a href="{}">{}{}</a> {}<div class="small text-muted">{}{}</div>',
        link,
        floatformat(value, places),
        suffix,
        badge,
        _("target %(target)s") % {"target": floatformat(target, places)},
        suffix,
    )


class _KpiCells:
    """The cells of one kind's KPI table, one method per row; what every cell of the table
    shares (translated words, the badges) is made once."""

    def __init__(self, kind):
        self.missing = format_html('<span class="text-muted">{}</span>', "—")
        self.badges = {status: rag_badge(status) for status in _RAG_BADGES}
        self.rows = [
            (_("Started"), "started", self.started),
            (_("Closed"), "closed", self.closed),
            (
                _("Resolution rate (resolved ÷ closed)")
                if kind == "support"
                else _("Win rate (won ÷ closed)"),
                "conversion",
                self.conversion,
            ),
            (_("Cycle time, median / p90 (days)"), "cycle-percentiles", self.cycle_percentiles),
            (_("Cycle time, average (days)"), "cycle-average", self.cycle_average),
            (_("SLA met"), "sla", self.sla),
            (_("Average cost per closed instance"), "cost", self.cost),
            (
                _("Amount recovered") if kind == "collections" else _("Amount won"),
                "amount",
                self.amount,
            ),
            (_("Value won per unit of cost"), "value-per-cost", self.value_per_cost),
        ]

    def measure(self, kpis, metric, link, places, suffix=""):
        """A measure (analytics.process_kpis.Measure) of `kpis` with its target and badge."""
        measure = kpis.measures.get(metric)
        if measure is None:
            return format_html("{} ", self.missing)
        return _figure(
            measure.value,
            places,
            suffix,
            kpis.links[link],
            measure.target,
            self.badges.get(measure.status, ""),
        )

    def started(self, kpis):
        return format_html('<a href="{}">{}</a>', kpis.links["started"], kpis.started)

    def closed(self, kpis):
        return format_html('<a href="{}">{}</a>', kpis.links["closed"], kpis.closed)

    def conversion(self, kpis):
        metric = conversion_metric(kpis.definition.kind)
        return self.measure(kpis, metric, "succeeded", 1, "%")

    def cycle_percentiles(self, kpis):
        if kpis.cycle_median_days is None:
            return self.missing
        return format_html(
            '<a href="{}">{} / {}</a>',
            kpis.links["cycle"],
            floatformat(kpis.cycle_median_days, 1),
            floatformat(kpis.cycle_p90_days, 1),
        )

    def cycle_average(self, kpis):
        return self.measure(kpis, Metric.AVG_CYCLE_DAYS, "cycle", 1)

    def sla(self, kpis):
        shown = self.measure(kpis, Metric.SLA_MET_RATE, "sla_missed", 1, "%")
        total = kpis.sla_total
        if not total:
            return shown
        parts = [_("%(met)s of %(total)s deadlines") % {"met": kpis.sla_met, "total": total}]
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
        return format_html('{}<div class="small text-muted">{}</div>', shown, " · ".join(parts))

    def cost(self, kpis):
        return self.measure(kpis, Metric.AVG_COST, "cost", "2g", kpis.cost_suffix)

    def amount(self, kpis):
        shown = self.measure(kpis, Metric.AMOUNT_RECOVERED, "won", "2g", kpis.cost_suffix)
        others = [
            (kpis.links["won"], format_money(amount, code))
            for code, amount in kpis.won.items()
            if code != kpis.definition.currency
        ]
        if not others:
            return shown
        return format_html(
            "{}{}", shown, format_html_join("", '<div><a href="{}">{}</a></div>', others)
        )

    def value_per_cost(self, kpis):
        ratios = kpis.value_per_cost
        if not ratios:
            return self.missing
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
                for code, ratio in ratios
            ),
        )


@register.simple_tag
def kpi_table_body(rows):
    """The body of one kind's KPI table: a row per KPI, a cell per DefinitionKpis of `rows`
    (all of one kind, each with its drill-down `links`)."""
    if not rows:
        return ""
    cells = _KpiCells(rows[0].definition.kind)
    return format_html_join(
        "",
        '<tr><th scope="row">{}</th>{}</tr>',
        (
            (
                label,
                format_html_join(
                    "", '<td data-kpi="{}">{}</td>', ((name, cell(kpis)) for kpis in rows)
                ),
            )
            for label, name, cell in cells.rows
        ),
    )


@register.simple_tag
def stage_table_body(kpis):
    """The body of one definition's time-in-stage table: a row per StageKpis, one format_html
    call each (the stays linked to their drill-down `link`)."""
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
                # Plain text, escaped by format_html_join like the name.
                "—"
                if stage.median_days is None
                else f"{floatformat(stage.median_days, 1)} / {floatformat(stage.p90_days, 1)}",
                "—" if stage.sla_rate is None else f"{floatformat(stage.sla_rate, 0)}%",
            )
            for stage in kpis.stages
        ),
    )
