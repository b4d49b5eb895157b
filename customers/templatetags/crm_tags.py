from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_link(context, field, label):
    """A column header that sorts by `field`, toggling direction, keeping the other filters."""
    request = context["request"]
    query = request.GET.copy()
    current = query.get("ordering", "")
    descending = current == field
    query["ordering"] = f"-{field}" if descending else field
    query.pop("page", None)
    arrow = ""
    if current == field:
        arrow = " ▲"
    elif current == f"-{field}":
        arrow = " ▼"
    return format_html('<a class="sort-link" href="?{}">{}{}</a>', query.urlencode(), label, arrow)


_BADGE_CLASSES = {"active": "text-bg-success", "prospect": "text-bg-info"}


@register.simple_tag
def status_badge(customer):
    """The customer's relationship status (and 'casual' for casual contacts), as badges.

    A tag rather than an included template: it renders in every row of the customer list.
    """
    html = format_html(
        '<span class="badge {}">{}</span>',
        _BADGE_CLASSES.get(customer.status, "text-bg-secondary"),
        customer.get_status_display(),
    )
    if customer.relationship_kind == "casual":
        html += format_html(' <span class="badge text-bg-light border">{}</span>', _("casual"))
    return html


_GRADE_CLASSES = {
    "A": "text-bg-success",
    "B": "text-bg-primary",
    "C": "text-bg-warning",
    "D": "text-bg-danger",
}


def _money(amount, currency):
    return f"{formats.number_format(amount, 0, force_grouping=True)} {currency}"


@register.simple_tag
def grade_badge(customer, large=False):
    """The customer's value grade as a coloured badge, its meaning in the tooltip."""
    grade = customer.grade
    if not grade:
        return format_html(
            '<span class="badge text-bg-light border grade-badge{}" title="{}">—</span>',
            " fs-5" if large else "",
            _("Not graded: no billing history yet") if customer.scored_at else _("Not scored yet"),
        )
    return format_html(
        '<span class="badge {} grade-badge{}" title="{}">{}</span>',
        _GRADE_CLASSES.get(grade, "text-bg-secondary"),
        " fs-5" if large else "",
        customer.get_grade_display(),
        grade,
    )


@register.simple_tag
def reliability_class(reliability):
    """Green from 90, amber from 60, red below: how well the customer pays, at a glance."""
    if reliability is None:
        return "text-muted"
    if reliability >= 90:
        return "text-success"
    return "text-warning" if reliability >= 60 else "text-danger"


def _reliability(customer):
    reliability = customer.payment_reliability
    if reliability is None:
        return mark_safe('<span class="text-muted">—</span>')
    colour = reliability_class(reliability)
    days = customer.avg_days_late
    return format_html(
        '<span class="{}" title="{}">{}</span>',
        colour,
        _("%(days)s days late on average") % {"days": formats.number_format(days, 1)}
        if days
        else _("pays on time"),
        formats.number_format(reliability, 0),
    )


@register.simple_tag
def sparkline(values, width=120, height=28):
    """A tiny inline SVG line of `values` (oldest first): the trend without any JavaScript."""
    points = [float(v) for v in values if v is not None]
    if len(points) < 2:
        return ""
    low, high = min(points), max(points)
    span = (high - low) or 1.0
    step = (width - 4) / (len(points) - 1)
    coords = " ".join(
        f"{2 + i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
        for i, v in enumerate(points)
    )
    return format_html(
        '<svg class="sparkline" width="{}" height="{}" viewBox="0 0 {} {}" role="img" '
        'aria-label="{}"><polyline fill="none" stroke="currentColor" stroke-width="1.5" '
        'points="{}"/></svg>',
        width,
        height,
        width,
        height,
        _("trend"),
        coords,
    )


def _control(bound_field, *, small):
    """A form control built directly, without Django's per-option widget templates.

    Filter bars and the customer page's quick form render on every request; building their few
    selects and inputs here costs a fraction of rendering them through widget templates (the
    customer page spent a quarter of its time on the quick form's seven fields).
    """
    field = bound_field.field
    widget = field.widget
    value = bound_field.value()
    if isinstance(value, list | tuple):  # the ordering filter's value is a list of fields
        value = value[0] if value else None
    value = "" if value is None else str(value)
    size = " form-select-sm" if small else ""
    if hasattr(field, "choices"):
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (choice_value, " selected" if choice_value == value else "", label)
                for choice_value, label in ((str(v), lbl) for v, lbl in field.choices)
            ),
        )
        return format_html(
            '<select class="form-select{}" id="{}" name="{}">{}</select>',
            size,
            bound_field.id_for_label,
            bound_field.html_name,
            options,
        )
    size = " form-control-sm" if small else ""
    if widget.__class__.__name__ == "Textarea":
        return format_html(
            '<textarea class="form-control{}" id="{}" name="{}" rows="{}">{}</textarea>',
            size,
            bound_field.id_for_label,
            bound_field.html_name,
            widget.attrs.get("rows", 3),
            value,
        )
    return format_html(
        '<input class="form-control{}" type="{}" id="{}" name="{}" value="{}">',
        size,
        "search" if small else getattr(widget, "input_type", "text"),
        bound_field.id_for_label,
        bound_field.html_name,
        value,
    )


@register.simple_tag
def filter_control(bound_field):
    """A filter bar's control (see _control)."""
    return _control(bound_field, small=True)


@register.simple_tag
def quick_field(bound_field):
    """Label, control and help text of an unbound form's field, in Bootstrap's markup."""
    field = bound_field.field
    return format_html(
        '<div class="mb-3"><label class="form-label" for="{}">{}{}</label>{}{}</div>',
        bound_field.id_for_label,
        bound_field.label,
        "*" if field.required else "",
        _control(bound_field, small=False),
        format_html('<div class="form-text">{}</div>', field.help_text) if field.help_text else "",
    )


@register.simple_tag
def customer_rows(page):
    """The customer list's rows.

    Every customer list request renders them, so they are built here rather than in the
    template language, whose per-variable lookups made up most of the page's render time.
    The markup is what the template produced before.
    """
    if not page.object_list:
        return format_html(
            '<tr><td colspan="9" class="text-muted">{}</td></tr>',
            _("No customers match these filters."),
        )
    person_icon = format_html(
        '<i aria-hidden="true" class="bi bi-person text-muted" title="{}"></i>', _("Person")
    )
    rows = []
    for customer in page.object_list:
        last = customer.last_contact_at
        rows.append(
            format_html(
                '<tr><td><a href="{}">{}</a>{}{}</td><td>{}</td>'
                '<td class="text-end text-nowrap">{}</td><td class="text-end">{}</td>'
                "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                customer.get_absolute_url(),
                customer.display_name,
                person_icon if customer.kind == "person" else "",
                format_html('<div class="small text-muted">{}</div>', customer.tax_id)
                if customer.tax_id
                else "",
                grade_badge(customer),
                _money(customer.ltv, customer.ltv_currency) if customer.ltv_currency else "—",
                _reliability(customer),
                status_badge(customer),
                format_html_join(
                    " ",
                    '<span class="badge text-bg-light border">{}</span>',
                    ((segment.name,) for segment in customer.segments.all()),
                ),
                customer.owner.get_username() if customer.owner else "—",
                customer.city or "—",
                format_html(
                    '<span title="{}">{}</span>',
                    formats.localize(timezone.localtime(last)),
                    naturaltime(last),
                )
                if last
                else "—",
                formats.date_format(customer.first_contact_on, "SHORT_DATE_FORMAT"),
            )
        )
    return mark_safe("".join(rows))
