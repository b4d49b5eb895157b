"""Contracts (read), invoices, payments, payouts and equipment (assets)."""

from drf_spectacular.utils import extend_schema

from customers.access import get_customer_for_user
from customers.permissions import VIEW_CUSTOMERS
from relationships import services
from relationships.access import (
    get_asset_for_user,
    get_contract_for_user,
    get_invoice_for_user,
    get_payout_for_user,
)
from relationships.filters import ContractFilter, InvoiceFilter
from relationships.models import Asset, Contract, Invoice, Payment, Payout
from relationships.permissions import (
    CREATE_CONTRACTS,
    ISSUE_INVOICES,
    MANAGE_ASSETS,
    REGISTER_PAYMENTS,
    REQUEST_PAYOUTS,
    VIEW_FINANCE,
)

from .. import serializers
from ..base import IDEMPOTENCY_KEY, IF_MATCH, IdempotentCreateMixin, ResourceViewSet
from .helpers import get_visible


class ContractViewSet(IdempotentCreateMixin, ResourceViewSet):
    serializer_class = serializers.ContractSerializer
    view_permission = VIEW_CUSTOMERS
    create_permission = CREATE_CONTRACTS
    filterset_class = ContractFilter
    ordering_fields = ("start_date", "created_at")

    def base_queryset(self):
        return Contract.objects.all()

    def lookup(self, pk, *, write=False, permission=VIEW_CUSTOMERS):
        return get_contract_for_user(self.request, pk, permission=permission, write=write)

    @extend_schema(
        request=serializers.ContractInputSerializer,
        responses={201: serializers.ContractSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    def create(self, request, *args, **kwargs):
        """Record a draft contract of a customer. Signing it stays on the contract's page,
        where the periods that recurring billing would issue for the past are confirmed."""
        return super().create(request, *args, **kwargs)

    def perform_create(self):
        data = self.read_input(serializer_class=serializers.ContractInputSerializer)
        customer = get_customer_for_user(
            self.request, data.pop("customer"), permission=CREATE_CONTRACTS
        )
        return services.contract_create(customer=customer, by=self.request.user, **data)

    @extend_schema(
        request=serializers.ContractUpdateSerializer,
        responses=serializers.ContractSerializer,
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, pk=None):
        def apply(contract):
            data = self.read_input(
                instance=contract,
                partial=True,
                serializer_class=serializers.ContractUpdateSerializer,
            )
            return services.contract_update(contract=contract, data=data, by=self.request.user)

        return self.change(pk, apply, permission=CREATE_CONTRACTS)


class InvoiceViewSet(IdempotentCreateMixin, ResourceViewSet):
    serializer_class = serializers.InvoiceSerializer
    view_permission = VIEW_FINANCE
    create_permission = ISSUE_INVOICES
    filterset_class = InvoiceFilter
    ordering_fields = ("issue_date", "due_date", "amount")

    def base_queryset(self):
        return Invoice.objects.all()

    def lookup(self, pk, *, write=False, permission=VIEW_CUSTOMERS):
        return get_invoice_for_user(self.request, pk, permission=permission, write=write)

    @extend_schema(
        request=serializers.InvoiceInputSerializer,
        responses={201: serializers.InvoiceSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    def create(self, request, *args, **kwargs):
        """Issue an invoice to a customer. Send an Idempotency-Key so a retry never issues it
        twice."""
        return super().create(request, *args, **kwargs)

    def perform_create(self):
        data = self.read_input(serializer_class=serializers.InvoiceInputSerializer)
        customer = get_customer_for_user(
            self.request, data.pop("customer"), permission=ISSUE_INVOICES
        )
        return services.invoice_create(customer=customer, by=self.request.user, **data)

    @extend_schema(
        request=serializers.InvoiceUpdateSerializer,
        responses=serializers.InvoiceSerializer,
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, pk=None):
        def apply(invoice):
            data = self.read_input(
                instance=invoice, partial=True, serializer_class=serializers.InvoiceUpdateSerializer
            )
            return services.invoice_update(invoice=invoice, data=data)

        return self.change(pk, apply, permission=ISSUE_INVOICES)


class PaymentViewSet(IdempotentCreateMixin, ResourceViewSet):
    serializer_class = serializers.PaymentSerializer
    id_filters = ("customer", "invoice")
    view_permission = VIEW_FINANCE
    create_permission = REGISTER_PAYMENTS
    ordering_fields = ("paid_on",)

    def base_queryset(self):
        return Payment.objects.all()

    def lookup(self, pk, *, write=False):
        return get_visible(self.request, Payment.objects.all(), pk, permission=VIEW_FINANCE)

    @extend_schema(
        request=serializers.PaymentInputSerializer,
        responses={201: serializers.PaymentSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    def create(self, request, *args, **kwargs):
        """Register money received against an invoice. Send an Idempotency-Key so a retry never
        books the payment twice."""
        return super().create(request, *args, **kwargs)

    def perform_create(self):
        data = self.read_input(serializer_class=serializers.PaymentInputSerializer)
        invoice = get_invoice_for_user(
            self.request, data.pop("invoice"), permission=REGISTER_PAYMENTS, write=True
        )
        return services.payment_register(invoice=invoice, by=self.request.user, **data)


class PayoutViewSet(IdempotentCreateMixin, ResourceViewSet):
    serializer_class = serializers.PayoutSerializer
    id_filters = ("customer",)
    view_permission = VIEW_FINANCE
    create_permission = REQUEST_PAYOUTS
    ordering_fields = ("requested_at",)

    def base_queryset(self):
        return Payout.objects.all()

    def lookup(self, pk, *, write=False):
        return get_payout_for_user(self.request, pk, write=write)

    @extend_schema(
        request=serializers.PayoutInputSerializer,
        responses={201: serializers.PayoutSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    def create(self, request, *args, **kwargs):
        """Request a payout to a customer (a refund, a commission...); above the approval
        threshold a manager decides on it."""
        return super().create(request, *args, **kwargs)

    def perform_create(self):
        data = self.read_input(serializer_class=serializers.PayoutInputSerializer)
        customer = get_customer_for_user(
            self.request, data.pop("customer"), write=True, permission=REQUEST_PAYOUTS
        )
        return services.payout_request(customer=customer, by=self.request.user, **data)


class AssetViewSet(IdempotentCreateMixin, ResourceViewSet):
    serializer_class = serializers.AssetSerializer
    id_filters = ("customer",)
    view_permission = VIEW_CUSTOMERS
    create_permission = MANAGE_ASSETS
    ordering_fields = ("installed_on", "created_at")

    def base_queryset(self):
        return Asset.objects.all()

    def lookup(self, pk, *, write=False, permission=VIEW_CUSTOMERS):
        return get_asset_for_user(self.request, pk, permission=permission, write=write)

    @extend_schema(
        request=serializers.AssetInputSerializer,
        responses={201: serializers.AssetSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self):
        data = self.read_input(serializer_class=serializers.AssetInputSerializer)
        customer = get_customer_for_user(
            self.request, data.pop("customer"), write=True, permission=MANAGE_ASSETS
        )
        return services.asset_create(customer=customer, by=self.request.user, **data)

    @extend_schema(
        request=serializers.AssetUpdateSerializer,
        responses=serializers.AssetSerializer,
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, pk=None):
        def apply(asset):
            data = self.read_input(
                instance=asset, partial=True, serializer_class=serializers.AssetUpdateSerializer
            )
            return services.asset_update(asset=asset, data=data)

        return self.change(pk, apply, permission=MANAGE_ASSETS)
