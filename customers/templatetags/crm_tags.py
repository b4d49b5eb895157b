from functools import partial
from html import escape

from django import forms, template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.urls import reverse
from django.utils import dateformat, formats, numberformat, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
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


def _choices(field):
    """A choice field's (value, label) pairs, values as strings.

    A model choice field's own iterator reads its queryset with .iterator(), which on
    PostgreSQL is a server-side cursor: three round trips (DECLARE, FETCH, CLOSE) for the
    handful of owners or segments a filter offers. Here the queryset is read in one query.
    """
    choices = field.choices
    if not isinstance(choices, forms.models.ModelChoiceIterator):
        # A plain choice field, or a model choice field given its choices from rows at hand.
        return ((str(value), label) for value, label in choices)
    choices = []
    if field.empty_label is not None:
        choices.append(("", field.empty_label))
    if getattr(field, "null_label", None) is not None:  # django-filter's "no value" choice
        choices.append((str(field.null_value), field.null_label))
    choices += [
        (str(field.prepare_value(obj)), field.label_from_instance(obj)) for obj in field.queryset
    ]
    return choices


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
        options = "".join(
            f'<option value="{escape(choice)}"{" selected" if choice == value else ""}>'
            f"{escape(str(label))}</option>"
            for choice, label in _choices(field)
        )
        return format_html(
            '<select class="form-select{}" id="{}" name="{}">{}</select>',
            size,
            bound_field.id_for_label,
            bound_field.html_name,
            mark_safe(options),
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


def _url_for_pk(viewname):
    """A function building `viewname`'s URL for a primary key, reversing the pattern once.

    reverse() walks the URL resolver on every call; a list of rows needs the same URL with
    25 different ids, so the URL is reversed once around a placeholder id.
    """
    placeholder = "9876543210"
    head, tail = reverse(viewname, args=[placeholder]).split(placeholder)
    return lambda pk: f"{head}{pk}{tail}"


@register.simple_tag
def customer_rows(page):
    """The customer list's rows.

    Every customer list request renders them, so they are built here rather than in the
    template language, whose per-variable lookups made up most of the page's render time, and
    everything that is the same for every row (badges, labels, localized formats, the detail
    URL) is worked out once per page instead of once per row. The markup is what the
    template produced before. Expects the customers of `Customer.objects.for_list()`.
    """
    if not page.object_list:
        return format_html(
            '<tr><td colspan="9" class="text-muted">{}</td></tr>',
            _("No customers match these filters."),
        )
    person_icon = format_html(
        '<i aria-hidden="true" class="bi bi-person text-muted" title="{}"></i>', _("Person")
    )
    detail_url = _url_for_pk("customers:detail")
    language = get_language()
    number = partial(
        numberformat.format,
        decimal_sep=formats.get_format("DECIMAL_SEPARATOR", language),
        grouping=formats.get_format("NUMBER_GROUPING", language),
        thousand_sep=formats.get_format("THOUSAND_SEPARATOR", language),
    )
    datetime_format = formats.get_format("DATETIME_FORMAT", language)
    short_date_format = formats.get_format("SHORT_DATE_FORMAT", language)
    days_late = _("%(days)s days late on average")
    on_time = escape(_("pays on time"))
    grade_badges, status_badges = {}, {}
    rows = []
    for customer in page.object_list:
        # The badges depend on a few values only: built once for each combination on the page.
        key = (customer.grade, customer.scored_at is not None)
        grade = grade_badges.get(key) or grade_badges.setdefault(key, grade_badge(customer))
        key = (customer.status, customer.relationship_kind)
        status = status_badges.get(key) or status_badges.setdefault(key, status_badge(customer))
        reliability = customer.payment_reliability
        if reliability is None:
            reliability = '<span class="text-muted">—</span>'
        else:
            days = customer.avg_days_late
            title = escape(days_late % {"days": number(days, decimal_pos=1)}) if days else on_time
            reliability = (
                f'<span class="{reliability_class(reliability)}" title="{title}">'
                f"{number(reliability, decimal_pos=0)}</span>"
            )
        last = customer.last_contact_at
        if last:
            when = escape(dateformat.format(timezone.localtime(last), datetime_format))
            last = f'<span title="{when}">{escape(naturaltime(last))}</span>'
        segments = " ".join(
            f'<span class="badge text-bg-light border">{escape(segment.name)}</span>'
            for segment in customer.list_segments
        )
        name = f'<a href="{detail_url(customer.pk)}">{escape(customer.display_name)}</a>'
        if customer.kind == "person":
            name += person_icon
        if customer.tax_id:
            name += f'<div class="small text-muted">{escape(customer.tax_id)}</div>'
        ltv = "—"
        if customer.ltv_currency:
            amount = number(customer.ltv, decimal_pos=0, force_grouping=True)
            ltv = escape(f"{amount} {customer.ltv_currency}")
        owner = escape(customer.owner.get_username()) if customer.owner else "—"
        first = escape(dateformat.format(customer.first_contact_on, short_date_format))
        rows.append(
            f"<tr><td>{name}</td><td>{grade}</td>"
            f'<td class="text-end text-nowrap">{ltv}</td><td class="text-end">{reliability}</td>'
            f"<td>{status}</td><td>{segments}</td><td>{owner}</td>"
            f"<td>{escape(customer.city or '—')}</td><td>{last or '—'}</td><td>{first}</td></tr>"
        )
    return mark_safe("".join(rows))
