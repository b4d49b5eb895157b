"""Contracts of the current relationship, their invoices and payments, payouts and the
equipment installed at the customer.

Signed contracts only in an active current relationship (so their customer is active);
recurring ones get one invoice per started period (relationships.services.billing_periods), and
their terms keep that to at most MAX_PERIODS (12), so the billing job finds nothing left to bill.
Payments add up to each invoice's paid amount.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings

from relationships.models import Asset, Contract, Payment, Payout, Relationship
from relationships.services import billing_periods

from .drafts import WORKDAY_END, WORKDAY_START
from .identifiers import permute
from .tables import ASSETS, CONTRACTS, INVOICES, PAYMENTS, PAYOUTS
from .values import add_months, money, weighted

# (title, product, monthly value in PLN: low, high).
PRODUCTS = {
    "PL": (
        ("Umowa serwisowa", "Serwis i konserwacja urządzeń", 300, 2500),
        ("Abonament na oprogramowanie", "Licencja CRM w chmurze", 150, 1800),
        ("Outsourcing IT", "Wsparcie informatyczne", 800, 6000),
        ("Dostawy materiałów", "Materiały eksploatacyjne", 200, 3000),
        ("Wynajem sprzętu", "Wynajem drukarek i skanerów", 250, 1500),
    ),
    "CZ": (
        ("Servisní smlouva", "Servis a údržba zařízení", 300, 2500),
        ("Předplatné softwaru", "Licence CRM v cloudu", 150, 1800),
        ("Outsourcing IT", "IT podpora", 800, 6000),
        ("Dodávky materiálu", "Spotřební materiál", 200, 3000),
        ("Pronájem techniky", "Pronájem tiskáren a skenerů", 250, 1500),
    ),
    "GB": (
        ("Service agreement", "Equipment service and maintenance", 300, 2500),
        ("Software subscription", "Cloud CRM licence", 150, 1800),
        ("Managed IT", "IT support", 800, 6000),
        ("Supplies", "Consumables", 200, 3000),
        ("Equipment rental", "Printer and scanner rental", 250, 1500),
    ),
}
# Monthly PLN values convert roughly; nobody bills 1234.56 EUR per month from a PLN price list.
CURRENCY_FACTOR = {"PLN": 1.0, "EUR": 0.25, "CZK": 6.0}
TERMINATION_REASONS = {
    "PL": ("Klient rezygnuje z usługi.", "Zmiana dostawcy.", "Zaległości w płatnościach."),
    "CZ": ("Zákazník ruší službu.", "Změna dodavatele.", "Neplacení faktur."),
    "GB": ("Customer cancelled the service.", "Switched supplier.", "Unpaid invoices."),
}
WRITE_OFF_REASONS = {
    "PL": ("Dług nieściągalny.", "Firma w upadłości.", "Koszt windykacji przewyższa dług."),
    "CZ": ("Nedobytná pohledávka.", "Firma v insolvenci.", "Vymáhání by stálo víc než dluh."),
    "GB": ("Uncollectable debt.", "Company in insolvency.", "Collection would cost more."),
}
PAYOUT_REASONS = {
    "refund": ("Overpaid invoice refunded.", "Returned goods.", "Cancelled order refunded."),
    "claim": ("Compensation for a delayed delivery.", "Service outage credit."),
    "bonus": ("Annual loyalty bonus.", "Referral bonus."),
}
REJECTION_REASONS = (
    "Not covered by the contract.",
    "Claim not substantiated.",
    "Duplicate request.",
)
EQUIPMENT = (
    ("Printer", "HP LaserJet M507", "HPL"),
    ("Multifunction printer", "Canon iR-ADV C5840", "CNR"),
    ("Router", "Cisco ISR 1111", "CIS"),
    ("Laptop", "Lenovo ThinkPad T14", "LNV"),
    ("POS terminal", "Ingenico Move/5000", "ING"),
    ("Server", "Dell PowerEdge R650", "DEL"),
    ("Coffee machine", "Jura GIGA X8", "JUR"),
)
LOCATIONS = ("Reception", "Office 1st floor", "Warehouse", "Server room", "Shop floor", "")

# Recurring contracts: periods billed per year's worth of the monthly price.
PERIOD_FACTOR = {
    Contract.BillingPeriod.MONTHLY: 1,
    Contract.BillingPeriod.QUARTERLY: 3,
    Contract.BillingPeriod.YEARLY: 12,
}
PERIOD_DRAW = weighted(
    (
        (Contract.BillingPeriod.MONTHLY, 45),
        (Contract.BillingPeriod.QUARTERLY, 25),
        (Contract.BillingPeriod.YEARLY, 15),
        (Contract.BillingPeriod.ONE_OFF, 15),
    )
)
PAYMENT_METHOD_DRAW = weighted(
    (
        (Payment.Method.BANK_TRANSFER, 70),
        (Payment.Method.CARD, 12),
        (Payment.Method.DIRECT_DEBIT, 12),
        (Payment.Method.CASH, 4),
        (Payment.Method.OTHER, 2),
    )
)
PAYOUT_KIND_DRAW = weighted(
    ((Payout.Kind.REFUND, 5), (Payout.Kind.CLAIM, 3), (Payout.Kind.BONUS, 2))
)
ASSET_STATUS_DRAW = weighted(
    ((Asset.Status.IN_USE, 85), (Asset.Status.UNDER_REPAIR, 10), (Asset.Status.RETIRED, 5))
)
# Invoices per contract at most: monthly terms run a year, open-ended ones started within a
# year (contract_end), which keeps 1M customers within the time budget.
MAX_PERIODS = 12
PAYMENT_TERM_DAYS = settings.INVOICE_PAYMENT_TERM_DAYS


@dataclass(frozen=True, slots=True)
class PlannedContract:
    id: int
    number: str
    title: str
    status: str
    billing_period: str
    start_date: date
    end_date: date | None
    signed_on: date | None
    currency: str
    value: int  # cents


class BillingRows:
    """Contracts, invoices, payments, payouts and assets.

    A part of DataGenerator (generator.py), which holds the state these methods read: `rng`,
    `staff`, `ids`, `today`, `horizon`, `flows`, `finance`, `service` and `approvers`. An
    invoice still unpaid after the grace period gets its case from ProcessRows.collection_case."""

    def moment(self, draft, day, low=WORKDAY_START, high=WORKDAY_END):
        """A time on `day` (days from the first contact), never after the horizon."""
        return min(
            draft.at(day, self.rng.randrange(low, high)), self.horizon - timedelta(minutes=1)
        )

    def contracts(self, draft, batch):
        """Contracts of the current relationship: signed (and billed) ones only when it is
        active, so a customer with a signed contract is always an active customer."""
        rng, today, latest = self.rng, self.today, draft.relationships[-1]
        country = draft.locale.country
        if country == "CZ":
            draft.currency = "CZK" if rng.random() < 0.85 else "EUR"
        elif country == "GB":
            draft.currency = "EUR"
        else:
            draft.currency = "PLN" if rng.random() < 0.92 else "EUR"
        signed = 0
        if latest.status == Relationship.Status.ACTIVE and rng.random() < 0.6:
            signed = rng.choice((1, 1, 1, 1, 1, 1, 2, 2, 2, 3))
        drafts = 0
        if latest.status != Relationship.Status.ENDED:
            prospect = latest.status == Relationship.Status.PROSPECT
            drafts = int(rng.random() < (0.2 if prospect else 0.05))
        for index in range(signed + drafts):
            contract_id = self.ids[CONTRACTS]()
            number = f"C-{draft.id}-{index + 1}"
            title, product, low, high = rng.choice(PRODUCTS[country])
            period = rng.choice(PERIOD_DRAW)
            monthly = rng.randint(low, high) // 10 * 10
            units = monthly * PERIOD_FACTOR.get(period, 0) or monthly * rng.randint(3, 12)
            value = max(10, int(units * CURRENCY_FACTOR[draft.currency])) * 100
            terminated_at, terminated_by, reason, terminated_on = None, None, "", None
            if index >= signed:
                status, signed_on = Contract.Status.DRAFT, None
                start = today + timedelta(days=rng.randint(7, 45))
                end = None if rng.random() < 0.5 else add_months(start, 12) - timedelta(days=1)
            else:
                sign_day = rng.randrange(latest.start, draft.lifetime)
                signed_on = draft.day(sign_day)
                start = min(signed_on + timedelta(days=rng.randint(0, 14)), today)
                end = self.contract_end(period, start)
                last = min(end, today - timedelta(days=1)) if end else today - timedelta(days=1)
                if (last - start).days >= 30 and rng.random() < 0.08:
                    status = Contract.Status.TERMINATED
                    terminated_on = start + timedelta(days=rng.randint(30, (last - start).days))
                    terminated_at = self.moment(draft, draft.day_of(terminated_on))
                    terminated_by = draft.owner
                    reason = rng.choice(TERMINATION_REASONS[country])
                elif end is not None and end < today:
                    status = Contract.Status.EXPIRED
                else:
                    status = Contract.Status.ACTIVE
            created_day = draft.day_of(signed_on) if signed_on else draft.lifetime - 1
            contract = PlannedContract(
                contract_id,
                number,
                title,
                status,
                period,
                start,
                end,
                signed_on,
                draft.currency,
                value,
            )
            draft.contracts.append(contract)
            batch.rows[CONTRACTS].append(
                (
                    contract_id,
                    draft.id,
                    latest.id,
                    number,
                    title,
                    product,
                    money(value),
                    draft.currency,
                    period,
                    start,
                    end,
                    status,
                    signed_on,
                    terminated_at,
                    terminated_by,
                    reason,
                    draft.owner,
                    self.moment(draft, max(created_day, latest.start)),
                )
            )
            if signed_on:
                self.invoices(draft, batch, contract, until=terminated_on or today)

    def contract_end(self, period, start):
        """Fixed terms of a year (yearly contracts: one to three); open-ended only where the
        history stays short, so every started period is invoiced in at most MAX_PERIODS invoices
        (and the billing job, run on the generated data, finds nothing left to bill)."""
        rng = self.rng
        if period == Contract.BillingPeriod.ONE_OFF:
            return start + timedelta(days=rng.randint(0, 90)) if rng.random() < 0.7 else None
        if period == Contract.BillingPeriod.YEARLY:
            if rng.random() < 0.5:
                return None
            return add_months(start, 12 * rng.randint(1, 3)) - timedelta(days=1)
        recent = add_months(start, MAX_PERIODS) > self.today
        if recent and rng.random() < 0.6:
            return None
        return add_months(start, 12) - timedelta(days=1)

    def invoices(self, draft, batch, contract, *, until):
        if contract.billing_period == Contract.BillingPeriod.ONE_OFF:
            if contract.start_date > until:
                return
            periods = [(contract.start_date, None, None)]
        else:
            periods = [
                (start, start, end) for start, end in billing_periods(contract, until=until)
            ][-MAX_PERIODS:]
        by = None if contract.billing_period != Contract.BillingPeriod.ONE_OFF else draft.owner
        for issue, period_start, period_end in periods:
            self.invoice(draft, batch, contract, issue, period_start, period_end, by)

    def invoice(self, draft, batch, contract, issue, period_start, period_end, by):
        rng, today = self.rng, self.today
        invoice_id = self.ids[INVOICES]()
        number = f"{contract.number}/{issue:%Y-%m-%d}"
        amount = contract.value
        due = issue + timedelta(days=PAYMENT_TERM_DAYS)
        payments, write_off = self.settlement(amount, issue, due)
        paid = 0
        for cents, paid_on in payments:
            paid += cents
            method = rng.choice(PAYMENT_METHOD_DRAW)
            payment_id = self.ids[PAYMENTS]()
            if method == Payment.Method.BANK_TRANSFER:
                reference = number if rng.random() < 0.7 else f"TR/{paid_on:%Y%m%d}/{payment_id}"
            elif method == Payment.Method.CASH:
                reference = f"KP/{paid_on:%Y}/{payment_id}"
            else:
                reference = ""
            batch.rows[PAYMENTS].append(
                (
                    payment_id,
                    invoice_id,
                    draft.id,
                    money(cents),
                    contract.currency,
                    paid_on,
                    method,
                    reference,
                    rng.choice(self.finance),
                    self.moment(draft, draft.day_of(paid_on)),
                )
            )
        written_off_at, written_off_by, reason = None, None, ""
        if write_off is not None:
            written_off_at = self.moment(draft, draft.day_of(write_off))
            written_off_by = rng.choice(self.finance)
            reason = rng.choice(WRITE_OFF_REASONS[draft.locale.country])
        batch.rows[INVOICES].append(
            (
                invoice_id,
                draft.id,
                contract.id,
                number,
                issue,
                due,
                money(amount),
                contract.currency,
                money(paid),
                period_start,
                period_end,
                written_off_at,
                written_off_by,
                reason,
                by,
                self.moment(draft, draft.day_of(issue), 6 * 3600, 7 * 3600),
            )
        )
        grace = due + timedelta(days=settings.COLLECTIONS_GRACE_DAYS)
        if grace < today and self.flows.get("Collections"):
            owed = amount - sum(cents for cents, paid_on in payments if paid_on <= grace)
            if owed > 0:
                self.collection_case(
                    draft,
                    batch,
                    invoice_id,
                    number,
                    contract.currency,
                    grace,
                    owed,
                    paid_off=payments[-1][1] if paid == amount else None,
                    written_off=(written_off_at, written_off_by, reason) if write_off else None,
                )

    def settlement(self, amount, issue, due):
        """The payments of an invoice ([(cents, date)], in date order) and the day it was
        written off, if it was: mostly paid on time, some late, a few partly or not at all."""
        rng, today = self.rng, self.today
        if issue >= today:
            return [], None

        def between(first, last):
            return first + timedelta(days=rng.randint(0, max((last - first).days, 0)))

        def part():
            return max(100, amount * rng.randint(20, 70) // 100 // 100 * 100)

        roll = rng.random()
        if due >= today:  # Not due yet: some pay early, the rest are still open.
            if roll < 0.4:
                return [(amount, between(issue, today))], None
            if roll < 0.5 and amount > 100:
                return [(part(), between(issue, today))], None
            return [], None
        if roll < 0.75 or roll >= 0.98:
            if rng.random() < 0.1 and amount > 100:
                first = part()
                on = between(issue, due)
                return [(first, on), (amount - first, between(on, due))], None
            return [(amount, between(issue, due))], None
        if roll < 0.87:
            days = rng.randint(1, 7) if rng.random() < 0.7 else rng.randint(8, 90)
            return [(amount, min(due + timedelta(days=days), today))], None
        payments = []
        if rng.random() < 0.5 and amount > 100:
            payments.append((part(), between(issue, today)))
        if roll >= 0.95:
            written_off = due + timedelta(days=rng.randint(60, 240))
            if written_off < today:
                return [(c, d) for c, d in payments if d <= written_off], written_off
        return payments, None

    def payouts(self, draft, batch):
        rng, staff = self.rng, self.staff
        if draft.lifetime < 30 or rng.random() >= 0.05:
            return
        kind = rng.choice(PAYOUT_KIND_DRAW)
        day = rng.randrange(max(0, draft.lifetime - 720), draft.lifetime)
        requested_at = self.moment(draft, day)
        requested_by = rng.choice(staff.authors)
        large = rng.random() < 0.35
        amount = rng.randint(1001, 8000) if large else rng.randint(50, 1000)
        approvers = [user for user in self.approvers if user != requested_by]
        roll = rng.random()
        approved_by = approved_at = rejected_by = rejected_at = paid_at = paid_by = None
        reason = ""
        recent = draft.lifetime - day < 21
        if large and (recent or roll < 0.35 or not approvers):
            status = Payout.Status.REQUESTED
        elif roll < 0.85 or (large and roll < 0.9):
            later = min(day + rng.randint(1, 10), draft.lifetime - 1)
            if large:
                approved_by = rng.choice(approvers)
                approved_at = self.moment(draft, later)
                later = min(later + rng.randint(0, 5), draft.lifetime - 1)
            status = Payout.Status.APPROVED
            if not large or roll < 0.85:
                status = Payout.Status.PAID
                paid_at = max(self.moment(draft, later), approved_at or requested_at)
                paid_by = rng.choice(self.finance)
        else:
            status = Payout.Status.REJECTED
            rejected_by = rng.choice(self.approvers)
            rejected_at = self.moment(draft, min(day + rng.randint(1, 10), draft.lifetime - 1))
            reason = rng.choice(REJECTION_REASONS)
        batch.rows[PAYOUTS].append(
            (
                self.ids[PAYOUTS](),
                draft.id,
                kind,
                money(amount * 100),
                draft.currency,
                rng.choice(PAYOUT_REASONS[kind]),
                status,
                requested_by,
                requested_at,
                approved_by,
                approved_at,
                rejected_by,
                rejected_at,
                reason,
                paid_at,
                paid_by,
            )
        )

    def assets(self, draft, batch):
        rng, today = self.rng, self.today
        signed = [contract for contract in draft.contracts if contract.signed_on]
        if not signed or rng.random() >= 0.35:
            return
        for _ in range(rng.choice((1, 1, 2, 3))):
            asset_id = self.ids[ASSETS]()
            contract = rng.choice(signed) if rng.random() < 0.8 else None
            name, model, prefix = rng.choice(EQUIPMENT)
            since = contract.start_date if contract else draft.day(draft.relationships[-1].start)
            installed_on = min(since + timedelta(days=rng.randint(0, 20)), today)
            ended = contract is not None and contract.status in (
                Contract.Status.EXPIRED,
                Contract.Status.TERMINATED,
            )
            if ended:
                status = Asset.Status.RETURNED if rng.random() < 0.6 else Asset.Status.RETIRED
            else:
                status = rng.choice(ASSET_STATUS_DRAW)
            if status == Asset.Status.IN_USE:
                draft.assets.append(asset_id)
            serial = f"{prefix}{permute(asset_id, 10**9, 387_420_489, 271_828):09d}"
            batch.rows[ASSETS].append(
                (
                    asset_id,
                    draft.id,
                    contract.id if contract else None,
                    name,
                    model,
                    serial,
                    installed_on,
                    rng.choice(LOCATIONS),
                    status,
                    rng.choice(self.service),
                    self.moment(draft, draft.day_of(installed_on)),
                )
            )
