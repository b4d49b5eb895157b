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
from django.utils.translation import gettext_lazy, ngettext

from core.money import currency_symbol, format_amount
from customers.models import Customer, normalize_tax_id
from relationships.models import Invoice, Payment
from relationships.services import invoice_create, payment_check, payment_register

from .. import parsing
from ..permissions import IMPORT_FINANCE
from .base import CleanRow, Field, ImportKind, model_errors, touched_since, undo_refused

CUSTOMER_TAX_ID = Field(
    "customer_tax_id",
    gettext_lazy("customer's tax id"),
    (
        "tax id",
        "tax number",
        "vat id",
        "vat number",
        "nip",
        "nip klienta",
        "nip nabywcy",
        "nip kontrahenta",
        "ičo",
        "ič",
        "ičo odběratele",
        "ič odběratele",
        "dič",
        "dič odběratele",
        "inn",
        "инн",
        "инн покупателя",
        "инн контрагента",
    ),
)
CUSTOMER_NAME = Field(
    "customer_name",
    gettext_lazy("customer's name"),
    (
        "customer",
        "customer name",
        "client",
        "client name",
        "buyer",
        "nabywca",
        "nazwa nabywcy",
        "klient",
        "nazwa klienta",
        "kontrahent",
        "nazwa kontrahenta",
        "odběratel",
        "název odběratele",
        "zákazník",
        "firma",
        "покупатель",
        "клиент",
        "контрагент",
        "наименование покупателя",
        "наименование контрагента",
    ),
)
# Punctuation is dropped and "№" folds to "no" (parsing.fold): "Invoice #" is "invoice".
INVOICE_NUMBER_SYNONYMS = (
    "invoice",
    "invoice number",
    "invoice no",
    "number",
    "numer faktury",
    "nr faktury",
    "faktura",
    "faktura nr",
    "numer dokumentu",
    "nr dokumentu",
    "číslo faktury",
    "faktura č",
    "číslo dokladu",
    "doklad",
    "номер счета",
    "номер счёта",
    "счет",
    "счёт",
    "счёт №",
    "номер документа",
)
CURRENCY = Field(
    "currency",
    gettext_lazy("currency"),
    ("currency code", "waluta", "kod waluty", "měna", "mena", "kód měny", "валюта", "код валюты"),
)
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
    """The model's own checks of a row, as a ModelForm runs them: a field whose cell could not
    be read is left empty and out of them, so a check comparing it with another field (a due
    date before the issue date) does not report a second, spurious error for it."""
    fields = {f.name for f in instance._meta.concrete_fields} - set(exclude)
    failed = [name for name in row.errors if name in fields]
    for name in failed:
        setattr(instance, name, None)
    try:
        instance.full_clean(exclude=[*exclude, *failed], validate_constraints=False)
    except ValidationError as error:
        for name, errors in error.message_dict.items():
            row.errors.setdefault(name, " ".join(errors))


def _add_errors(row, error):
    for name, message in model_errors(error).items():
        row.errors.setdefault(name, message)


def _earlier_rows(batch, key, values):
    """The values of the batch's rows read so far (earlier chunks) whose `key` is one of
    `values`: rows with errors keep no values, so only the rows the run will write count."""
    if not values:
        return []
    return batch.rows.filter(**{f"values__{key}__in": sorted(values)}).values_list(
        "values", flat=True
    )


def _check_customers_and_numbers(cleaned, *, batch):
    """For invoices and contracts, what the run would refuse that one row cannot tell: a
    customer the importing user cannot find (or several of them), a number an earlier row of
    the file takes. The same look-up as the run's (`_find_customer`), once per customer key."""
    user = batch.created_by
    numbers = {clean.values.get("number") for clean in cleaned} - {"", None}
    taken = {values["number"] for values in _earlier_rows(batch, "number", numbers)}
    found = {}
    for clean in cleaned:
        values = clean.values
        if values.get("customer_tax_id") or values.get("customer_name"):
            key = (
                values["customer_tax_id"],
                "" if values["customer_tax_id"] else values["customer_name"],
            )
            if key not in found:
                try:
                    found[key] = _find_customer(values, user)
                except ValidationError as error:
                    found[key] = error
            if isinstance(found[key], ValidationError):
                _add_errors(clean, found[key])
        number = values.get("number")
        if number and number in taken:
            clean.errors.setdefault("number", _("An earlier row of this file has this number."))
        elif number and not clean.errors:
            taken.add(number)


class InvoiceImport(ImportKind):
    key = "invoices"
    label = gettext_lazy("Invoices (open balances)")
    permission = IMPORT_FINANCE
    undo_text = gettext_lazy(
        "Undo removes the invoices this import created and the payments recorded with them, as "
        "long as nobody has changed them since and they have no other payments."
    )
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
                "date issued",
                "date",
                "data",
                "data wystawienia",
                "data faktury",
                "datum",
                "datum vystavení",
                "vystaveno",
                "дата",
                "дата выставления",
                "дата счета",
                "дата документа",
            ),
        ),
        Field(
            "due_date",
            gettext_lazy("due date"),
            (
                "due",
                "payment due",
                "due on",
                "termin płatności",
                "termin zapłaty",
                "płatne do",
                "splatnost",
                "datum splatnosti",
                "splatno",
                "срок оплаты",
                "срок платежа",
                "оплатить до",
            ),
            required=True,
        ),
        Field(
            "amount",
            gettext_lazy("amount"),
            (
                "total",
                "total amount",
                "gross",
                "gross amount",
                "invoice amount",
                "kwota",
                "kwota brutto",
                "brutto",
                "wartość",
                "wartość brutto",
                "razem brutto",
                "částka",
                "částka s dph",
                "celkem",
                "celkem s dph",
                "сумма",
                "сумма счета",
                "сумма с ндс",  # noqa: RUF001
                "итого",
            ),
            required=True,
        ),
        CURRENCY,
        Field(
            "paid_amount",
            gettext_lazy("paid"),
            (
                "paid amount",
                "amount paid",
                "zapłacono",
                "wpłacono",
                "kwota zapłacona",
                "zapłacona kwota",
                "zaplaceno",
                "uhrazeno",
                "uhrazená částka",
                "оплачено",
                "сумма оплаты",
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

    def check(self, cleaned, *, batch):
        _check_customers_and_numbers(cleaned, batch=batch)

    def created_text(self, count):
        return ngettext("%(count)s invoice created", "%(count)s invoices created", count)

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
    undo_text = gettext_lazy(
        "Undo removes the payments this import recorded and takes their amounts back off their "
        "invoices, as long as nobody has changed them since."
    )
    fields = (
        Field(
            "invoice_number", gettext_lazy("invoice number"), INVOICE_NUMBER_SYNONYMS, required=True
        ),
        Field(
            "amount",
            gettext_lazy("amount"),
            (
                "payment amount",
                "amount paid",
                "kwota",
                "kwota wpłaty",
                "kwota zapłaty",
                "kwota płatności",
                "wpłata",
                "částka",
                "částka platby",
                "částka úhrady",
                "platba",
                "сумма",
                "сумма платежа",
                "сумма оплаты",
            ),
            required=True,
        ),
        CURRENCY,
        Field(
            "paid_on",
            gettext_lazy("paid on"),
            (
                "date",
                "payment date",
                "date paid",
                "data",
                "data zapłaty",
                "data wpłaty",
                "data płatności",
                "data operacji",
                "data księgowania",
                "datum",
                "datum platby",
                "datum úhrady",
                "datum zaplacení",
                "datum pohybu",
                "дата",
                "дата оплаты",
                "дата платежа",
                "дата поступления",
            ),
            required=True,
        ),
        Field(
            "method",
            gettext_lazy("method"),
            (
                "payment method",
                "forma płatności",
                "sposób płatności",
                "metoda płatności",
                "způsob platby",
                "způsob úhrady",
                "forma úhrady",
                "способ оплаты",
                "форма оплаты",
            ),
        ),
        Field(
            "reference",
            gettext_lazy("reference"),
            (
                "description",
                "memo",
                "tytuł",
                "tytuł przelewu",
                "tytuł płatności",
                "opis",
                "opis operacji",
                "variabilní symbol",
                "zpráva pro příjemce",
                "poznámka",
                "назначение платежа",
                "комментарий",
            ),
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

    def check(self, cleaned, *, batch):
        """What payment_register would refuse, asked of the same checks (`payment_check`): an
        invoice the user cannot see, another currency, a date in the future, and overpaying,
        with what the file's earlier rows pay on the same invoice taken off its balance."""
        numbers = {clean.values.get("invoice_number") for clean in cleaned} - {"", None}
        invoices = _invoices(numbers, batch.created_by)
        paid = {}
        for values in _earlier_rows(batch, "invoice_number", numbers):
            number = values["invoice_number"]
            paid[number] = paid.get(number, Decimal(0)) + Decimal(values["amount"])
        for clean in cleaned:
            values = clean.values
            invoice = invoices.get(values.get("invoice_number"))
            if invoice is None:
                clean.errors.setdefault("invoice_number", _no_invoice())
                continue
            earlier = paid.get(invoice.number, Decimal(0))
            try:
                payment_check(
                    invoice=invoice,
                    amount=values.get("amount"),
                    currency=values.get("currency") or invoice.currency,
                    paid_on=values.get("paid_on"),
                    balance=invoice.balance - earlier,
                )
            except ValidationError as error:
                errors = model_errors(error)
                if earlier and "amount" in errors:
                    errors["amount"] += " " + _(
                        "Earlier rows of this file pay %(amount)s %(currency)s of it."
                    ) % {
                        "amount": format_amount(earlier),
                        "currency": currency_symbol(invoice.currency),
                    }
                for name, message in errors.items():
                    clean.errors.setdefault(name, message)
            if not clean.errors:
                paid[invoice.number] = earlier + values["amount"]

    def created_text(self, count):
        return ngettext("%(count)s payment recorded", "%(count)s payments recorded", count)

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
        invoices = _invoices({row.values.get("invoice_number") for row in rows} - {None}, user)
        for row in rows:
            if row.errors:
                row.outcome = row.Outcome.REJECTED
                row.message = self.errors_text(row.errors, captions)
                continue
            if row.action == row.Action.SKIP:
                row.outcome, row.message = row.Outcome.SKIPPED, _("Skipped as chosen.")
                continue
            values = self.load(row.values)
            invoice = invoices.get(values["invoice_number"])
            if invoice is None:
                row.outcome, row.message = row.Outcome.REJECTED, _no_invoice()
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
    """The row's customer among those `user` sees: by tax id, else by exact name; a
    ValidationError beside the column that named it when there is none, or several."""
    customers = Customer.objects.visible_to(user)
    if values.get("customer_tax_id"):
        field = "customer_tax_id"
        found = list(customers.filter(tax_id=values["customer_tax_id"])[:2])
    else:
        field = "customer_name"
        found = list(customers.filter(display_name__iexact=values["customer_name"])[:2])
    if len(found) != 1:
        raise ValidationError(
            {
                field: _("No customer you can see has this tax id or name.")
                if not found
                else _("Several customers have this name; give the tax id.")
            }
        )
    return found[0]


def _invoices(numbers, user):
    """Invoice number → the invoice `user` sees with it (numbers are unique)."""
    found = Invoice.objects.visible_to(user).filter(number__in=sorted(numbers))
    return {invoice.number: invoice for invoice in found}


def _no_invoice():
    return _("No invoice with this number that you can see.")


def _refusal(error):
    if isinstance(error, PermissionDenied):
        return _("You may not do this for this customer.")
    return " ".join(error.messages)[:500]


def _refused():
    return undo_refused()
