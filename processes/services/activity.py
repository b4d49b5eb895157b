"""An instance's last activity, which the stall watch reads: every piece of work on an
instance (a move, work logged, a task, a ticket response, an approval) counts."""

from django.utils import timezone

from ..models import ProcessInstance


def _touch(instance: ProcessInstance, *, at=None):
    at = at or timezone.now()
    ProcessInstance.objects.filter(pk=instance.pk, last_activity_at__lt=at).update(
        last_activity_at=at
    )
    if instance.last_activity_at is None or instance.last_activity_at < at:
        instance.last_activity_at = at
