"""Notifications: a user's list and marking them read."""

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


@permission_required(VIEW_PROCESSES)
def notification_list(request):
    queryset = Notification.objects.filter(recipient=request.user).select_related(
        "instance__customer"
    )
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    page, query = _page(request, queryset.order_by("-created_at", "-id"))
    return render(
        request,
        "processes/notification_list.html",
        {"page": page, "query": query, "unread_only": unread_only},
    )


@require_POST
@permission_required(VIEW_PROCESSES)
def notification_read(request, pk):
    notification = get_notification_for_user(request, pk)
    services.notification_mark_read(user=request.user, notification=notification)
    return _back(request, "processes:notification_list")


@require_POST
@permission_required(VIEW_PROCESSES)
def notification_read_all(request):
    services.notification_mark_read(user=request.user)
    messages.success(request, _("All notifications marked as read."))
    return redirect("processes:notification_list")
