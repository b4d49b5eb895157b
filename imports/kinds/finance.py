"""Open balances a finance team migrates: invoices (with what was already paid on them) and
payments linked to invoices by number.

Volumes are small next to customers, so each row goes through the services the pages use
(relationships.services.invoice_create, payment_register: their checks, their row locks), in
a savepoint of its own inside the run's transaction: a refused row is rejected, the rest go in.
An invoice's customer is found by tax id, else by its exact name, among the customers the
importing user sees.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer, normalize_tax_id
from relationships.models import Invoice, Payment
from relationships.services import invoice_create, payment_register

from .. import parsing
from ..permissions import IMPORT_FINANCE
from .base import CleanRow, Field, ImportKind, touched_since

CUSTOMER_TAX_ID = Field(
    "customer_tax_id",
    gettext_lazy("customer's tax id"),
    (
        "tax id",
        "nip",
        "nip klienta",
        "nip nabywcy",
        "ičo",
        "ico",
        "dič",
        "inn",
        "инн",
        "инн покупателя",
    ),
)
CUSTOMER_NAME = Field(
    "customer_name",
    gettext_lazy("customer's name"),
    (
        "customer",
        "client",
        "buyer",
        "nabywca",
        "klient",
        "kontrahent",
        "odběratel",
        "zákazník",
        "покупатель",
        "клиент",
        "контрагент",
    ),
)
INVOICE_NUMBER_SYNONYMS = (
    "invoice",
    "invoice number",
    "invoice no",
    "number",
    "numer faktury",
    "nr faktury",
    "faktura",
    "číslo faktury",
    "faktura č",
    "номер счета",
    "счет",
    "счёт",
    "номер счёта",
)
CURRENCY = Field("currency", gettext_lazy("currency"), ("waluta", "měna", "mena", "валюта"))
METHODS = {
    Payment.Method.BANK_TRANSFER: ("transfer", "przelew", "převod", "prevod", "перевод"),
    Payment.Method.CARD: ("karta", "karta płatnicza", "карта"),
    Payment.Method.CASH: ("gotówka", "gotowka", "hotovost", "наличные"),
}


def _decimal(values, errors, name, text):
    try:
        values[name] = parsing.parse_decimal(text)
    except ValueError as error:
        errors[name] = str(error)


def _date(values, errors, name, text):
    try:
        values[name] = parsing.parse_date(text)
    except ValueError as error:
        errors[name] = str(error)


def _texts(cells):
    return {name: str(value).strip() for name, value in cells.items() if str(value).strip()}


def _customer_and_number(text, row) -> dict:
    """The columns every finance row starts with: whose it is (tax id or name) and its number."""
    if not text.get("customer_tax_id") and not text.get("customer_name"):
        row.errors["customer_name"] = _("Give the customer's tax id or name.")
    return {
        "customer_tax_id": normalize_tax_id(text.get("customer_tax_id", "")),
        "customer_name": text.get("customer_name", "")[:200],
        "number": text.get("number", ""),
    }


def _json(values):
    return {k: (v.isoformat() if hasattr(v, "isoformat") else str(v)) for k, v in values.items()}


def _check_model(row, instance, exclude):
    try:
        instance.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as error:
        for name, errors in error.message_dict.items():
            row.errors.setdefault(name, " ".join(errors))


class InvoiceImport(ImportKind):
    key = "invoices"
    label = gettext_lazy("Invoices (open balances)")
    permission = IMPORT_FINANCE
    fields = (
        CUSTOMER_TAX_ID,
        CUSTOMER_NAME,
        Field("number", gettext_lazy("invoice number"), INVOICE_NUMBER_SYNONYMS, required=True),
        Field(
            "issue_date",
            gettext_lazy("issue date"),
            (
                "issued",
                "invoice date",
                "data wystawienia",
                "datum vystavení",
                "дата выставления",
                "дата счета",
            ),
        ),
        Field(
            "due_date",
            gettext_lazy("due date"),
            (
                "due",
                "payment due",
                "termin płatności",
                "termin zapłaty",
                "splatnost",
                "datum splatnosti",
                "срок оплаты",
            ),
            required=True,
        ),
        Field(
            "amount",
            gettext_lazy("amount"),
            (
                "total",
                "gross",
                "kwota",
                "kwota brutto",
                "brutto",
                "wartość",
                "částka",
                "celkem",
                "сумма",
                "сумма счета",
            ),
            required=True,
        ),
        CURRENCY,
        Field(
            "paid_amount",
            gettext_lazy("paid"),
            (
                "paid amount",
                "zapłacono",
                "wpłacono",
                "kwota zapłacona",
                "zaplaceno",
                "uhrazeno",
                "оплачено",
            ),
        ),
    )

    def clean(self, cells, *, batch) -> CleanRow:
        row, text = CleanRow(), _texts(cells)
        values = _customer_and_number(text, row)
        values["currency"] = text.get("currency", settings.DEFAULT_CURRENCY).upper()
        values["issue_date"] = timezone.localdate()
        for name in ("issue_date", "due_date"):
            if name in text:
                _date(values, row.errors, name, text[name])
        for name in ("amount", "paid_amount"):
            if name in text:
                _decimal(values, row.errors, name, text[name])
        paid = values.get("paid_amount", Decimal(0))
        if paid < 0 or ("amount" in values and paid > values["amount"]):
            row.errors.setdefault("paid_amount", _("Between zero and the invoice's amount."))
        invoice = Invoice(**{k: v for k, v in values.items() if k in INVOICE_FIELDS})
        _check_model(row, invoice, exclude=["customer", "contract", "paid_amount"])
        row.values = values
        return row

    def dump(self, values):
        return _json(values)

    def load(self, values):
        return {
            **values,
            **{k: parsing.parse_date(values[k]) for k in ("issue_date", "due_date") if k in values},
            **{k: Decimal(values[k]) for k in ("amount", "paid_amount") if k in values},
        }

    def run(self, rows, *, batch):
        user = batch.created_by
        captions = self.captions(batch)  # a rejected row's reason names the user's columns
        for row in rows:
            if row.errors:
                row.outcome = row.Outcome.REJECTED
                row.message = self.errors_text(row.errors, captions)
                continue
            if row.action == row.Action.SKIP:
                row.outcome, row.message = row.Outcome.SKIPPED, _("Skipped as chosen.")
                continue
            values = self.load(row.values)
            try:
                with transaction.atomic():
                    customer = _find_customer(values, user)
                    invoice = invoice_create(
                        customer=customer,
                        by=user,
                        **{k: v for k, v in values.items() if k in INVOICE_FIELDS},
                    )
                    added = []
                    if values.get("paid_amount"):
                        added.append(
                            payment_register(
                                invoice=invoice,
                                amount=values["paid_amount"],
                                currency=invoice.currency,
                                paid_on=min(invoice.issue_date, timezone.localdate()),
                                method=Payment.Method.OTHER,
                                reference=_("Paid before the import"),
                                by=user,
                            ).pk
                        )
            except (ValidationError, PermissionDenied) as error:
                row.outcome, row.message = row.Outcome.REJECTED, _refusal(error)
                continue
            row.record_id, row.related_ids = invoice.pk, added
            row.outcome, row.message = row.Outcome.CREATED, ""

    def undo(self, batch):
        rows = batch.rows.filter(outcome="created")
        invoices = list(rows.values_list("record_id", flat=True))
        ours = [pk for ids in rows.values_list("related_ids", flat=True) for pk in ids]
        since = batch.finished_at
        if (
            touched_since(Invoice, invoices, since)
            or touched_since(Payment, ours, since)
            or Payment.objects.filter(invoice__in=invoices).exclude(pk__in=ours).exists()
        ):
            raise ValidationError(_refused())
        Payment.objects.filter(pk__in=ours).delete()
        Invoice.objects.filter(pk__in=invoices).delete()


INVOICE_FIELDS = ("number", "issue_date", "due_date", "amount", "currency")


class PaymentImport(ImportKind):
    key = "payments"
    label = gettext_lazy("Payments of invoices")
    permission = IMPORT_FINANCE
    fields = (
        Field(
            "invoice_number", gettext_lazy("invoice number"), INVOICE_NUMBER_SYNONYMS, required=True
        ),
        Field(
            "amount",
            gettext_lazy("amount"),
            ("kwota", "wpłata", "částka", "platba", "сумма", "сумма платежа"),
            required=True,
        ),
        CURRENCY,
        Field(
            "paid_on",
            gettext_lazy("paid on"),
            (
                "date",
                "payment date",
                "data",
                "data wpłaty",
                "data płatności",
                "datum platby",
                "datum úhrady",
                "дата",
                "дата оплаты",
                "дата платежа",
            ),
            required=True,
        ),
        Field(
            "method",
            gettext_lazy("method"),
            ("forma płatności", "sposób płatności", "způsob platby", "способ оплаты"),
        ),
        Field(
            "reference",
            gettext_lazy("reference"),
            ("tytuł", "tytuł przelewu", "opis", "variabilní symbol", "назначение платежа"),
        ),
    )

    def clean(self, cells, *, batch) -> CleanRow:
        row, text, values = CleanRow(), _texts(cells), {}
        values["invoice_number"] = text.get("invoice_number", "")
        values["currency"] = text.get("currency", "").upper()
        values["reference"] = text.get("reference", "")
        if "amount" in text:
            _decimal(values, row.errors, "amount", text["amount"])
        if "paid_on" in text:
            _date(values, row.errors, "paid_on", text["paid_on"])
        values["method"] = Payment.Method.OTHER
        if "method" in text:
            folded = parsing.fold(text["method"])
            for method, label in Payment.Method.choices:
                if folded in (parsing.fold(method), parsing.fold(label), *METHODS.get(method, ())):
                    values["method"] = method
        payment = Payment(
            **{k: v for k, v in values.items() if k in ("amount", "paid_on", "reference")},
            method=values["method"],
            currency=values["currency"] or settings.DEFAULT_CURRENCY,
        )
        _check_model(row, payment, exclude=["invoice", "customer", "recorded_by"])
        row.values = values
        return row

    def dump(self, values):
        return _json(values)

    def load(self, values):
        return {
            **values,
            "amount": Decimal(values["amount"]),
            "paid_on": parsing.parse_date(values["paid_on"]),
        }

    def run(self, rows, *, batch):
        user = batch.created_by
        captions = self.captions(batch)  # a rejected row's reason names the user's columns
        for row in rows:
            if row.errors:
                row.outcome = row.Outcome.REJECTED
                row.message = self.errors_text(row.errors, captions)
                continue
            if row.action == row.Action.SKIP:
                row.outcome, row.message = row.Outcome.SKIPPED, _("Skipped as chosen.")
                continue
            values = self.load(row.values)
            invoice = Invoice.objects.visible_to(user).filter(number=values["invoice_number"])
            invoice = invoice.first()
            if invoice is None:
                row.outcome = row.Outcome.REJECTED
                row.message = _("No invoice with this number that you can see.")
                continue
            try:
                with transaction.atomic():
                    payment = payment_register(
                        invoice=invoice,
                        amount=values["amount"],
                        currency=values["currency"] or invoice.currency,
                        paid_on=values["paid_on"],
                        method=values["method"],
                        reference=values["reference"],
                        by=user,
                    )
            except (ValidationError, PermissionDenied) as error:
                row.outcome, row.message = row.Outcome.REJECTED, _refusal(error)
                continue
            row.record_id, row.outcome, row.message = payment.pk, row.Outcome.CREATED, ""

    def undo(self, batch):
        payments = list(batch.rows.filter(outcome="created").values_list("record_id", flat=True))
        if touched_since(Payment, payments, batch.finished_at):
            raise ValidationError(_refused())
        # What payment_register added to each invoice's paid amount, taken back under its lock.
        for payment in Payment.objects.filter(pk__in=payments).select_related("invoice"):
            Invoice.objects.select_for_update().filter(pk=payment.invoice_id).first()
            Invoice.objects.filter(pk=payment.invoice_id).update(
                paid_amount=F("paid_amount") - payment.amount
            )
            payment.delete()


def _find_customer(values, user):
    customers = Customer.objects.visible_to(user)
    if values.get("customer_tax_id"):
        found = list(customers.filter(tax_id=values["customer_tax_id"])[:2])
    else:
        found = list(customers.filter(display_name__iexact=values["customer_name"])[:2])
    if len(found) != 1:
        raise ValidationError(
            _("No customer you can see has this tax id or name.")
            if not found
            else _("Several customers have this name; give the tax id.")
        )
    return found[0]


def _refusal(error):
    if isinstance(error, PermissionDenied):
        return _("You may not do this for this customer.")
    return " ".join(error.messages)[:500]


def _refused():
    return _(
        "This import cannot be undone: some of its records were changed since, or have new records."
    )
