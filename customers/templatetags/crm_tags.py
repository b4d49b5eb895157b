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
            '<tr><td colspan="7" class="text-muted">{}</td></tr>',
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
                '<tr><td><a href="{}">{}</a>{}{}</td><td>{}</td><td>{}</td><td>{}</td>'
                "<td>{}</td><td>{}</td><td>{}</td></tr>",
                customer.get_absolute_url(),
                customer.display_name,
                person_icon if customer.kind == "person" else "",
                format_html('<div class="small text-muted">{}</div>', customer.tax_id)
                if customer.tax_id
                else "",
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
