"""Lists that act: saved views ("Overdue in Prague") and what every bulk action shares.

- **The lists** that have saved views and exports are registered by the apps that hold them
  (`register("invoices", url_name="relationships:invoice_list", label=..., permission=...,
  build=invoice_rows)` in their AppConfig.ready), so the kernel names no app. `build(user,
  params)` makes what the list shows that user for those query parameters (`ListRows`: its
  FilterSet over what the user may see, and its export columns); the list's view and the
  background export (core.export_jobs) both call it, so a job's file holds the very rows the
  page showed.
- **Saved views** (`core.models.SavedView`): a list's query string under a name, its owner's
  own or shared with one of the owner's teams; a user's menu holds their own and those shared
  with any team they are in. Only the owner renames or deletes one.
- **Bulk actions** are services of the apps (`customer_bulk_assign`, `instance_bulk_assign`
  ...): each takes the rows, refuses more than `BULK_ACTION_MAX_ROWS` (`bulk_rows`) and every
  row the user may not change (`refuse_uneditable`) before changing anything, in one
  transaction, and writes one audit line naming the action and its rows (`record_bulk`) beside
  the rows' own audit.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from . import audit, fastpath
from .integrity import save_or_raise_validation
from .models import VIEW_QUERY_MAX_LENGTH, AuditEvent, SavedView, Team

# Query-string parameters that are not filters: a page number, an export's format.
NOT_FILTERS = ("page", "format")


@dataclass(frozen=True)
class ListRows:
    """What a list shows one user for one query string: its FilterSet (the form and the
    filtered, sorted queryset over what the user may see) and its export's columns."""

    filterset: object
    columns: list

    @property
    def queryset(self):
        return self.filterset.qs


@dataclass(frozen=True)
class UserOnly:
    """What a FilterSet asks of a request (its user) when a list is built outside one: the
    background export."""

    user: object


@dataclass(frozen=True)
class ListInfo:
    key: str
    url_name: str
    label: str
    # The permission the list's page asks for; a background export asks it again when it runs.
    permission: str = ""
    # build(user, params, request=None) -> ListRows
    build: Callable | None = None

    def url(self):
        return reverse(self.url_name)

    def rows(self, user, params, request=None) -> ListRows:
        """The list as `user` sees it with these query parameters (a QueryDict)."""
        return self.build(user, params, request=request if request is not None else UserOnly(user))


_lists: dict[str, ListInfo] = {}


def register(key, *, url_name, label, permission="", build=None):
    """Declares a list that has saved views and an export under `key`; `build(user, params,
    request)` makes its rows (ListRows) for the view and for the background export."""
    _lists[key] = ListInfo(
        key=key, url_name=url_name, label=label, permission=permission, build=build
    )


def get(key) -> ListInfo | None:
    return _lists.get(key)


def registered():
    return list(_lists.values())


def filters_of(query) -> str:
    """The filters of a query string (a QueryDict or text), without the page, the format and
    the fields left empty."""
    params = query if isinstance(query, QueryDict) else QueryDict(query)
    kept = QueryDict(mutable=True)
    for name, values in params.lists():
        # A filter form sends its empty fields too: they filter nothing.
        values = [value for value in values if value != ""]
        if name not in NOT_FILTERS and values:
            kept.setlist(name, values)
    return kept.urlencode()


def describe_filters(info: ListInfo, user, query) -> str:
    """A saved view's filters as its list's form shows them ("Status: Active · Grade: C"), in
    the reader's language; a parameter the form does not know is shown as it is."""
    params = QueryDict(query)
    form = info.rows(user, params).filterset.form
    parts = []
    for name, values in params.lists():
        values = [value for value in values if value != ""]
        if name in NOT_FILTERS or not values:
            continue
        field = form.fields.get(name)
        if field is None:
            parts.append(f"{name}: {', '.join(values)}")
            continue
        parts.append(f"{field.label}: {', '.join(_shown(field, values))}")
    return " · ".join(parts)


def _shown(field, values):
    """The labels of a filter's chosen values."""
    if isinstance(field, forms.ModelChoiceField | forms.ModelMultipleChoiceField):
        try:  # the chosen rows only: a list of every customer would be read whole
            return [str(obj) for obj in field.queryset.filter(pk__in=values)] or values
        except (ValueError, ValidationError):
            return values
    if isinstance(field, forms.ChoiceField):
        labels = {}
        for key, label in field.choices:
            if isinstance(label, list | tuple):  # a group of choices
                labels.update({str(k): str(v) for k, v in label})
            else:
                labels[str(key)] = str(label)
        return [labels.get(value, value) for value in values]
    if isinstance(field, forms.BooleanField | forms.NullBooleanField):
        return [_("yes") if value in ("on", "true", "True", "1") else _("no") for value in values]
    return values


# --- Saved views ---------------------------------------------------------------------------


def user_teams(user):
    return Team.objects.filter(members=user)


# The list tools read both on every list page: compiled once per process (core.fastpath).
_team_rows = fastpath.UserRows(user_teams)
_view_rows = {}  # list key -> its UserRows


def teams_of(user) -> list:
    """The user's teams, for the list tools' "Shared with"."""
    return _team_rows(user) if user.is_authenticated else []


def _views_query(list_key):
    return lambda user: (
        SavedView.objects.filter(list_key=list_key)
        .filter(Q(owner=user) | Q(team__members=user))
        .select_related("owner", "team")
        .distinct()
        .order_by("name", "id")
    )


def views_for(user, list_key) -> list:
    """The views of `list_key` the user may pick: their own and those shared with their teams."""
    if not user.is_authenticated:
        return []
    if list_key not in _view_rows:
        _view_rows[list_key] = fastpath.UserRows(_views_query(list_key))
    return _view_rows[list_key](user)


def _clean_query(query):
    query = filters_of(query or "")
    if len(query) > VIEW_QUERY_MAX_LENGTH:
        raise ValidationError(
            {
                "query": _("These filters are too long to save (at most %(max)s characters).")
                % {"max": VIEW_QUERY_MAX_LENGTH}
            }
        )
    return query


def _check_team(owner, team):
    if team is not None and not user_teams(owner).filter(pk=team.pk).exists():
        raise ValidationError({"team": _("You can share a view only with a team you are in.")})


@transaction.atomic
def saved_view_create(*, owner, list_key, name, query, team=None) -> SavedView:
    if get(list_key) is None:
        raise ValidationError(_("This list has no saved views."))
    _check_team(owner, team)
    view = SavedView(
        owner=owner,
        list_key=list_key,
        name=(name or "").strip(),
        query=_clean_query(query),
        team=team,
    )
    view.full_clean()
    save_or_raise_validation(view)
    return view


@transaction.atomic
def saved_view_update(*, view: SavedView, name, team=None, by) -> SavedView:
    """Renames a view (and shares or unshares it); its owner's only."""
    view = SavedView.objects.select_for_update().get(pk=view.pk)
    if view.owner_id != by.pk:
        raise ValidationError(_("Only the view's owner can change it."))
    _check_team(by, team)
    view.name = (name or "").strip()
    view.team = team
    view.full_clean()
    save_or_raise_validation(view)
    return view


@transaction.atomic
def saved_view_delete(*, view: SavedView, by) -> None:
    if view.owner_id != by.pk:
        raise ValidationError(_("Only the view's owner can delete it."))
    SavedView.objects.filter(pk=view.pk).delete()


def get_view_for_user(request, pk, *, write=False) -> SavedView:
    """A view the user may pick (404 otherwise); `write`: their own (404 otherwise)."""
    queryset = (
        SavedView.objects.filter(owner=request.user)
        if write
        else SavedView.objects.filter(Q(owner=request.user) | Q(team__members=request.user))
    )
    return get_object_or_404(queryset.distinct(), pk=pk)


# --- Bulk actions --------------------------------------------------------------------------


def max_rows():
    return settings.BULK_ACTION_MAX_ROWS


def bulk_rows(queryset, *, lock=True):
    """The rows of a bulk action, locked in id order (two bulk actions over the same rows
    cannot deadlock), refusing none or more than BULK_ACTION_MAX_ROWS."""
    limit = max_rows()
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    rows = list(queryset.order_by("pk")[: limit + 1])
    if not rows:
        raise ValidationError(_("Select at least one row."))
    if len(rows) > limit:
        raise ValidationError(
            ngettext(
                "A bulk action changes at most %(max)s row at a time: select fewer.",
                "A bulk action changes at most %(max)s rows at a time: select fewer.",
                limit,
            )
            % {"max": limit}
        )
    return rows


def refuse_uneditable(rows, may_edit, *, describe=str):
    """Raises one error naming the rows `may_edit(row)` refuses (the first few of them), so a
    bulk action changes all its rows or none."""
    refused = [row for row in rows if not may_edit(row)]
    if not refused:
        return
    names = ", ".join(describe(row) for row in refused[:5])
    if len(refused) > 5:
        names += ", …"
    raise ValidationError(
        ngettext(
            "Nothing was changed: you may not change %(count)s of the selected rows (%(names)s).",
            "Nothing was changed: you may not change %(count)s of the selected rows (%(names)s).",
            len(refused),
        )
        % {"count": len(refused), "names": names}
    )


def record_bulk(*, action, by, model, ids, **details):
    """One audit line for a bulk action: what, by whom, on which rows (their ids)."""
    return audit.record(
        AuditEvent.Action.BULK,
        user=by,
        details={"action": action, "model": model._meta.label_lower, "ids": list(ids), **details},
    )


class IdsField(forms.Field):
    """The ids of the rows ticked in a list (`ids`, repeated), at most BULK_ACTION_MAX_ROWS."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            ids = sorted({int(item) for item in value})
        except (TypeError, ValueError):
            raise ValidationError(_("The selection is not valid: reload the list.")) from None
        if len(ids) > max_rows():
            raise ValidationError(
                ngettext(
                    "A bulk action changes at most %(max)s row at a time: select fewer.",
                    "A bulk action changes at most %(max)s rows at a time: select fewer.",
                    max_rows(),
                )
                % {"max": max_rows()}
            )
        return ids

    def __init__(self, **kwargs):
        # An empty selection is not an error of the form: the view says nothing was selected.
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


NOTHING_SELECTED = gettext_lazy("No rows were selected: nothing was changed.")


def selected(queryset, ids):
    """The rows of `queryset` (what the user sees) with these ids; an id the user does not
    see (any more) refuses the whole action."""
    found = queryset.filter(pk__in=ids)
    if found.count() != len(ids):
        raise ValidationError(
            _("Nothing was changed: some of the selected rows are gone or not yours to see.")
        )
    return found
