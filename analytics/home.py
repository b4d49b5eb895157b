"""Each user's home page: for every role they hold, the blocks of work waiting for them.

A block is a count, its first few rows and the address of the full list with the same filter
applied, so "12 overdue invoices" opens exactly those twelve. Every read goes through the
access layer (visible_to, can()); each block costs a fixed number of queries, whatever the
data (tests/analytics/test_home.py counts them). The home lives in analytics, the top layer,
because it reads customers, finance and processes alike.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.permissions import FINANCE, MANAGER, SALES, SERVICE, can, user_roles
from customers.models import Customer
from customers.permissions import VIEW_CUSTOMERS
from processes.models import (
    KpiTarget,
    Notification,
    ProcessDefinition,
    ProcessInstance,
    Stage,
    Task,
)
from processes.permissions import APPROVE, VIEW_PROCESSES, WORK_COLLECTIONS, WORK_TASKS
from processes.selectors import waiting_approvals, waiting_payouts
from relationships.models import Invoice, Payment, Payout
from relationships.permissions import APPROVE_PAYOUTS, PAY_PAYOUTS, VIEW_FINANCE

from .periods import Period, month_end, month_start
from .permissions import VIEW_REPORTS
from .process_kpis import process_kpis
from .usage import usage_drop

Kind = ProcessDefinition.Kind

# The order a user holding several roles sees them in.
ROLE_ORDER = (SALES, SERVICE, FINANCE, MANAGER)


@dataclass
class Block:
    """One box of the home page: `count` things, the first `rows` of them, `url` for all."""

    key: str
    title: str
    count: int
    rows: list
    url: str
    empty: str
    note: str = ""
    extra: dict = field(default_factory=dict)
    # How many rows there are beyond those shown, when the rows are not the things counted
    # (the collections block counts cases but lists stages): None when they are.
    unlisted: int | None = None

    @property
    def more(self):
        """The footer's "and N more": what the block does not list."""
        if self.unlisted is not None:
            return self.unlisted
        return max(0, self.count - len(self.rows))


@dataclass
class Section:
    role: str
    title: str
    blocks: list


def _url(name, fragment="", **params):
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{reverse(name)}{'?' + query if query else ''}{fragment}"


def _rows():
    return settings.HOME_BLOCK_ROWS


def home_roles(user):
    """The roles whose blocks `user` sees; a superuser's are a manager's."""
    if user.is_superuser:
        return [MANAGER]
    held = user_roles(user)
    return [role for role in ROLE_ORDER if role in held]


# --- Sales ----------------------------------------------------------------------------------


def tasks_due(user, *, today):
    tasks = Task.objects.visible_to(user).filter(
        assignee=user, done_at__isnull=True, due_on__lte=today
    )
    return Block(
        key="tasks",
        title=_("My tasks due and overdue"),
        count=tasks.count(),  # task_assignee_idx
        rows=list(tasks.select_related("customer").order_by("due_on", "id")[: _rows()]),
        url=_url("processes:task_list", state="due"),
        empty=_("No task is due."),
        extra={"today": today},
    )


def stalled_deals(user, *, now):
    deals = (
        ProcessInstance.objects.visible_to(user)
        .filter(owner=user, definition__kind=Kind.SALES)
        .stalled(now=now)
    )
    return Block(
        key="stalled",
        title=_("My stalled deals"),
        count=deals.count(),  # instance_owner_idx
        rows=list(
            deals.select_related("customer", "stage").order_by("last_activity_at", "id")[: _rows()]
        ),
        url=_url(
            "processes:instance_list",
            kind=Kind.SALES,
            owner=user.pk,
            state="open",
            stalled="on",
            ordering="activity",
        ),
        empty=_("Every deal of yours has moved recently."),
    )


def uncontacted_customers(user, *, now):
    days = settings.HOME_UNCONTACTED_DAYS
    customers = (
        Customer.objects.visible_to(user)
        .filter(owner=user)
        .current()
        .not_contacted_since(now - timedelta(days=days))
    )
    return Block(
        key="uncontacted",
        title=_("My customers not contacted for %(days)s days") % {"days": days},
        count=customers.count(),
        rows=list(customers.order_by("last_contact_at", "id")[: _rows()]),
        url=_url("customers:list", owner=user.pk, uncontacted_days=days, ordering="last_contact"),
        empty=_("You have been in touch with every customer of yours."),
    )


def deals_closing(user, *, today):
    first = month_start(today)
    last = month_end(first)
    deals = (
        ProcessInstance.objects.visible_to(user)
        .open()
        .filter(
            owner=user,
            definition__kind=Kind.SALES,
            expected_close_on__gte=first,
            expected_close_on__lte=last,
        )
    )
    return Block(
        key="closing",
        title=_("My deals closing this month"),
        count=deals.count(),
        rows=list(
            deals.select_related("customer", "stage").order_by("expected_close_on", "id")[: _rows()]
        ),
        url=_url(
            "processes:instance_list",
            kind=Kind.SALES,
            owner=user.pk,
            state="open",
            close_after=first.isoformat(),
            close_before=last.isoformat(),
            ordering="close",
        ),
        empty=_("No deal of yours is expected to close this month."),
    )


# --- Service --------------------------------------------------------------------------------


def ticket_queue(user, *, now):
    tickets = ProcessInstance.objects.visible_to(user).open().filter(definition__kind=Kind.SUPPORT)
    # Both read the stored next deadline: the counts from instance_board_cards_idx alone (the
    # breaches are the tickets past a deadline not yet met), the rows the first entries of
    # instance_open_sla_due_idx.
    counts = tickets.aggregate(
        total=Count("pk"), breached=Count("pk", filter=Q(sla_due_at__lt=now))
    )
    rows = list(tickets.by_sla_deadline(now=now).select_related("customer", "ticket")[: _rows()])
    return Block(
        key="tickets",
        title=_("Ticket queue, by SLA deadline"),
        count=counts["total"],
        rows=rows,
        url=_url("processes:ticket_list", state="open", ordering="sla"),
        empty=_("No ticket is open."),
        note=(
            _("%(count)s past an SLA deadline") % {"count": counts["breached"]}
            if counts["breached"]
            else ""
        ),
        extra={"now": now},
    )


# --- Finance --------------------------------------------------------------------------------


def overdue_invoices(user, *, today):
    invoices = Invoice.objects.visible_to(user).overdue(today=today)
    return Block(
        key="overdue",
        title=_("Overdue invoices"),
        count=invoices.count(),
        rows=list(invoices.select_related("customer").order_by("due_date", "id")[: _rows()]),
        url=_url("relationships:invoice_list", overdue="on", ordering="due"),
        empty=_("No invoice is overdue."),
    )


def payouts_to_pay(user):
    payouts = Payout.objects.visible_to(user).ready_to_pay()
    return Block(
        key="payouts",
        title=_("Payouts to pay"),
        count=payouts.count(),
        rows=list(payouts.select_related("customer").order_by("requested_at", "id")[: _rows()]),
        url=_url("relationships:payout_list", fragment="#ready-to-pay"),
        empty=_("No payout waits to be paid."),
    )


def collection_stages(user):
    """Open collection cases counted by stage; each stage links to its cases. The count is of
    cases, the rows are stages: "and N more" counts the stages not listed."""
    stages = (
        ProcessInstance.objects.visible_to(user)
        .open()
        .filter(definition__kind=Kind.COLLECTIONS)
        .order_by()
        .values("stage")
        .annotate(n=Count("pk"))
    )
    counts = {row["stage"]: row["n"] for row in stages}
    rows = [
        {
            "stage": stage,
            "count": counts[stage.pk],
            "url": _url("processes:collection_list", state="open", stage=stage.pk),
        }
        for stage in Stage.objects.filter(pk__in=counts)
        .select_related("definition")
        .order_by("definition__name", "position")
    ]
    return Block(
        key="collections",
        title=_("Collection cases by stage"),
        count=sum(counts.values()),
        rows=rows[: _rows()],
        url=_url("processes:collection_list", state="open"),
        empty=_("No collection case is open."),
        unlisted=max(0, len(rows) - _rows()),
    )


def payments_today(user, *, today):
    start = timezone.make_aware(datetime.combine(today, time.min))
    payments = Payment.objects.visible_to(user).filter(
        created_at__gte=start, created_at__lt=start + timedelta(days=1)
    )
    return Block(
        key="payments",
        title=_("Payments recorded today"),
        count=payments.count(),
        rows=list(
            payments.select_related("customer", "invoice").order_by("-created_at", "-id")[: _rows()]
        ),
        url=_url("relationships:invoice_list", payment_recorded_on=today.isoformat()),
        empty=_("No payment has been recorded today."),
    )


# --- Managers -------------------------------------------------------------------------------


def approvals_waiting(user):
    approvals = waiting_approvals(user)
    payouts = waiting_payouts(user) if can(user, APPROVE_PAYOUTS) else Payout.objects.none()
    entries = [("approval", a) for a in approvals[: _rows()]]
    entries += [("payout", p) for p in payouts[: _rows()]]
    entries.sort(key=lambda entry: (entry[1].requested_at, entry[0], entry[1].pk))
    return Block(
        key="approvals",
        title=_("Approvals waiting"),
        count=approvals.count() + payouts.count(),
        rows=entries[: _rows()],
        url=_url("processes:approval_list"),
        empty=_("Nothing waits for a decision."),
    )


def escalations(user):
    notifications = Notification.objects.filter(
        recipient=user, read_at__isnull=True, kind__in=Notification.ESCALATIONS
    )
    return Block(
        key="escalations",
        title=_("Escalations"),
        count=notifications.count(),  # notification_unread_idx
        rows=list(
            notifications.select_related("instance").order_by("-created_at", "-id")[: _rows()]
        ),
        url=_url("processes:notification_list", show="escalations"),
        empty=_("Nothing has been escalated to you."),
    )


# The KPIs are the same for every manager and move slowly (most of the month comes from the
# nightly rollup), while computing them costs the dashboard's queries: every manager's home
# reuses one computation for this long. With the cache away (Redis down) each home computes it.
KPI_CACHE_SECONDS = 300


def _kpis_missed(today):
    """(whether any KPI has a target, [the missed ones as plain values, red first])."""
    definitions = list(
        ProcessDefinition.objects.filter(kpi_targets__isnull=False).distinct().order_by("name")
    )
    missed = []
    if definitions:
        period = Period(month_start(today), today)
        for kpis in process_kpis(period=period, definitions=definitions, today=today):
            for measure in kpis.measures.values():
                if measure.status in ("amber", "red"):
                    missed.append(
                        {
                            "definition": kpis.definition.name,
                            "metric": measure.metric,
                            "value": measure.value,
                            "target": measure.target,
                            "status": measure.status,
                        }
                    )
    missed.sort(key=lambda row: (row["status"] != "red", row["definition"], row["metric"]))
    return bool(definitions), missed


def kpis_off_target(user, *, today):
    """This month's KPIs that miss their target (amber or red on the KPI dashboard), computed
    as the dashboard does, for the definitions that have a target only."""
    key = f"home:kpis-off-target:{today.isoformat()}"
    found = cache.get(key)
    if found is None:
        found = _kpis_missed(today)
        cache.set(key, found, KPI_CACHE_SECONDS)
    has_targets, missed = found
    rows = [{**row, "label": KpiTarget.Metric(row["metric"]).label} for row in missed[: _rows()]]
    return Block(
        key="kpis",
        title=_("KPIs off target this month"),
        count=len(missed),
        rows=rows,
        url=_url("analytics:process_kpis"),
        empty=(
            _("Every KPI with a target is on target.")
            if has_targets
            else _("No KPI has a target yet.")
        ),
    )


def usage_warnings(user, *, today):
    drop = usage_drop(today=today)
    return Block(
        key="usage",
        title=_("Usage warnings"),
        count=1 if drop.is_drop else 0,
        rows=[drop] if drop.is_drop else [],
        url=_url("analytics:usage_report"),
        empty=_("Use of the CRM is steady."),
    )


# --- The page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlockSpec:
    key: str  # a block two roles share (tasks) is shown once
    permission: object
    build: Callable
    also: object = None  # a second permission the block needs


def _specs(now, today):
    return {
        SALES: [
            BlockSpec("tasks", WORK_TASKS, lambda u: tasks_due(u, today=today)),
            BlockSpec("stalled", VIEW_PROCESSES, lambda u: stalled_deals(u, now=now)),
            BlockSpec("uncontacted", VIEW_CUSTOMERS, lambda u: uncontacted_customers(u, now=now)),
            BlockSpec("closing", VIEW_PROCESSES, lambda u: deals_closing(u, today=today)),
        ],
        SERVICE: [
            BlockSpec("tickets", VIEW_PROCESSES, lambda u: ticket_queue(u, now=now)),
            BlockSpec("tasks", WORK_TASKS, lambda u: tasks_due(u, today=today)),
        ],
        FINANCE: [
            BlockSpec("overdue", VIEW_FINANCE, lambda u: overdue_invoices(u, today=today)),
            BlockSpec("payouts", PAY_PAYOUTS, payouts_to_pay, also=VIEW_FINANCE),
            BlockSpec("collections", WORK_COLLECTIONS, collection_stages),
            BlockSpec("payments", VIEW_FINANCE, lambda u: payments_today(u, today=today)),
        ],
        MANAGER: [
            BlockSpec("approvals", APPROVE, approvals_waiting),
            BlockSpec("escalations", VIEW_PROCESSES, escalations),
            BlockSpec("kpis", VIEW_REPORTS, lambda u: kpis_off_target(u, today=today)),
            BlockSpec("usage", VIEW_REPORTS, lambda u: usage_warnings(u, today=today)),
        ],
    }


ROLE_TITLES = {
    SALES: _("Sales"),
    SERVICE: _("Service"),
    FINANCE: _("Finance"),
    MANAGER: _("Management"),
}


def home_sections(user, *, now=None) -> list[Section]:
    """The sections of `user`'s home page, one per role held, each with the blocks the user may
    see; a block shared by two roles (tasks) is shown once, in the first."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    specs = _specs(now, today)
    sections, shown = [], set()
    for role in home_roles(user):
        blocks = []
        for spec in specs[role]:
            if spec.key in shown or not can(user, spec.permission):
                continue
            if spec.also is not None and not can(user, spec.also):
                continue
            shown.add(spec.key)
            blocks.append(spec.build(user))
        if blocks:
            sections.append(Section(role=role, title=ROLE_TITLES[role], blocks=blocks))
    return sections
