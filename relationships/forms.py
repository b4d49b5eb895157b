from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core import bounds
from core.concurrent_edits import ConcurrentEditMixin
from core.forms import DateField, DateInput, DateTimeField, DateTimeInput
from core.money import currency_symbol, format_amount

from .models import Asset, Contract, Document, Interaction, Invoice, Payment, Payout, Relationship
from .services import contract_backbilling, document_file_check


class FirstContactForm(forms.Form):
    """How the customer first reached us (or we them), recorded as the first interaction."""

    prefix = "first"

    relationship_kind = forms.ChoiceField(
        label=_("Relationship kind"),
        choices=Relationship.Kind.choices,
        initial=Relationship.Kind.LASTING,
        help_text=_(
            "A casual contact buys once from whoever is available; a lasting one we shape."
        ),
    )
    channel = forms.ChoiceField(
        label=_("First contact channel"), choices=Interaction.Channel.choices
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=Interaction.Direction.choices,
        initial=Interaction.Direction.INBOUND,
    )
    subject = forms.CharField(label=_("What was it about?"), max_length=200)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=bounds.LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class InteractionForm(ConcurrentEditMixin, forms.ModelForm):
    class Meta:
        model = Interaction
        fields = [
            "channel",
            "direction",
            "contact_person",
            "subject",
            "notes",
            "outcome",
            "occurred_at",
        ]
        widgets = {
            "occurred_at": DateTimeInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        field_classes = {"occurred_at": DateTimeField}

    def __init__(self, *args, customer, contacts=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["contact_person"]
        field.queryset = customer.contacts.filter(is_active=True)
        if contacts is not None:
            # The customer's contact persons, already fetched: offered without a query of
            # their own (the queryset above still validates what is posted).
            field.choices = [
                ("", field.empty_label),
                *(
                    (field.prepare_value(c), field.label_from_instance(c))
                    for c in contacts
                    if c.is_active
                ),
            ]
        # Empty means "just now": a pre-filled minute would sort a fresh call before one logged
        # seconds earlier.
        self.fields["occurred_at"].required = False
        self.fields["occurred_at"].initial = None
        if not self.instance.pk:
            self.initial.pop("occurred_at", None)
        self.fields["occurred_at"].help_text = _("Leave empty for now.")
        # The most common entry is a call we made; one less choice to make for it.
        self.fields["channel"].initial = Interaction.Channel.CALL
        self.fields["direction"].initial = Interaction.Direction.OUTBOUND

    def clean_occurred_at(self):
        when = self.cleaned_data["occurred_at"]
        if when and when > timezone.now() + timezone.timedelta(minutes=5):
            raise forms.ValidationError(
                _("An interaction that has not happened yet is a task, not a contact.")
            )
        return when


class RelationshipEndForm(forms.Form):
    end_reason = forms.ChoiceField(
        label=_("Why does the relationship end?"),
        choices=[
            ("", "---------"),
            *(
                (value, label)
                for value, label in Relationship.EndReason.choices
                if value != Relationship.EndReason.MERGED  # a merge gives it, not a person
            ),
        ],
    )
    end_note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=bounds.SHORT_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the reason is “Other”."),
    )
    confirm = forms.BooleanField(
        label=_("I understand that this ends our relationship with the customer."),
        error_messages={"required": _("Confirm that you mean to end the relationship.")},
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("end_reason") == Relationship.EndReason.OTHER
            and not cleaned.get("end_note", "").strip()
        ):
            self.add_error("end_note", _("Describe the reason when you choose “Other”."))
        return cleaned


class RelationshipStartForm(forms.Form):
    kind = forms.ChoiceField(label=_("Relationship kind"), choices=Relationship.Kind.choices)


# --- Contracts, billing, payouts, assets, documents -----------------------------------------

DATE_WIDGET = DateInput()


class CurrencyFormMixin:
    """Currency codes are typed in any case and stored upper-case."""

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or "").strip().upper()

    def _default_currency(self):
        if "currency" in self.fields and not self.instance.pk and not self.initial.get("currency"):
            self.initial["currency"] = settings.DEFAULT_CURRENCY


class ContractForm(ConcurrentEditMixin, CurrencyFormMixin, forms.ModelForm):
    signed_on = DateField(
        label=_("Signed on"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Leave empty to save a draft that is signed later."),
        validators=[bounds.WindowValidator("past")],
    )
    # Shown (as a check box) only when the start date lies more than one period in the past.
    confirm_backbilling = forms.BooleanField(
        label=_("Issue the invoices for these past periods"),
        required=False,
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Contract
        fields = [
            "number",
            "title",
            "product",
            "value",
            "currency",
            "billing_period",
            "start_date",
            "end_date",
        ]
        widgets = {"start_date": DATE_WIDGET, "end_date": DATE_WIDGET}
        field_classes = {"start_date": DateField, "end_date": DateField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._default_currency()
        if self.instance.pk:
            del self.fields["signed_on"]

    def clean_signed_on(self):
        signed_on = self.cleaned_data.get("signed_on")
        if signed_on and signed_on > timezone.localdate():
            raise forms.ValidationError(_("A contract cannot be signed in the future."))
        return signed_on

    def clean(self):
        cleaned = super().clean()
        billing_terms = {"start_date", "end_date", "billing_period", "value"}
        if self.instance.pk and not billing_terms & set(self.changed_data):
            return cleaned  # The terms are as they were: nothing new to bill.
        start, period = cleaned.get("start_date"), cleaned.get("billing_period")
        if not start or not period or billing_terms & set(self.errors):
            return cleaned
        for name in ("start_date", "end_date"):
            try:
                Contract._meta.get_field(name).run_validators(cleaned.get(name))
            except forms.ValidationError:
                return cleaned  # Refused beside the field by the model's window.
        probe = Contract(
            pk=self.instance.pk,
            start_date=start,
            end_date=cleaned.get("end_date"),
            billing_period=period,
            value=cleaned.get("value") or 0,
            currency=cleaned.get("currency") or "",
            backbilling_confirmed_until=self.instance.backbilling_confirmed_until,
        )
        pending = contract_backbilling(probe, today=timezone.localdate(), more_than=1)
        if pending and not cleaned.get("confirm_backbilling"):
            self.fields["confirm_backbilling"].widget = forms.CheckboxInput()
            self.add_error("start_date", backbilling_message(pending))
        return cleaned


def backbilling_message(pending):
    return ngettext(
        "This will issue %(count)s invoice totalling %(total)s %(currency)s for past periods "
        "(%(first)s to %(last)s). Tick the box below to confirm.",
        "This will issue %(count)s invoices totalling %(total)s %(currency)s for past periods "
        "(%(first)s to %(last)s). Tick the box below to confirm.",
        pending.periods,
    ) % {
        "count": number_format(pending.periods, force_grouping=True),
        "total": format_amount(pending.total),
        "currency": currency_symbol(pending.currency),
        "first": date_format(pending.first_start, "DATE_FORMAT"),
        "last": date_format(pending.until, "DATE_FORMAT"),
    }


class ContractTerminateForm(forms.Form):
    termination_reason = forms.CharField(
        label=_("Why is the contract terminated?"),
        max_length=bounds.SHORT_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The relationship with the customer goes on; only this contract ends."),
    )


class InvoiceForm(ConcurrentEditMixin, CurrencyFormMixin, forms.ModelForm):
    class Meta:
        model = Invoice
        fields = ["number", "contract", "issue_date", "due_date", "amount", "currency"]
        widgets = {"issue_date": DATE_WIDGET, "due_date": DATE_WIDGET}
        field_classes = {"issue_date": DateField, "due_date": DateField}

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.customer = customer
        self._default_currency()
        self.fields["contract"].queryset = customer.contracts.all()


class PaymentForm(CurrencyFormMixin, forms.ModelForm):
    class Meta:
        model = Payment
        fields = ["amount", "currency", "paid_on", "method", "reference"]
        widgets = {"paid_on": DATE_WIDGET}
        field_classes = {"paid_on": DateField}

    def __init__(self, *args, invoice, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("currency", invoice.currency)
            self.initial.setdefault("amount", invoice.balance)


class WriteOffForm(forms.Form):
    write_off_reason = forms.CharField(
        label=_("Why is the invoice written off?"),
        max_length=bounds.SHORT_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PayoutForm(ConcurrentEditMixin, CurrencyFormMixin, forms.ModelForm):
    class Meta:
        model = Payout
        fields = ["kind", "amount", "currency", "reason"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._default_currency()
        self.fields["amount"].help_text = _(
            "Above %(threshold)s (in the payout's currency) a manager approves it first."
        ) % {"threshold": settings.PAYOUT_APPROVAL_THRESHOLD}

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("The amount must be greater than zero."))
        return amount


class PayoutRejectForm(forms.Form):
    rejection_reason = forms.CharField(
        label=_("Why is the payout rejected?"),
        max_length=bounds.SHORT_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AssetForm(ConcurrentEditMixin, forms.ModelForm):
    class Meta:
        model = Asset
        fields = [
            "name",
            "model",
            "serial_number",
            "installed_on",
            "location",
            "contract",
            "status",
        ]
        widgets = {"installed_on": DATE_WIDGET}
        field_classes = {"installed_on": DateField}

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.customer = customer
        self.fields["contract"].queryset = customer.contracts.all()


class DocumentForm(ConcurrentEditMixin, forms.ModelForm):
    class Meta:
        model = Document
        fields = ["file", "title", "contract", "invoice", "asset"]

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.customer = customer
        self.fields["title"].required = False
        self.fields["title"].help_text = _("Leave empty to use the file name.")
        self.fields["contract"].queryset = customer.contracts.all()
        self.fields["invoice"].queryset = customer.invoices.all()
        self.fields["asset"].queryset = customer.assets.all()
        self.fields["file"].help_text = _("Up to %(size)s: %(types)s.") % {
            "size": filesizeformat(settings.DOCUMENT_MAX_SIZE),
            "types": ", ".join(sorted(settings.DOCUMENT_ALLOWED_TYPES)),
        }

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        document_file_check(uploaded)
        return uploaded
