"""The audit list (managers and admins) and the history of one customer, both read from
core.AuditEvent through the one formatter, core.audit.formatting.describe."""

from django.conf import settings
from django.db.models import Q
from django.shortcuts import render

from ..audit.filters import AuditEventFilter
from ..audit.formatting import describe
from ..models import AuditEvent
from ..permissions import VIEW_AUDIT, permission_required
from .helpers import paginate


@permission_required(VIEW_AUDIT)
def audit_list(request):
    events = AuditEventFilter(
        request.GET, queryset=AuditEvent.objects.select_related("user").order_by("-at", "-id")
    )
    page, query = paginate(request, events.qs, settings.AUDIT_LIST_PAGE_SIZE)
    return render(
        request,
        "core/audit_list.html",
        {"filter": events, "page": page, "query": query, "lines": describe(page.object_list)},
    )


def render_history(request, template, querysets, context):
    """A record's history page: the audit rows about the records of each queryset (the record
    itself, as a queryset of one, and those belonging to it), newest first, a page at a time."""
    condition = Q(pk__in=[])
    for queryset in querysets:
        label = queryset.model._meta.label_lower
        condition |= Q(model=label, object_id__in=queryset.order_by().values("pk"))
    events = AuditEvent.objects.filter(condition).select_related("user").order_by("-at", "-id")
    page, query = paginate(request, events, settings.AUDIT_LIST_PAGE_SIZE)
    return render(
        request,
        template,
        {**context, "page": page, "query": query, "lines": describe(page.object_list)},
    )
