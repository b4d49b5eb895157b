"""Saved views of a list: saving the current filters under a name (the list's own form),
and renaming, sharing or deleting one's own views (core.lists)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .. import lists
from ..models import VIEW_NAME_MAX_LENGTH, VIEW_QUERY_MAX_LENGTH, SavedView
from .helpers import run_action, run_service


class SavedViewForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=VIEW_NAME_MAX_LENGTH)
    team = forms.ModelChoiceField(
        label=gettext_lazy("Shared with"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("Only me"),
    )
    query = forms.CharField(
        label=gettext_lazy("filters"), required=False, max_length=VIEW_QUERY_MAX_LENGTH
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = lists.user_teams(user)


def _list_or_404(list_key):
    info = lists.get(list_key)
    if info is None:
        raise Http404
    return info


def _errors(form):
    return " ".join(str(error) for field_errors in form.errors.values() for error in field_errors)


@login_required
@require_POST
def saved_view_create(request):
    """Saves the list's current filters; back to the list, now showing the view's name."""
    list_key = request.POST.get("list", "")
    info = _list_or_404(list_key)
    form = SavedViewForm(request.POST, user=request.user)
    query = lists.filters_of(request.POST.get("query", ""))
    back = info.url() + (f"?{query}" if query else "")
    if form.is_valid() and run_service(
        form,
        lists.saved_view_create,
        owner=request.user,
        list_key=list_key,
        name=form.cleaned_data["name"],
        query=form.cleaned_data["query"],
        team=form.cleaned_data["team"],
    ):
        messages.success(request, _("View “%(name)s” saved.") % {"name": form.cleaned_data["name"]})
    else:
        messages.error(request, _("The view was not saved: %(errors)s") % {"errors": _errors(form)})
    return HttpResponseRedirect(back)


@login_required
def saved_view_list(request):
    """One's own views of every list, each renamed, shared or deleted in place."""
    teams = list(lists.user_teams(request.user))
    views = [
        (view, lists.get(view.list_key))
        for view in SavedView.objects.filter(owner=request.user)
        .select_related("team")
        .order_by("list_key", "name", "id")
        if lists.get(view.list_key) is not None
    ]
    for view, info in views:
        view.described = lists.describe_filters(info, request.user, view.query)
    return render(request, "core/saved_view_list.html", {"views": views, "teams": teams})


@login_required
@require_POST
def saved_view_update(request, pk):
    view = lists.get_view_for_user(request, pk, write=True)
    form = SavedViewForm(request.POST, user=request.user)
    if form.is_valid() and run_service(
        form,
        lists.saved_view_update,
        view=view,
        name=form.cleaned_data["name"],
        team=form.cleaned_data["team"],
        by=request.user,
    ):
        messages.success(request, _("View saved."))
    else:
        messages.error(request, _("The view was not saved: %(errors)s") % {"errors": _errors(form)})
    return redirect("saved_view_list")


@login_required
@require_POST
def saved_view_delete(request, pk):
    view = lists.get_view_for_user(request, pk, write=True)
    if run_action(request, lists.saved_view_delete, view=view, by=request.user):
        messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect("saved_view_list")
