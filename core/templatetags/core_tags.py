"""Template tags every app's pages use: sortable column headers, filter bars and quick forms
built without per-option widget templates, a sparkline, amounts with their currency in the
reader's language, and the language menu."""

from django import forms, template
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core import money
from core.forms import SharedRowsIterator
from core.html import escaped
from core.i18n import language_choices

register = template.Library()


@register.simple_tag
def interface_languages():
    """The language menu's entries: (code, own name, whether it is the active language)."""
    active = get_language()
    return [(code, name, code == active) for code, name in language_choices()]


@register.filter
def money_format(value, currency):
    """`{{ invoice.amount|money_format:invoice.currency }}`: "1,234.56 PLN" in English,
    "1 234,56 zł" in Polish (core.money.format_money); nothing for no amount."""
    if value is None or value == "":
        return ""
    return money.format_money(value, currency)


@register.filter
def money_whole(value, currency):
    """As money_format, in whole units ("12 346 zł"): the value columns and headers."""
    if value is None or value == "":
        return ""
    return money.format_money(value, currency, places=0)


@register.filter
def currency_symbol(code):
    """How the active language writes the currency `code` ("zł", "Kč", "₽", else the code),
    for sentences that place the amount and the currency themselves."""
    return money.currency_symbol(code) if code else ""


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
    if isinstance(choices, SharedRowsIterator):  # the rows already read (core.forms)
        rows = choices.rows
    elif isinstance(choices, forms.models.ModelChoiceIterator):
        rows = field.queryset
    else:
        # A plain choice field, or a model choice field given its choices from rows at hand.
        return ((str(value), label) for value, label in choices)
    choices = []
    if field.empty_label is not None:
        choices.append(("", field.empty_label))
    if getattr(field, "null_label", None) is not None:  # django-filter's "no value" choice
        choices.append((str(field.null_value), field.null_label))
    choices += [(str(field.prepare_value(obj)), field.label_from_instance(obj)) for obj in rows]
    return choices


def _options(choices, value):
    """The <option>s of (value, label) pairs, `value` selected: the same markup as
    format_html_join, at a third of its cost (a filter bar has some eighty options)."""
    return mark_safe(
        "".join(
            f'<option value="{escaped(choice)}"{" selected" if choice == value else ""}>'
            f"{escaped(label)}</option>"
            for choice, label in choices
        )
    )


def _control(bound_field, *, small, css=None):
    """A form control built directly, without Django's per-option widget templates (`css`: the
    select's classes instead of Bootstrap's default).

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
    # As Django's widgets say it: a control whose value was refused, and where it is said why
    # (the templates give the errors' block this id, as crispy-forms does).
    invalid = (
        flatatt({"aria-invalid": "true", "aria-describedby": f"{bound_field.auto_id}_error"})
        if bound_field.errors
        else ""
    )
    size = " form-select-sm" if small else ""
    if hasattr(field, "choices"):
        return format_html(
            '<select class="{}" id="{}" name="{}"{}>{}</select>',
            css or f"form-select{size}",
            bound_field.id_for_label,
            bound_field.html_name,
            invalid,
            _options(_choices(field), value),
        )
    size = " form-control-sm" if small else ""
    if widget.__class__.__name__ == "Textarea":
        return format_html(
            '<textarea class="form-control{}" id="{}" name="{}" rows="{}"{}>{}</textarea>',
            size,
            bound_field.id_for_label,
            bound_field.html_name,
            widget.attrs.get("rows", 3),
            invalid,
            value,
        )
    # A number typed as text (core.forms.AmountInput) keeps its phone keyboard.
    inputmode = flatatt({"inputmode": widget.attrs.get("inputmode")})
    return format_html(
        '<input class="form-control{}" type="{}" id="{}" name="{}" value="{}"{}{}>',
        size,
        "search" if small else getattr(widget, "input_type", "text"),
        bound_field.id_for_label,
        bound_field.html_name,
        value,
        inputmode,
        invalid,
    )


@register.simple_tag
def filter_control(bound_field):
    """A filter bar's control (see _control)."""
    return _control(bound_field, small=True)


@register.simple_tag
def bulk_control(bound_field):
    """A bulk-action bar's select with its visually hidden label, built as a filter bar's are,
    in the classes the form gives it. Through Django's widget templates the customer list's three
    selects (an include per owner, segment and action) cost more than its 25 rows."""
    return format_html(
        '<label class="visually-hidden" for="{}">{}</label>{}',
        bound_field.id_for_label,
        bound_field.label,
        _control(bound_field, small=True, css=bound_field.field.widget.attrs.get("class")),
    )


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


@register.inclusion_tag("core/_list_tools.html", takes_context=True)
def list_tools(context, list_key, export=True):
    """A list's saved views (the menu, saving the current filters) and its CSV and XLSX export
    with the current filters (core.lists, core.exports). One query: the user's views."""
    from core import lists

    request = context["request"]
    info = lists.get(list_key)
    filters = lists.filters_of(request.GET)
    views = lists.views_for(request.user, list_key)
    return {
        "request": request,
        "list": info,
        "views": views,
        "own_views": [view for view in views if view.owner_id == request.user.pk],
        "current_view": next((view for view in views if view.query == filters), None),
        "filters": filters,
        "export": export,
        "teams": lists.teams_of(request.user),
        "csrf_token": context.get("csrf_token"),
    }
