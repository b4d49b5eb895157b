"""One access helper per object type. Whoever may see processes may see an instance of a customer
they see (core.visibility; otherwise 404); working on one (moving it, logging work, editing it) is
for those who may work its definition's kind, on the customer's owner side (its owner, their
team-mates, managers), except collection cases: finance works the whole ledger (otherwise 403)."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from core import visibility
from core.permissions import can

from .models import (
    Approval,
    DecisionRule,
    Notification,
    ProcessDefinition,
    ProcessInstance,
    Task,
)
from .permissions import (
    APPROVE,
    MANAGE_DEFINITIONS,
    VIEW_PROCESSES,
    WORK_COLLECTIONS,
    WORK_CUSTOM_PROCESSES,
    WORK_ONBOARDING,
    WORK_RETENTION,
    WORK_SALES,
    WORK_TASKS,
    WORK_TICKETS,
)

Kind = ProcessDefinition.Kind

WORK_PERMISSIONS = {
    Kind.SALES: WORK_SALES,
    Kind.ONBOARDING: WORK_ONBOARDING,
    Kind.SUPPORT: WORK_TICKETS,
    Kind.COLLECTIONS: WORK_COLLECTIONS,
    Kind.RETENTION: WORK_RETENTION,
    Kind.CUSTOM: WORK_CUSTOM_PROCESSES,
}


def can_work(user, kind):
    return can(user, WORK_PERMISSIONS[kind])


def may_work_on(user, instance, *, definition=None):
    """Whether `user` may move, edit or log work on `instance` (its customer selected; a board
    passes the `definition` its cards share)."""
    return may_work_on_card(
        user,
        (definition or instance.definition).kind,
        owner_id=instance.owner_id,
        customer_owner_id=instance.customer.owner_id,
    )


def may_work_on_card(user, kind, *, owner_id, customer_owner_id):
    """may_work_on from a row's ids: the board reads its cards as values(), not instances."""
    if not can_work(user, kind):
        return False
    if kind == Kind.COLLECTIONS:
        return True  # a finance action: WORK_COLLECTIONS is finance's and managers'
    # The process's owner works on what they were given, whoever owns the customer.
    return owner_id == user.pk or visibility.can_edit_owner(user, customer_owner_id)


def workable_kinds(user):
    return [kind for kind in Kind if can_work(user, kind)]


def get_definition_for_user(request, pk, *, queryset=None):
    if not can(request.user, VIEW_PROCESSES):
        raise PermissionDenied
    return get_object_or_404(
        queryset if queryset is not None else ProcessDefinition.objects.all(), pk=pk
    )


def get_instance_for_user(request, pk, *, write=False, kinds=None, queryset=None):
    """The instance; `write` requires a role that works its kind, `kinds` narrows the kinds."""
    if not can(request.user, VIEW_PROCESSES):
        raise PermissionDenied
    if queryset is None:
        # The customer's value: the instance page weighs the cost against it.
        queryset = ProcessInstance.objects.select_related(
            "definition", "stage", "customer__value", "owner"
        )
    instance = get_object_or_404(queryset.visible_to(request.user), pk=pk)
    if kinds is not None and instance.definition.kind not in kinds:
        raise PermissionDenied
    if write and not may_work_on(request.user, instance):
        if not can_work(request.user, instance.definition.kind):
            raise PermissionDenied
        raise visibility.NotEditable(
            _(
                "You can see this process, but only its owner, the customer's owner, their team "
                "or a manager can work on it."
            )
        )
    return instance


def may_complete(user, task, *, customer_owner_id):
    """Whether `user` may tick `task` off (`customer_owner_id`: its customer's owner, which a
    page of one customer's tasks knows): its assignee (whoever was given the work may finish
    it), whoever set it while on the customer's owner side, or a manager."""
    return can(user, WORK_TASKS) and (
        user.pk == task.assignee_id
        or can(user, APPROVE)
        or (user.pk == task.created_by_id and visibility.can_edit_owner(user, customer_owner_id))
    )


def mark_completable(user, tasks, *, customer_owner_id):
    """One customer's `tasks` as a list, each with `completable` set for the page's "Done"
    button (no query: the user's roles and team-mates are read once per request)."""
    tasks = list(tasks)
    for task in tasks:
        task.completable = may_complete(user, task, customer_owner_id=customer_owner_id)
    return tasks


def get_task_for_user(request, pk, *, write=False):
    if not can(request.user, WORK_TASKS):
        raise PermissionDenied
    task = get_object_or_404(
        Task.objects.visible_to(request.user).select_related("customer", "instance"), pk=pk
    )
    if write and not may_complete(request.user, task, customer_owner_id=task.customer.owner_id):
        raise visibility.NotEditable(
            _(
                "Only the task's assignee, a manager, or whoever set it while they may change "
                "the customer can mark it done."
            )
        )
    return task


def get_notification_for_user(request, pk):
    """Only the recipient sees a notification; anyone else gets a 404, not a hint it exists."""
    return get_object_or_404(Notification.objects.filter(recipient=request.user), pk=pk)


def get_approval_for_user(request, pk, *, write=False):
    if not can(request.user, APPROVE if write else VIEW_PROCESSES):
        raise PermissionDenied
    return get_object_or_404(
        Approval.objects.visible_to(request.user).select_related(
            "instance__definition", "requested_by"
        ),
        pk=pk,
    )


def get_decision_rule_for_user(request, pk):
    """Decision rules are the managers' to edit (processes.manage_definitions)."""
    if not can(request.user, MANAGE_DEFINITIONS):
        raise PermissionDenied
    return get_object_or_404(DecisionRule.objects.select_related("definition"), pk=pk)
