"""Customers, their contact persons, relationships, interactions and segments."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.permissions import can
from customers import services as customer_services
from customers.access import get_contact_for_user, get_customer_for_user
from customers.filters import CustomerFilter
from customers.models import ContactPerson, Customer, Segment
from customers.permissions import EDIT_CONTACTS, EDIT_CUSTOMERS, VIEW_CUSTOMERS
from relationships import services as relationship_services
from relationships.access import get_relationship_for_user
from relationships.models import Interaction, Relationship
from relationships.permissions import END_RELATIONSHIP, LOG_INTERACTIONS, START_RELATIONSHIP

from .. import serializers
from ..base import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    IdempotentCreateMixin,
    RecordIdMixin,
    ReplicaListMixin,
    ResourceViewSet,
)
from .helpers import get_visible


class CustomerViewSet(IdempotentCreateMixin, ResourceViewSet):
    """Customers, as the customer list shows them (its filters, the customer's value)."""

    serializer_class = serializers.CustomerSerializer
    view_permission = VIEW_CUSTOMERS
    create_permission = EDIT_CUSTOMERS
    filterset_class = CustomerFilter
    ordering_fields = ("display_name", "first_contact_on", "created_at")
    etag_ignores = ("value",)  # the scoring job's, not a change anyone made

    def base_queryset(self):
        return Customer.objects.select_related("value").prefetch_related("segments")

    def lookup(self, pk, *, write=False):
        return get_customer_for_user(self.request, pk, write=write, queryset=self.base_queryset())

    @extend_schema(
        request=serializers.CustomerRegisterSerializer,
        responses={201: serializers.CustomerSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    def create(self, request, *args, **kwargs):
        """Register a customer from its first contact (its relationship starts, the contact is
        logged); one that looks like a known customer is refused unless
        `duplicates_confirmed`."""
        return super().create(request, *args, **kwargs)

    def perform_create(self):
        data = self.read_input(serializer_class=serializers.CustomerRegisterSerializer)
        segments = data.pop("segments", [])
        relationship_kind = data.pop("relationship_kind")
        first_contact = data.pop("first_contact")
        confirmed = data.pop("duplicates_confirmed")
        return relationship_services.customer_register(
            customer=Customer(**data),
            segments=segments,
            relationship_kind=relationship_kind,
            first_contact=dict(first_contact),
            by=self.request.user,
            duplicates_confirmed=confirmed,
        )

    @extend_schema(
        request=serializers.CustomerInputSerializer,
        responses=serializers.CustomerSerializer,
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, pk=None):
        def apply(customer):
            data = self.read_input(
                instance=customer,
                partial=True,
                serializer_class=serializers.CustomerInputSerializer,
            )
            segments = data.pop("segments", None)
            return customer_services.customer_update(
                customer=customer, data=data, segments=segments
            )

        return self.change(pk, apply)

    @extend_schema(responses=serializers.CustomerValueSerializer)
    @action(detail=True, methods=["get"])
    def value(self, request, pk=None):
        """The customer's current value: grade, lifetime value, payment reliability (written by
        the nightly scoring job; read-only)."""
        customer = self.lookup(pk)
        return Response(serializers.CustomerValueSerializer(customer.current_value).data)


class ContactPersonViewSet(IdempotentCreateMixin, ResourceViewSet):
    serializer_class = serializers.ContactPersonSerializer
    id_filters = ("customer",)
    view_permission = VIEW_CUSTOMERS
    create_permission = EDIT_CONTACTS
    ordering_fields = ("last_name", "created_at")

    def base_queryset(self):
        return ContactPerson.objects.all()

    def lookup(self, pk, *, write=False):
        return get_contact_for_user(self.request, pk, write=write)

    @extend_schema(
        request=serializers.ContactPersonInputSerializer,
        responses={201: serializers.ContactPersonSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self):
        data = self.read_input(serializer_class=serializers.ContactPersonInputSerializer)
        customer = get_customer_for_user(
            self.request, data.pop("customer"), write=True, permission=EDIT_CONTACTS
        )
        return customer_services.contact_person_save(
            contact=ContactPerson(customer=customer, **data)
        )

    @extend_schema(
        request=serializers.ContactPersonUpdateSerializer,
        responses=serializers.ContactPersonSerializer,
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, pk=None):
        def apply(contact):
            data = self.read_input(
                instance=contact,
                partial=True,
                serializer_class=serializers.ContactPersonUpdateSerializer,
            )
            for name, value in data.items():
                setattr(contact, name, value)
            return customer_services.contact_person_save(contact=contact)

        return self.change(pk, apply)


class RelationshipViewSet(ResourceViewSet):
    """Relationships are read; one starts and ends only consciously, through these actions."""

    serializer_class = serializers.RelationshipSerializer
    id_filters = ("customer",)
    view_permission = VIEW_CUSTOMERS
    ordering_fields = ("started_on",)

    def base_queryset(self):
        return Relationship.objects.all()

    def lookup(self, pk, *, write=False, permission=VIEW_CUSTOMERS):
        return get_relationship_for_user(self.request, pk, permission=permission, write=write)

    @extend_schema(
        request=serializers.RelationshipStartSerializer,
        responses={201: serializers.RelationshipSerializer},
    )
    @action(detail=False, methods=["post"])
    def start(self, request):
        """Start a new relationship with a returning customer (its earlier ones stay)."""
        self.require(START_RELATIONSHIP)
        data = self.read_input(serializer_class=serializers.RelationshipStartSerializer)
        customer = get_customer_for_user(
            request, data["customer"], write=True, permission=START_RELATIONSHIP
        )
        relationship = relationship_services.relationship_start(
            customer=customer, kind=data["kind"], by=request.user
        )
        return self.object_response(self.lookup(relationship.pk), status_code=201)

    @extend_schema(
        request=serializers.RelationshipEndSerializer,
        responses=serializers.RelationshipSerializer,
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """End the relationship consciously, with a reason (and a note for "other")."""
        self.require(END_RELATIONSHIP)
        data = self.read_input(serializer_class=serializers.RelationshipEndSerializer)

        def apply(relationship):
            return relationship_services.relationship_end(
                relationship=relationship, reason=data["reason"], note=data["note"], by=request.user
            )

        return self.change(pk, apply, permission=END_RELATIONSHIP)


class InteractionViewSet(IdempotentCreateMixin, ResourceViewSet):
    serializer_class = serializers.InteractionSerializer
    id_filters = ("customer",)
    view_permission = VIEW_CUSTOMERS
    create_permission = LOG_INTERACTIONS
    ordering_fields = ("occurred_at",)

    def base_queryset(self):
        return Interaction.objects.all()

    def lookup(self, pk, *, write=False):
        return get_visible(self.request, Interaction.objects.all(), pk, permission=VIEW_CUSTOMERS)

    @extend_schema(
        request=serializers.InteractionInputSerializer,
        responses={201: serializers.InteractionSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    def create(self, request, *args, **kwargs):
        """Log a call, e-mail, meeting... with the customer."""
        return super().create(request, *args, **kwargs)

    def perform_create(self):
        data = self.read_input(serializer_class=serializers.InteractionInputSerializer)
        customer = get_customer_for_user(
            self.request, data.pop("customer"), write=True, permission=LOG_INTERACTIONS
        )
        return relationship_services.interaction_log(
            customer=customer, by=self.request.user, **data
        )


class SegmentViewSet(ReplicaListMixin, RecordIdMixin, viewsets.ReadOnlyModelViewSet):
    """Segments are reference data: every user who sees customers sees them."""

    serializer_class = serializers.SegmentSerializer
    ordering = "name"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Segment.objects.none()
        if not can(self.request.user, VIEW_CUSTOMERS):
            self.permission_denied(self.request)
        return Segment.objects.all()

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
