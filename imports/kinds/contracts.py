"""Contracts a finance team migrates with its open balances, modelled on the invoices kind.

Each row goes through relationships.services.contract_create (and contract_sign when the file
gives a signed date) in a savepoint of its own inside the run's transaction: a refused row is
rejected, the rest go in. The customer is found by tax id, else by its exact name, among the
customers the importing user sees.

Back-billing: an imported contract is never confirmed for back-billing. A signed recurring
contract whose periods started by the day of the import would be billed by recurring billing on
its own (at most BILLING_MAX_PERIODS_PER_RUN of them, without anyone confirming) is rejected
with a message saying so; with more than that, billing holds them itself until a person confirms
them on the contract's page, which the row's message says.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from relationships.models import Contract, Invoice
from relationships.services import contract_create
from relationships.services.billing import unbilled_periods

from .. import parsing
from ..permissions import IMPORT_FINANCE
from .base import CleanRow, Field, ImportKind, touched_since
from .finance import (
    CURRENCY,
    CUSTOMER_NAME,
    CUSTOMER_TAX_ID,
    _check_customers_and_numbers,
    _check_model,
    _customer_and_number,
    _date,
    _decimal,
    _find_customer,
    _json,
    _refusal,
    _refused,
    _texts,
)

DATES = ("start_date", "end_date", "signed_on")
# What contract_create takes from a row (CONTRACT_EDITABLE_FIELDS).
CONTRACT_FIELDS = (
    "number",
    "title",
    "product",
    "value",
    "currency",
    "billing_period",
    "start_date",
    "end_date",
)
# A file's words for each billing period, beside the choices' own values and labels.
PERIODS = {
    Contract.BillingPeriod.ONE_OFF: (
        "once",
        "one time",
        "jednorazowo",
        "jednorazowa",
        "jednorázově",
        "jednorázová",
        "разово",
        "единовременно",
        "разовый",
    ),
    Contract.BillingPeriod.MONTHLY: (
        "month",
        "miesięcznie",
        "miesięczna",
        "měsíčně",
        "měsíční",
        "ежемесячно",
        "ежемесячный",
    ),
    Contract.BillingPeriod.QUARTERLY: (
        "quarter",
        "kwartalnie",
        "kwartalna",
        "čtvrtletně",
        "čtvrtletní",
        "ежеквартально",
        "ежеквартальный",
    ),
    Contract.BillingPeriod.YEARLY: (
        "year",
        "annual",
        "annually",
        "rocznie",
        "roczna",
        "ročně",
        "roční",
        "ежегодно",
        "ежегодный",
    ),
}


def _billing_period(text):
    folded = parsing.fold(text)
    for period, label in Contract.BillingPeriod.choices:
        words = (period, label, *PERIODS.get(period, ()))
        if folded in {parsing.fold(word) for word in words}:
            return period
    return None


class ContractImport(ImportKind):
    key = "contracts"
    label = gettext_lazy("Contracts")
    permission = IMPORT_FINANCE
    undo_text = gettext_lazy(
        "Undo removes the contracts this import created, as long as nobody has changed them "
        "since and no invoice points at them."
    )
    fields = (
        CUSTOMER_TAX_ID,
        CUSTOMER_NAME,
        Field(
            "number",
            gettext_lazy("contract number"),
            (
                "contract",
                "contract no",
                "number",
                "numer umowy",
                "nr umowy",
                "umowa",
                "číslo smlouvy",
                "smlouva",
                "номер договора",
                "договор",
            ),
            required=True,
        ),
        Field(
            "title",
            gettext_lazy("title"),
            (
                "name",
                "subject",
                "tytuł",
                "przedmiot",
                "przedmiot umowy",
                "název",
                "předmět",
                "předmět smlouvy",
                "название",
                "предмет",
                "предмет договора",
            ),
        ),
        Field(
            "product",
            gettext_lazy("product or service"),
            ("product", "service", "produkt", "usługa", "služba", "продукт", "услуга"),
        ),
        Field(
            "value",
            gettext_lazy("value"),
            (
                "amount",
                "wartość",
                "wartość umowy",
                "kwota",
                "hodnota",
                "částka",
                "стоимость",
                "сумма",
                "сумма договора",
            ),
            required=True,
        ),
        CURRENCY,
        Field(
            "billing_period",
            gettext_lazy("billing period"),
            (
                "billing",
                "recurrence",
                "okres rozliczeniowy",
                "fakturowanie",
                "fakturace",
                "periodicita",
                "период оплаты",
                "периодичность",
            ),
        ),
        Field(
            "start_date",
            gettext_lazy("start date"),
            (
                "start",
                "from",
                "valid from",
                "data rozpoczęcia",
                "data od",
                "obowiązuje od",
                "platnost od",
                "datum začátku",
                "дата начала",
                "действует с",  # noqa: RUF001
            ),
            required=True,
        ),
        Field(
            "end_date",
            gettext_lazy("end date"),
            (
                "end",
                "until",
                "valid until",
                "data zakończenia",
                "data do",
                "obowiązuje do",
                "platnost do",
                "datum konce",
                "дата окончания",
                "действует до",
            ),
        ),
        Field(
            "signed_on",
            gettext_lazy("signed on"),
            (
                "signed",
                "signature date",
                "data podpisania",
                "podpisano",
                "datum podpisu",
                "podepsáno",
                "дата подписания",
                "подписан",
            ),
        ),
    )

    def clean(self, cells, *, batch) -> CleanRow:
        row, text = CleanRow(), _texts(cells)
        values = _customer_and_number(text, row)
        # The model needs both; a file usually has one of them.
        values["title"] = text.get("title") or text.get("product", "")
        values["product"] = text.get("product") or text.get("title", "")
        values["currency"] = text.get("currency", settings.DEFAULT_CURRENCY).upper()
        values["billing_period"] = Contract.BillingPeriod.ONE_OFF
        if "billing_period" in text:
            period = _billing_period(text["billing_period"])
            if period is None:
                row.errors["billing_period"] = _(
                    "Not a billing period: one-off, monthly, quarterly or yearly."
                )
            else:
                values["billing_period"] = period
        for name in DATES:
            if name in text:
                _date(values, row.errors, name, text[name])
        if "value" in text:
            _decimal(values, row.errors, "value", text["value"])
        contract = Contract(
            **{k: v for k, v in values.items() if k in (*CONTRACT_FIELDS, "signed_on")}
        )
        _check_model(row, contract, exclude=["customer", "relationship", "status"])
        row.values = values
        return row

    def check(self, cleaned, *, batch):
        _check_customers_and_numbers(cleaned, batch=batch)

    def created_text(self, count):
        return ngettext("%(count)s contract created", "%(count)s contracts created", count)

    def dump(self, values):
        return _json(values)

    def load(self, values):
        return {
            **values,
            **{k: parsing.parse_date(values[k]) for k in DATES if k in values},
            **({"value": Decimal(values["value"])} if "value" in values else {}),
        }

    def run(self, rows, *, batch):
        user, today = batch.created_by, timezone.localdate()
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
                    contract = contract_create(
                        customer=_find_customer(values, user),
                        by=user,
                        signed_on=values.get("signed_on"),
                        confirm_backbilling=False,
                        **{k: v for k, v in values.items() if k in CONTRACT_FIELDS},
                    )
                    message = _backbilling(contract, today=today)
            except (ValidationError, PermissionDenied) as error:
                row.outcome, row.message = row.Outcome.REJECTED, _refusal(error)
                continue
            row.record_id, row.outcome, row.message = contract.pk, row.Outcome.CREATED, message

    def undo(self, batch):
        contracts = list(batch.rows.filter(outcome="created").values_list("record_id", flat=True))
        if (
            touched_since(Contract, contracts, batch.finished_at)
            or Invoice.objects.filter(contract__in=contracts).exists()
        ):
            raise ValidationError(_refused())
        Contract.objects.filter(pk__in=contracts).delete()


def _backbilling(contract, *, today):
    """The row's message about the periods that started before the import day; a
    ValidationError (the row is rejected) when recurring billing would invoice them on its own."""
    if contract.status != Contract.Status.ACTIVE or not contract.is_recurring:
        return ""
    periods = [p for p in unbilled_periods(contract, today=today) if p[0] < today]
    if not periods:
        return ""
    count, start = len(periods), date_format(periods[0][0], "SHORT_DATE_FORMAT")
    named = {"count": count, "start": start}
    if count <= settings.BILLING_MAX_PERIODS_PER_RUN:
        raise ValidationError(
            ngettext(
                "Recurring billing would invoice %(count)s period from %(start)s, started before "
                "the import, at its next run without anyone confirming it. Enter this contract "
                "by hand.",
                "Recurring billing would invoice %(count)s periods from %(start)s, started "
                "before the import, at its next run without anyone confirming them. Enter this "
                "contract by hand.",
                count,
            )
            % named
        )
    return (
        ngettext(
            "%(count)s period from %(start)s, started before the import, is not billed until a "
            "person confirms it on the contract's page.",
            "%(count)s periods from %(start)s, started before the import, are not billed until "
            "a person confirms them on the contract's page.",
            count,
        )
        % named
    )
