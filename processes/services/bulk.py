"""Bulk actions on the process list (core.lists): giving the ticked processes to another owner,
closing their open tasks. Each is all or nothing: a process the user may not work on refuses
the whole action, with its title in the message."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import lists
from core.users import staff_users

from ..access import may_work_on
from ..models import ProcessInstance, Task
from .activity import _touch


def _bulk_instances(instances, by):
    rows = lists.bulk_rows(instances)
    # may_work_on reads the definition's kind and the customer's owner: one query for all rows.
    loaded = {
        instance.pk: instance
        for instance in ProcessInstance.objects.filter(pk__in=[row.pk for row in rows])
        .select_related("definition", "customer")
        .only(
            "owner",
            "title",
            "title_kind",  # with title_params: the title in the user's language (describe)
            "title_params",
            "last_activity_at",
            "definition__kind",
            "customer__owner",
        )
    }
    rows = [loaded[row.pk] for row in rows]
    lists.refuse_uneditable(
        rows, lambda instance: may_work_on(by, instance), describe=lambda row: row.display_title
    )
    return rows


@transaction.atomic
def instance_bulk_assign(*, instances, owner, by) -> int:
    """Gives every selected process to `owner` (all or none); each change is in the process's
    audit, the action in one audit line. Returns how many changed owner."""
    if owner is None or not staff_users().filter(pk=owner.pk).exists():
        raise ValidationError({"owner": _("Choose an active member of staff as the owner.")})
    rows = _bulk_instances(instances, by)
    changed = [instance for instance in rows if instance.owner_id != owner.pk]
    now = timezone.now()
    for instance in changed:
        instance.owner = owner
        instance.last_activity_at = now
        instance.save(update_fields=["owner", "last_activity_at"])
    lists.record_bulk(
        action="instance_bulk_assign",
        by=by,
        model=ProcessInstance,
        ids=[instance.pk for instance in rows],
        owner=owner.get_username(),
        changed=len(changed),
    )
    return len(changed)


@transaction.atomic
def instance_bulk_close_tasks(*, instances, by) -> int:
    """Ticks off every open task of the selected processes (all or none), done by `by` now.
    Returns how many tasks were closed."""
    rows = _bulk_instances(instances, by)
    ids = [instance.pk for instance in rows]
    now = timezone.now()
    tasks = Task.objects.select_for_update().filter(instance_id__in=ids, done_at__isnull=True)
    task_ids = list(tasks.order_by("pk").values_list("pk", flat=True))
    closed = Task.objects.filter(pk__in=task_ids).update(done_at=now, done_by=by)
    for instance in rows:
        _touch(instance, at=now)
    lists.record_bulk(
        action="instance_bulk_close_tasks",
        by=by,
        model=ProcessInstance,
        ids=ids,
        tasks=len(task_ids),
    )
    return closed
