"""The one lookup helper for imports: a batch is its author's (and any manager's)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from core import visibility
from core.permissions import can

from . import kinds
from .models import ImportBatch


def batches_for(user):
    batches = ImportBatch.objects.all()
    return batches if visibility.is_manager(user) else batches.filter(created_by=user)


def get_batch_for_user(request, pk):
    """The batch; 404 for another user's, 403 without the right to import its kind."""
    batch = get_object_or_404(batches_for(request.user).select_related("owner"), pk=pk)
    kind = kinds.get(batch.kind)
    if kind is None:
        raise Http404
    if not can(request.user, kind.permission):
        raise PermissionDenied
    return batch
