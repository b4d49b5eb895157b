"""One access helper per object type. Whoever may see processes may see an instance; working on
one (moving it, logging work, editing it) is for the roles of its definition's kind."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from customers import roles

from .models import (
    Approval,
    DecisionRule,
    Notification,
    ProcessDefinition,
    ProcessInstance,
    Task,
)

Kind = ProcessDefinition.Kind

WORK_ROLES = {
    Kind.SALES: roles.WORK_SALES,
    Kind.ONBOARDING: roles.WORK_ONBOARDING,
    Kind.SUPPORT: roles.WORK_TICKETS,
    Kind.COLLECTIONS: roles.WORK_COLLECTIONS,
    Kind.RETENTION: roles.WORK_RETENTION,
    Kind.CUSTOM: roles.WORK_CUSTOM_PROCESSES,
}


def can_work(user, kind):
    return roles.has_role(user, WORK_ROLES[kind])


def workable_kinds(user):
    return [kind for kind in Kind if can_work(user, kind)]


def get_definition_for_user(request, pk, *, queryset=None):
    if not roles.has_role(request.user, roles.VIEW_PROCESSES):
        raise PermissionDenied
    return get_object_or_404(
        queryset if queryset is not None else ProcessDefinition.objects.all(), pk=pk
    )


def get_instance_for_user(request, pk, *, write=False, kinds=None, queryset=None):
    """The instance; `write` requires a role that works its kind, `kinds` narrows the kinds."""
    if not roles.has_role(request.user, roles.VIEW_PROCESSES):
        raise PermissionDenied
    instance = get_object_or_404(
        queryset
        if queryset is not None
        else ProcessInstance.objects.select_related("definition", "stage", "customer", "owner"),
        pk=pk,
    )
    if kinds is not None and instance.definition.kind not in kinds:
        raise PermissionDenied
    if write and not can_work(request.user, instance.definition.kind):
        raise PermissionDenied
    return instance


def get_task_for_user(request, pk, *, write=False):
    if not roles.has_role(request.user, roles.WORK_TASKS):
        raise PermissionDenied
    task = get_object_or_404(Task.objects.select_related("customer", "instance"), pk=pk)
    # Ticking a task off: its assignee, whoever set it, or a manager.
    if write and not (
        request.user.pk in (task.assignee_id, task.created_by_id)
        or roles.has_role(request.user, roles.APPROVE)
    ):
        raise PermissionDenied
    return task


def get_notification_for_user(request, pk):
    """Only the recipient sees a notification; anyone else gets a 404, not a hint it exists."""
    return get_object_or_404(Notification.objects.filter(recipient=request.user), pk=pk)


def get_approval_for_user(request, pk, *, write=False):
    if not roles.has_role(request.user, roles.APPROVE if write else roles.VIEW_PROCESSES):
        raise PermissionDenied
    return get_object_or_404(
        Approval.objects.select_related("instance__definition", "requested_by"), pk=pk
    )


def get_decision_rule_for_user(request, pk):
    """Decision rules are the managers' to edit (roles.MANAGE_DEFINITIONS)."""
    if not roles.has_role(request.user, roles.MANAGE_DEFINITIONS):
        raise PermissionDenied
    return get_object_or_404(DecisionRule.objects.select_related("definition"), pk=pk)
