"""Tasks: to-dos for someone, on a customer and optionally on one of its processes."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds, visibility
from core.visibility import CustomerRecordQuerySet
from customers.models import Customer

from .instances import ProcessInstance


class TaskQuerySet(CustomerRecordQuerySet):
    def visible_to(self, user):
        """The tasks of customers the user sees, and every task given to the user: whoever was
        given the work sees it (core.visibility)."""
        condition = visibility.visible_q(user, self.customer_path)
        return self if condition is None else self.filter(condition | Q(assignee=user.pk))

    def open(self):
        return self.filter(done_at__isnull=True)


class Task(models.Model):
    """A to-do for someone, on a customer and optionally on one of its processes."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tasks"
    )
    instance = models.ForeignKey(
        ProcessInstance,
        verbose_name=_("process"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
    )
    title = models.CharField(_("title"), max_length=200)
    notes = bounds.text_field(
        _("notes"),
        blank=True,
        limit=bounds.LONG_TEXT,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        related_name="process_tasks",
    )
    due_on = models.DateField(_("due on"), validators=[bounds.WindowValidator("business")])
    done_at = models.DateTimeField(_("done at"), null=True, blank=True, editable=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(done_at__isnull=True, done_by__isnull=True)
                | models.Q(done_at__isnull=False, done_by__isnull=False),
                name="task_done_has_when_and_who",
            ),
            bounds.window_check("due_on", bounds.BUSINESS, name="task_due_in_window"),
            bounds.window_check(
                "created_at", bounds.RECORDED, name="task_created_in_window", datetime_field=True
            ),
        ]
        indexes = [
            # "My tasks": open tasks of a user by due date.
            models.Index(fields=["assignee", "done_at", "due_on"], name="task_assignee_idx"),
            # Customer page: open tasks of the customer.
            models.Index(fields=["customer", "done_at", "due_on"], name="task_customer_idx"),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        if self.instance_id and self.customer_id and self.instance.customer_id != self.customer_id:
            raise ValidationError({"instance": _("This process belongs to another customer.")})

    @property
    def is_done(self):
        return self.done_at is not None

    @property
    def is_overdue(self):
        return not self.is_done and self.due_on < timezone.localdate()
