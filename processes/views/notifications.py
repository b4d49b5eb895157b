"""Notifications: a user's list and marking them read, by a plain form or by htmx (which gets
back the rows it changed and the bell's new count)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.permissions import permission_required
from core.views.helpers import redirect_back as _back

from .. import services
from ..access import get_notification_for_user
from ..models import Notification
from ..permissions import VIEW_PROCESSES
from .helpers import _page

# ?show=… of the list: every notification, the unread ones, the unread escalations.
SHOW_UNREAD = "unread"
SHOW_ESCALATIONS = "escalations"


def _show(params):
    show = params.get("show", "")
    if params.get("unread") == "1":  # the list's address before `show`
        show = SHOW_UNREAD
    return show if show in (SHOW_UNREAD, SHOW_ESCALATIONS) else ""


def _panel_context(request, params):
    queryset = Notification.objects.filter(recipient=request.user).select_related(
        "instance__customer"
    )
    show = _show(params)
    if show:
        queryset = queryset.filter(read_at__isnull=True)
    if show == SHOW_ESCALATIONS:
        queryset = queryset.filter(kind__in=Notification.ESCALATIONS)
    page, query = _page(request, queryset.order_by("-created_at", "-id"))
    return {"page": page, "query": query, "show": show}


@permission_required(VIEW_PROCESSES)
def notification_list(request):
    return render(request, "processes/notification_list.html", _panel_context(request, request.GET))


@require_POST
@permission_required(VIEW_PROCESSES)
def notification_read(request, pk):
    notification = get_notification_for_user(request, pk)
    services.notification_mark_read(user=request.user, notification=notification)
    if request.htmx:
        notification.refresh_from_db(fields=["read_at"])
        return render(request, "processes/_notification_read.html", {"notification": notification})
    return _back(request, "processes:notification_list")


@require_POST
@permission_required(VIEW_PROCESSES)
def notification_read_all(request):
    services.notification_mark_read(user=request.user)
    if request.htmx:
        # The list as shown (the form posts to an address carrying its `show` and page).
        return render(
            request, "processes/_notification_read_all.html", _panel_context(request, request.GET)
        )
    messages.success(request, _("All notifications marked as read."))
    return redirect("processes:notification_list")
