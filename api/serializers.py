"""What the API shows of each record (the read serializers, also the ETag's source) and what it
reads for a write (the input serializers: the model fields' own validators and bounds, then the
service's full_clean and rules)."""

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core import bounds
from core.users import staff_users
from customers.models import ContactPerson, Customer, CustomerValue, Segment
from processes.models import ProcessDefinition, ProcessInstance, Stage, Task, Ticket
from relationships.models import (
    Asset,
    Contract,
    Interaction,
    Invoice,
    Payment,
    Payout,
    Relationship,
)


class ReadSerializer(serializers.ModelSerializer):
    """A record as the API shows it (read-only). A text the model allows empty is documented
    as such (a choice's "" too), and an e-mail is plain text: the stored value may be empty."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.EmailField: serializers.CharField,
    }

    def get_fields(self):
        fields = super().get_fields()
        for name, field in fields.items():
            try:
                model_field = self.Meta.model._meta.get_field(field.source or name)
            except (FieldDoesNotExist, AttributeError):
                continue
            if getattr(model_field, "blank", False) and isinstance(
                field, serializers.CharField | serializers.ChoiceField
            ):
                field.allow_blank = True
        return fields


def RecordId(**kwargs):
    """A record's id in a request body: a whole number in the bigint range."""
    return serializers.IntegerField(min_value=1, max_value=2**63 - 1, **kwargs)


class VisibleRelatedMixin:
    """Related records named in the input (a contract, a contact person) are looked up among
    those the user sees: another team's record is "does not exist", as a 404 would say."""

    visible_fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        for name in self.visible_fields:
            field = self.fields[name]
            if request is not None:
                field.queryset = field.queryset.visible_to(request.user)


class SegmentSerializer(ReadSerializer):
    class Meta:
        model = Segment
        fields = ["id", "name", "description"]


class CustomerValueSerializer(ReadSerializer):
    """The customer's current value, written by the nightly scoring job (read-only)."""

    class Meta:
        model = CustomerValue
        fields = [
            "grade",
            "ltv",
            "ltv_currency",
            "payment_reliability",
            "avg_days_late",
            "scored_at",
        ]
        read_only_fields = fields


class CustomerSerializer(ReadSerializer):
    segments = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    value = CustomerValueSerializer(source="current_value", read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "kind",
            "display_name",
            "legal_name",
            "tax_id",
            "email",
            "phone",
            "street",
            "postal_code",
            "city",
            "country",
            "owner",
            "source",
            "first_contact_on",
            "segments",
            "notes",
            "status",
            "relationship_kind",
            "last_contact_at",
            "value",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CustomerInputSerializer(serializers.ModelSerializer):
    """The "New customer" and "Edit customer" forms' fields."""

    owner = serializers.PrimaryKeyRelatedField(
        queryset=staff_users(), required=False, allow_null=True
    )
    segments = serializers.PrimaryKeyRelatedField(
        queryset=Segment.objects.all(), many=True, required=False
    )

    class Meta:
        model = Customer
        fields = [
            "kind",
            "display_name",
            "legal_name",
            "tax_id",
            "email",
            "phone",
            "street",
            "postal_code",
            "city",
            "country",
            "owner",
            "source",
            "first_contact_on",
            "segments",
            "notes",
        ]
        validators = []  # the uniqueness rules are the service's (duplicate guard, constraints)


class FirstContactSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Interaction.Channel.choices)
    direction = serializers.ChoiceField(
        choices=Interaction.Direction.choices, default=Interaction.Direction.INBOUND
    )
    subject = serializers.CharField(max_length=200)
    notes = serializers.CharField(
        max_length=bounds.LONG_TEXT, required=False, allow_blank=True, default=""
    )


class CustomerRegisterSerializer(CustomerInputSerializer):
    relationship_kind = serializers.ChoiceField(
        choices=Relationship.Kind.choices, default=Relationship.Kind.LASTING
    )
    first_contact = FirstContactSerializer()
    duplicates_confirmed = serializers.BooleanField(
        default=False,
        help_text=_("True: register it although it looks like a known customer."),
    )

    class Meta(CustomerInputSerializer.Meta):
        fields = [
            *CustomerInputSerializer.Meta.fields,
            "relationship_kind",
            "first_contact",
            "duplicates_confirmed",
        ]


class ContactPersonSerializer(ReadSerializer):
    class Meta:
        model = ContactPerson
        fields = [
            "id",
            "customer",
            "first_name",
            "last_name",
            "title",
            "email",
            "phone",
            "language",
            "is_primary",
            "marketing_consent",
            "marketing_consent_at",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields


class ContactPersonInputSerializer(serializers.ModelSerializer):
    customer = RecordId(write_only=True)

    class Meta:
        model = ContactPerson
        fields = [
            "customer",
            "first_name",
            "last_name",
            "title",
            "email",
            "phone",
            "language",
            "is_primary",
            "marketing_consent",
            "is_active",
        ]
        validators = []


class ContactPersonUpdateSerializer(ContactPersonInputSerializer):
    class Meta(ContactPersonInputSerializer.Meta):
        fields = ContactPersonInputSerializer.Meta.fields[1:]


class RelationshipSerializer(ReadSerializer):
    class Meta:
        model = Relationship
        fields = [
            "id",
            "customer",
            "status",
            "kind",
            "started_on",
            "started_by",
            "ended_at",
            "ended_by",
            "end_reason",
            "end_note",
        ]
        read_only_fields = fields


class RelationshipStartSerializer(serializers.Serializer):
    customer = RecordId()
    kind = serializers.ChoiceField(
        choices=Relationship.Kind.choices, default=Relationship.Kind.LASTING
    )


class RelationshipEndSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Relationship.EndReason.choices)
    note = serializers.CharField(
        max_length=bounds.SHORT_TEXT, required=False, allow_blank=True, default=""
    )


class InteractionSerializer(ReadSerializer):
    class Meta:
        model = Interaction
        fields = [
            "id",
            "customer",
            "relationship",
            "contact_person",
            "channel",
            "direction",
            "subject",
            "notes",
            "outcome",
            "occurred_at",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class InteractionInputSerializer(VisibleRelatedMixin, serializers.ModelSerializer):
    visible_fields = ("contact_person",)
    customer = RecordId()
    contact_person = serializers.PrimaryKeyRelatedField(
        queryset=ContactPerson.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Interaction
        fields = [
            "customer",
            "contact_person",
            "channel",
            "direction",
            "subject",
            "notes",
            "outcome",
            "occurred_at",
        ]


class ContractSerializer(ReadSerializer):
    class Meta:
        model = Contract
        fields = [
            "id",
            "customer",
            "relationship",
            "number",
            "title",
            "product",
            "value",
            "currency",
            "billing_period",
            "start_date",
            "end_date",
            "status",
            "signed_on",
            "terminated_at",
            "termination_reason",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class ContractInputSerializer(serializers.ModelSerializer):
    customer = RecordId(write_only=True)

    class Meta:
        model = Contract
        fields = [
            "customer",
            "number",
            "title",
            "product",
            "value",
            "currency",
            "billing_period",
            "start_date",
            "end_date",
        ]
        validators = []


class ContractUpdateSerializer(ContractInputSerializer):
    class Meta(ContractInputSerializer.Meta):
        fields = ContractInputSerializer.Meta.fields[1:]


class InvoiceSerializer(ReadSerializer):
    balance = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "customer",
            "contract",
            "number",
            "issue_date",
            "due_date",
            "amount",
            "currency",
            "paid_amount",
            "balance",
            "period_start",
            "period_end",
            "written_off_at",
            "write_off_reason",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class InvoiceInputSerializer(VisibleRelatedMixin, serializers.ModelSerializer):
    visible_fields = ("contract",)
    customer = RecordId(write_only=True)
    contract = serializers.PrimaryKeyRelatedField(
        queryset=Contract.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Invoice
        fields = ["customer", "number", "contract", "issue_date", "due_date", "amount", "currency"]
        validators = []


class InvoiceUpdateSerializer(InvoiceInputSerializer):
    class Meta(InvoiceInputSerializer.Meta):
        fields = InvoiceInputSerializer.Meta.fields[1:]


class PaymentSerializer(ReadSerializer):
    class Meta:
        model = Payment
        fields = [
            "id",
            "invoice",
            "customer",
            "amount",
            "currency",
            "paid_on",
            "method",
            "reference",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields


class PaymentInputSerializer(serializers.ModelSerializer):
    invoice = RecordId()

    class Meta:
        model = Payment
        fields = ["invoice", "amount", "currency", "paid_on", "method", "reference"]


class PayoutSerializer(ReadSerializer):
    class Meta:
        model = Payout
        fields = [
            "id",
            "customer",
            "kind",
            "amount",
            "currency",
            "reason",
            "status",
            "requested_by",
            "requested_at",
            "approved_by",
            "approved_at",
            "rejected_by",
            "rejected_at",
            "rejection_reason",
            "paid_at",
            "paid_by",
        ]
        read_only_fields = fields


class PayoutInputSerializer(serializers.ModelSerializer):
    customer = RecordId()

    class Meta:
        model = Payout
        fields = ["customer", "kind", "amount", "currency", "reason"]


class AssetSerializer(ReadSerializer):
    class Meta:
        model = Asset
        fields = [
            "id",
            "customer",
            "contract",
            "name",
            "model",
            "serial_number",
            "installed_on",
            "location",
            "status",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class AssetInputSerializer(VisibleRelatedMixin, serializers.ModelSerializer):
    visible_fields = ("contract",)
    customer = RecordId()
    contract = serializers.PrimaryKeyRelatedField(
        queryset=Contract.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Asset
        fields = [
            "customer",
            "contract",
            "name",
            "model",
            "serial_number",
            "installed_on",
            "location",
            "status",
        ]
        validators = []


class StageSerializer(ReadSerializer):
    class Meta:
        model = Stage
        fields = ["id", "position", "name", "code", "sla_hours", "win_probability", "outcome"]
        read_only_fields = fields


class ProcessDefinitionSerializer(ReadSerializer):
    stages = StageSerializer(many=True, read_only=True)

    class Meta:
        model = ProcessDefinition
        fields = ["id", "name", "kind", "goal", "active", "currency", "stages"]
        read_only_fields = fields


class ProcessInstanceSerializer(ReadSerializer):
    kind = serializers.CharField(source="definition.kind", read_only=True)
    # A title the CRM wrote itself (a collection case's "Invoice C-…") in the caller's language,
    # like every text of the API; a typed title as typed.
    title = serializers.CharField(source="display_title", read_only=True)
    # "Invoice paid in full." written by the settle job, in the caller's language likewise.
    outcome_reason = serializers.CharField(source="outcome_reason_text", read_only=True)

    class Meta:
        model = ProcessInstance
        fields = [
            "id",
            "definition",
            "kind",
            "customer",
            "title",
            "owner",
            "stage",
            "amount",
            "currency",
            "discount_percent",
            "expected_close_on",
            "outcome",
            "outcome_reason",
            "opened_at",
            "opened_by",
            "closed_at",
            "stage_entered_at",
            "stage_due_at",
            "last_activity_at",
        ]
        read_only_fields = fields


class ProcessInstanceInputSerializer(serializers.Serializer):
    definition = RecordId()
    customer = RecordId()
    title = serializers.CharField(max_length=200)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=staff_users(), required=False, allow_null=True
    )
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        max_value=bounds.MAX_AMOUNT,
        required=False,
        allow_null=True,
    )
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True, default="")
    expected_close_on = serializers.DateField(
        required=False, allow_null=True, validators=[bounds.WindowValidator("business")]
    )


class MoveSerializer(serializers.Serializer):
    stage = RecordId()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class TicketSerializer(ProcessInstanceSerializer):
    """A ticket is a support process instance with its ticket's fields."""

    priority = serializers.CharField(source="ticket.priority", read_only=True)
    description = serializers.CharField(source="ticket.description", read_only=True)
    contact_person = serializers.IntegerField(
        source="ticket.contact_person_id", read_only=True, allow_null=True
    )
    asset = serializers.IntegerField(source="ticket.asset_id", read_only=True, allow_null=True)
    response_due_at = serializers.DateTimeField(
        source="ticket.response_due_at", read_only=True, allow_null=True
    )
    resolution_due_at = serializers.DateTimeField(
        source="ticket.resolution_due_at", read_only=True, allow_null=True
    )
    first_response_at = serializers.DateTimeField(
        source="ticket.first_response_at", read_only=True, allow_null=True
    )
    resolved_at = serializers.DateTimeField(
        source="ticket.resolved_at", read_only=True, allow_null=True
    )

    class Meta(ProcessInstanceSerializer.Meta):
        fields = [
            *ProcessInstanceSerializer.Meta.fields,
            "priority",
            "description",
            "contact_person",
            "asset",
            "response_due_at",
            "resolution_due_at",
            "first_response_at",
            "resolved_at",
        ]
        read_only_fields = fields


class TicketInputSerializer(VisibleRelatedMixin, serializers.Serializer):
    visible_fields = ("contact_person", "asset")
    definition = RecordId()
    customer = RecordId()
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=bounds.LONG_TEXT)
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices)
    contact_person = serializers.PrimaryKeyRelatedField(
        queryset=ContactPerson.objects.all(), required=False, allow_null=True
    )
    asset = serializers.PrimaryKeyRelatedField(
        queryset=Asset.objects.all(), required=False, allow_null=True
    )


class TaskSerializer(ReadSerializer):
    class Meta:
        model = Task
        fields = [
            "id",
            "customer",
            "instance",
            "title",
            "notes",
            "assignee",
            "due_on",
            "done_at",
            "done_by",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class TaskInputSerializer(serializers.ModelSerializer):
    customer = RecordId()
    assignee = serializers.PrimaryKeyRelatedField(queryset=staff_users())
    instance = RecordId(required=False, allow_null=True)

    class Meta:
        model = Task
        fields = ["customer", "instance", "title", "notes", "assignee", "due_on"]


class AssetUpdateSerializer(AssetInputSerializer):
    class Meta(AssetInputSerializer.Meta):
        fields = AssetInputSerializer.Meta.fields[1:]
