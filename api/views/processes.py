"""Processes (deals, onboarding, retention...), tickets and tasks; process definitions with
their stages, so that a client knows where an instance may move."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.decorators import action

from core.permissions import can
from customers.access import get_customer_for_user
from processes import services
from processes.access import (
    get_definition_for_user,
    get_instance_for_user,
    get_task_for_user,
    workable_kinds,
)
from processes.filters import InstanceFilter, TaskFilter, TicketFilter
from processes.models import ProcessDefinition, ProcessInstance, Stage, Task
from processes.permissions import VIEW_PROCESSES, WORK_TASKS, WORK_TICKETS

from .. import serializers
from ..base import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    IdempotentCreateMixin,
    RecordIdMixin,
    ReplicaListMixin,
    ResourceViewSet,
)

Kind = ProcessDefinition.Kind
# Opened as processes here; tickets through /tickets/, collection cases by the collections job.
GENERAL_KINDS = (Kind.SALES, Kind.ONBOARDING, Kind.RETENTION, Kind.CUSTOM)


class ProcessDefinitionViewSet(ReplicaListMixin, RecordIdMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.ProcessDefinitionSerializer
    ordering = "id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ProcessDefinition.objects.none()
        if not can(self.request.user, VIEW_PROCESSES):
            raise PermissionDenied
        return ProcessDefinition.objects.prefetch_related("stages")

    def get_object(self):
        return get_definition_for_user(
            self.request, self.kwargs["pk"], queryset=self.get_queryset()
        )


class _MoveMixin:
    @extend_schema(
        request=serializers.MoveSerializer,
        responses=serializers.ProcessInstanceSerializer,
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move it to another stage of its process (a final stage closes it, with a reason)."""
        self.require(VIEW_PROCESSES)
        data = self.read_input(serializer_class=serializers.MoveSerializer)

        def apply(instance):
            stage = Stage.objects.filter(definition_id=instance.definition_id, pk=data["stage"])
            if not stage.exists():
                raise exceptions.ValidationError(
                    {"stage": [_("This is not a stage of the instance's process.")]}
                )
            return services.instance_move(
                instance=instance, to_stage=stage.get(), by=request.user, reason=data["reason"]
            )

        return self.change(pk, apply)


class ProcessInstanceViewSet(_MoveMixin, IdempotentCreateMixin, ResourceViewSet):
    serializer_class = serializers.ProcessInstanceSerializer
    view_permission = VIEW_PROCESSES
    create_permission = VIEW_PROCESSES
    filterset_class = InstanceFilter
    ordering_fields = ("opened_at", "stage_entered_at")

    def base_queryset(self):
        return ProcessInstance.objects.select_related("definition")

    def lookup(self, pk, *, write=False):
        return get_instance_for_user(self.request, pk, write=write)

    @extend_schema(
        request=serializers.ProcessInstanceInputSerializer,
        responses={201: serializers.ProcessInstanceSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    def create(self, request, *args, **kwargs):
        """Open a sales deal, onboarding, retention or custom process for a customer."""
        return super().create(request, *args, **kwargs)

    def perform_create(self):
        data = self.read_input(serializer_class=serializers.ProcessInstanceInputSerializer)
        customer = get_customer_for_user(
            self.request, data.pop("customer"), write=True, permission=VIEW_PROCESSES
        )
        kinds = [kind for kind in workable_kinds(self.request.user) if kind in GENERAL_KINDS]
        definition = get_object_or_404(
            ProcessDefinition.objects.filter(kind__in=GENERAL_KINDS), pk=data.pop("definition")
        )
        if definition.kind not in kinds:
            raise PermissionDenied
        return services.instance_open(
            definition=definition, customer=customer, by=self.request.user, **data
        )


class TicketViewSet(_MoveMixin, IdempotentCreateMixin, ResourceViewSet):
    serializer_class = serializers.TicketSerializer
    view_permission = VIEW_PROCESSES
    create_permission = WORK_TICKETS
    filterset_class = TicketFilter
    ordering_fields = ("opened_at",)

    def base_queryset(self):
        return ProcessInstance.objects.select_related("definition", "ticket").filter(
            definition__kind=Kind.SUPPORT
        )

    def lookup(self, pk, *, write=False):
        return get_instance_for_user(
            self.request, pk, write=write, kinds=[Kind.SUPPORT], queryset=self.base_queryset()
        )

    @extend_schema(
        request=serializers.TicketInputSerializer,
        responses={201: serializers.TicketSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    def create(self, request, *args, **kwargs):
        """Open a support ticket; its priority sets the SLA deadlines."""
        return super().create(request, *args, **kwargs)

    def perform_create(self):
        data = self.read_input(serializer_class=serializers.TicketInputSerializer)
        customer = get_customer_for_user(
            self.request, data.pop("customer"), write=True, permission=WORK_TICKETS
        )
        definition = get_object_or_404(
            ProcessDefinition.objects.filter(kind=Kind.SUPPORT), pk=data.pop("definition")
        )
        ticket = services.ticket_open(
            definition=definition, customer=customer, by=self.request.user, **data
        )
        return ticket.instance


class TaskViewSet(IdempotentCreateMixin, ResourceViewSet):
    serializer_class = serializers.TaskSerializer
    id_filters = ("customer", "assignee")
    view_permission = WORK_TASKS
    create_permission = WORK_TASKS
    filterset_class = TaskFilter
    ordering_fields = ("due_on", "created_at")

    def base_queryset(self):
        return Task.objects.all()

    def lookup(self, pk, *, write=False):
        return get_task_for_user(self.request, pk, write=write)

    @extend_schema(
        request=serializers.TaskInputSerializer,
        responses={201: serializers.TaskSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    def create(self, request, *args, **kwargs):
        """Give someone a task on a customer (or on one of its processes)."""
        return super().create(request, *args, **kwargs)

    def perform_create(self):
        data = self.read_input(serializer_class=serializers.TaskInputSerializer)
        customer = get_customer_for_user(
            self.request, data.pop("customer"), write=True, permission=WORK_TASKS
        )
        instance_pk = data.pop("instance", None)
        instance = None
        if instance_pk is not None:
            instance = get_instance_for_user(self.request, instance_pk)
            if instance.customer_id != customer.pk:
                raise exceptions.ValidationError(
                    {"instance": [_("This process belongs to another customer.")]}
                )
        return services.task_create(
            customer=customer, instance=instance, by=self.request.user, **data
        )

    @extend_schema(request=None, responses=serializers.TaskSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Tick the task off."""
        return self.change(pk, lambda task: services.task_complete(task=task, by=request.user))
