"""Tasks: creating and completing to-dos on customers and their processes."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer

from ..models import Task
from .activity import _touch


@transaction.atomic
def task_create(
    *, customer: Customer, title, assignee, due_on, by, instance=None, notes=""
) -> Task:
    task = Task(
        customer=customer,
        instance=instance,
        title=title,
        assignee=assignee,
        due_on=due_on,
        notes=notes,
        created_by=by,
    )
    task.full_clean()
    task.save()
    if instance is not None:
        _touch(instance)
    return task


@transaction.atomic
def task_complete(*, task: Task, by) -> Task:
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.is_done:
        raise ValidationError(_("This task is already done."))
    task.done_at = timezone.now()
    task.done_by = by
    task.full_clean()
    task.save(update_fields=["done_at", "done_by"])
    if task.instance_id:
        _touch(task.instance, at=task.done_at)
    return task
