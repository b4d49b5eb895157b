"""Process instances with their transition log, work, cost, stage deadline and ticket SLA
times (and an open ticket's next deadline), computed as processes.services computes them: sales
opportunities, support tickets, collection cases for overdue invoices and the key-account
retention campaign."""

import json
from datetime import timedelta
from decimal import Decimal

from processes import services as process_services
from processes.models import ProcessInstance
from processes.models.tickets import next_sla_deadline
from relationships.models import Contract, Relationship

from .billing import CURRENCY_FACTOR, PERIOD_FACTOR
from .definitions import CANCELLED, LOST, RESOLVED, WON
from .drafts import WORKDAY_START
from .tables import COLLECTION_CASES, INSTANCES, TICKETS, TRANSITIONS, WORK_LOGS
from .values import ZERO, money, weighted

LOST_REASONS = (
    "Chose a competitor.",
    "Price too high.",
    "No budget this year.",
    "Project postponed.",
    "No response after the proposal.",
)
TICKET_SUBJECTS = (
    "Device does not start",
    "Invoice access in the portal",
    "Slow connection",
    "Login problem",
    "Error after update",
    "Paper jam",
    "Request for a replacement part",
    "Question about settings",
)
RESOLUTION_NOTES = (
    "Fixed on site.",
    "Solved remotely.",
    "Part replaced.",
    "Configuration changed.",
)
CANCEL_NOTES = ("Duplicate ticket.", "Customer solved it themselves.", "Opened by mistake.")
PRIORITY_DRAW = weighted((("low", 25), ("normal", 45), ("high", 20), ("urgent", 10)))


class ProcessRows:
    """Sales opportunities, tickets, collection cases and retention instances.

    A part of DataGenerator (generator.py), which holds the state these methods read: `rng`,
    `staff`, `ids`, `today`, `horizon`, `tz`, `flows`, `campaign`, `finance` and `service`;
    `moment` comes from BillingRows."""

    def instance(
        self,
        batch,
        flow,
        draft,
        *,
        title,
        owner,
        opened_by,
        moves,
        work=(),
        amount=None,
        currency="",
        discount=ZERO,
        expected_close_on=None,
        campaign_id=None,
        touched=None,
        sla_due=None,
        title_kind="",
        title_params=None,
    ):
        """One instance from its moves [(stage, at, by, note)], the opening first, and its work
        [(user, minutes, at)]: cost, current stage, deadline and closing follow from them as
        processes.services computes them. `sla_due`: an open ticket's next SLA deadline."""
        instance_id = self.ids[INSTANCES]()
        cost, previous = 0, None
        transitions = batch.rows[TRANSITIONS]
        for stage, at, by, note in moves:
            transitions.append(
                (
                    self.ids[TRANSITIONS](),
                    instance_id,
                    previous.id if previous else None,
                    stage.id,
                    at,
                    by,
                    note,
                )
            )
            cost += stage.fixed_cost
            previous = stage
        last_activity = moves[-1][1]
        for user, minutes, at in work:
            # minutes x the hourly rate, in cents, rounded half up like the service.
            cents = (minutes * flow.rate * 2 + 60) // 120
            cost += cents
            last_activity = max(last_activity, at)
            batch.rows[WORK_LOGS].append(
                (self.ids[WORK_LOGS](), instance_id, user, minutes, "", money(cents), at)
            )
        if touched is not None:
            last_activity = max(last_activity, touched)
        stage, entered, _, note = moves[-1]
        closed_at = entered if stage.outcome else None
        due = None
        if not stage.outcome and stage.sla_hours:
            due = entered + timedelta(hours=stage.sla_hours)
        batch.rows[INSTANCES].append(
            (
                instance_id,
                flow.definition_id,
                draft.id,
                title,
                owner,
                stage.id,
                None if amount is None else money(amount),
                currency,
                discount,
                expected_close_on,
                stage.outcome,
                note if stage.outcome else "",
                money(cost),
                campaign_id,
                moves[0][1],
                opened_by,
                closed_at,
                entered,
                due,
                last_activity,
                None if closed_at else sla_due,
                title_kind,
                json.dumps(title_params or {}),  # JSON text: COPY and SQLite both take it
            )
        )
        return instance_id

    def spread(self, first, last, count):
        """`count` sorted moments from `first` (included) to before `last`."""
        span = max((last - first).total_seconds(), count)
        offsets = sorted(self.rng.uniform(0, span) for _ in range(count - 1))
        return [first, *(first + timedelta(seconds=int(offset)) for offset in offsets)]

    def work(self, users, first, last, count):
        rng = self.rng
        if last <= first:
            return []
        return [
            (rng.choice(users), rng.choice((15, 30, 45, 60, 90, 120)), moment)
            for moment in self.spread(first, last, count + 1)[1:]
        ]

    def opened_floor(self, draft, relationship):
        """The earliest moment a process can start within `relationship`."""
        if relationship.start == 0:
            return draft.at(0, draft.first_seconds + 60)
        return draft.at(relationship.start, WORKDAY_START)

    def sales(self, draft, batch):
        rng, latest = self.rng, draft.relationships[-1]
        enterprise = draft.organisation and (
            "Enterprise" in draft.segments or "Key accounts" in draft.segments or rng.random() < 0.4
        )
        flow = self.flows.get("Enterprise sales" if enterprise else "SMB sales")
        if flow is None:
            return
        cycle = (40, 180) if enterprise else (7, 60)
        signed = [contract for contract in draft.contracts if contract.signed_on]
        won, lost = flow.terminal.get(WON), flow.terminal.get(LOST)
        if signed and won:
            contract = min(signed, key=lambda contract: contract.signed_on)
            close = self.moment(draft, draft.day_of(contract.signed_on))
            opened = max(
                close - timedelta(days=rng.randint(*cycle)), self.opened_floor(draft, latest)
            )
            close = max(close, opened + timedelta(hours=1))
            amount = contract.value * PERIOD_FACTOR.get(contract.billing_period, 1)
            self.deal(
                draft,
                batch,
                flow,
                opened,
                close,
                len(flow.working),
                (won, "Contract signed."),
                amount,
                contract.currency,
            )
        if lost and latest.status == Relationship.Status.ENDED and rng.random() < 0.4:
            floor = self.opened_floor(draft, latest)
            end = latest.ended_at
            if end > floor + timedelta(days=2):
                opened = floor + (end - floor) * rng.uniform(0, 0.7)
                close = opened + (end - opened) * rng.uniform(0.2, 1)
                self.deal(
                    draft,
                    batch,
                    flow,
                    opened,
                    close,
                    rng.randint(1, len(flow.working)),
                    (lost, rng.choice(LOST_REASONS)),
                    self.deal_amount(draft),
                    draft.currency,
                )
        if latest.status == Relationship.Status.ENDED:
            return
        prospect = latest.status == Relationship.Status.PROSPECT
        if rng.random() < (0.7 if prospect else 0.3):
            floor = max(self.opened_floor(draft, latest), self.horizon - timedelta(days=cycle[1]))
            if floor < self.horizon - timedelta(hours=2):
                opened = floor + (self.horizon - floor) * rng.uniform(0, 0.9)
                close = opened + (self.horizon - opened) * rng.uniform(0.05, 1)
                self.deal(
                    draft,
                    batch,
                    flow,
                    opened,
                    close,
                    rng.randint(1, len(flow.working)),
                    None,
                    self.deal_amount(draft),
                    draft.currency,
                )

    def deal_amount(self, draft):
        units = self.rng.randint(20, 800) * 100 * CURRENCY_FACTOR[draft.currency]
        return int(units) * 100

    def deal(self, draft, batch, flow, opened, close, reached, ending, amount, currency):
        """A sales opportunity through the first `reached` working stages; `ending` (terminal
        stage, reason) closes it at `close`, else it is still open and `close` is its last move."""
        rng, owner = self.rng, draft.owner
        moments = self.spread(opened, close, reached + (ending is not None))
        moves = [
            (stage, at, owner, "")
            for stage, at in zip(flow.working[:reached], moments, strict=False)
        ]
        if ending is not None:
            moves.append((ending[0], moments[-1], owner, ending[1]))
            expected = moments[-1].astimezone(self.tz).date()
            work = self.work((owner,), opened, moments[-1], rng.randint(0, 3))
        else:
            moves[-1] = (moves[-1][0], close, owner, "")
            expected = self.today + timedelta(days=rng.randint(7, 120))
            # Some have had nothing done since the last move: those stall.
            work = self.work((owner,), opened, close, rng.choice((0, 0, 1, 2)))
        self.instance(
            batch,
            flow,
            draft,
            title=f"{draft.locale.subjects[0]}: {amount // 100} {currency}",
            owner=owner,
            opened_by=owner,
            moves=moves,
            work=work,
            amount=amount,
            currency=currency,
            discount=Decimal(5) if rng.random() < 0.15 else ZERO,
            expected_close_on=expected,
        )

    def tickets(self, draft, batch):
        rng, latest = self.rng, draft.relationships[-1]
        if latest.status == Relationship.Status.ACTIVE:
            count = rng.choice((1, 1, 2, 3)) if rng.random() < 0.4 else 0
        elif latest.status == Relationship.Status.ENDED:
            count = int(rng.random() < 0.1)
        else:
            count = 0
        premium = "Enterprise" in draft.segments or "Key accounts" in draft.segments
        flow = self.flows.get(
            "24/7 support" if premium or rng.random() < 0.15 else "Standard support"
        )
        if flow is None or not count:
            return
        floor = self.opened_floor(draft, latest)
        last = latest.ended_at if latest.ended_at else self.horizon
        if last - floor < timedelta(days=1):
            return
        resolved, cancelled = flow.terminal.get(RESOLVED), flow.terminal.get(CANCELLED)
        for _ in range(count):
            if latest.ended_at is None and rng.random() < 0.35:
                # Recent ones, some still waiting for an answer or a fix.
                opened = self.horizon - timedelta(seconds=rng.randrange(3600, 4 * 86400))
                opened = max(opened, floor)
            else:
                opened = floor + (last - floor) * rng.uniform(0, 0.97)
            priority = rng.choice(PRIORITY_DRAW)
            response_hours, resolution_hours = flow.sla.get(priority, (8, 40))
            if rng.random() < 0.85:
                respond = opened + timedelta(hours=response_hours * rng.uniform(0.05, 0.95))
            else:
                respond = opened + timedelta(hours=response_hours * rng.uniform(1.05, 3))
            if rng.random() < 0.8:
                resolve = opened + timedelta(hours=resolution_hours * rng.uniform(0.1, 0.95))
            else:
                resolve = opened + timedelta(hours=resolution_hours * rng.uniform(1.05, 2.5))
            resolve = max(resolve, respond + timedelta(minutes=10))
            if latest.ended_at is not None:
                # The relationship ended; its tickets were closed before it did.
                resolve = min(resolve, last - timedelta(minutes=1))
                respond = min(respond, resolve - timedelta(minutes=1))
            agent = rng.choice(self.service)
            new, working = flow.working[0], flow.working[1:]
            moves = [(new, opened, agent, "")]
            responded = respond < self.horizon and respond > opened
            if responded and working:
                moves.append((working[0], respond, agent, ""))
                if len(working) > 1 and rng.random() < 0.3:
                    waiting = respond + (resolve - respond) * rng.uniform(0.2, 0.8)
                    if waiting < self.horizon:
                        moves.append((working[1], waiting, agent, ""))
            ending = resolved if rng.random() < 0.92 or cancelled is None else cancelled
            closed = resolve < self.horizon and responded and ending is not None
            if closed:
                notes = RESOLUTION_NOTES if ending is resolved else CANCEL_NOTES
                moves.append((ending, resolve, agent, rng.choice(notes)))
            work = []
            if responded:
                work = self.work((agent,), respond, min(resolve, self.horizon), rng.randint(0, 2))
            contact = rng.choice(draft.contacts)[0] if draft.contacts else None
            asset = rng.choice(draft.assets) if draft.assets and rng.random() < 0.4 else None
            subject = rng.choice(TICKET_SUBJECTS)
            response_due = opened + timedelta(hours=response_hours)
            resolution_due = opened + timedelta(hours=resolution_hours)
            first_response = respond if responded else None
            resolved_at = resolve if closed and ending.outcome == RESOLVED else None
            instance_id = self.instance(
                batch,
                flow,
                draft,
                title=subject,
                owner=agent,
                opened_by=agent if rng.random() < 0.7 else rng.choice(self.staff.creators),
                moves=moves,
                work=work,
                touched=respond if responded else None,
                sla_due=next_sla_deadline(
                    response_due=response_due,
                    first_response=first_response,
                    resolution_due=resolution_due,
                    resolved=resolved_at,
                ),
            )
            batch.rows[TICKETS].append(
                (
                    instance_id,
                    contact,
                    asset,
                    priority,
                    f"{subject}. {rng.choice(draft.locale.notes)}",
                    response_due,
                    resolution_due,
                    first_response,
                    agent if responded else None,
                    resolved_at,
                )
            )

    def collection_case(
        self, draft, batch, invoice_id, number, currency, grace, owed, *, paid_off, written_off
    ):
        """The case the daily job opened on the grace day, moved on by the clock, settled when
        the invoice was paid or written off when finance gave up on it."""
        rng, flow = self.rng, self.flows["Collections"]
        owner = rng.choice(self.finance)
        opened = draft.at(draft.day_of(grace), 6 * 3600 + rng.randrange(1800))
        if paid_off is not None:
            end = draft.at(draft.day_of(paid_off), 18 * 3600)
            ending = (flow.terminal.get(WON), "Invoice paid in full.", None)
        elif written_off is not None:
            end = written_off[0]
            ending = (flow.terminal.get(LOST), written_off[2], written_off[1])
        else:
            end, ending = self.horizon, None
        if ending is not None and (ending[0] is None or end >= self.horizon):
            end, ending = self.horizon, None
        moves, reminders = [], 0
        for stage, after in zip(flow.working, (0, 13, 28, 57), strict=False):
            at = opened + timedelta(days=after)
            if at >= end:
                break
            moves.append((stage, at, None if not moves else owner, ""))
            reminders += stage.code in process_services.COLLECTION_EMAIL_STAGES
        if ending is not None:
            moves.append((ending[0], max(end, moves[-1][1]), ending[2], ending[1]))
        instance_id = self.instance(
            batch,
            flow,
            draft,
            title=f"Invoice {number}",
            # As processes.services.collections writes it: in each reader's language on display.
            title_kind=ProcessInstance.TitleKind.COLLECTION_INVOICE,
            title_params={"number": number},
            owner=owner,
            opened_by=None,
            moves=moves,
            work=self.work((owner,), opened, min(end, self.horizon), rng.randint(0, 2)),
            amount=owed,
            currency=currency,
        )
        batch.rows[COLLECTION_CASES].append((instance_id, invoice_id, money(owed), reminders))

    def retention(self, draft, batch):
        rng, campaign = self.rng, self.campaign
        flow = self.flows.get("Retention")
        if (
            campaign is None
            or flow is None
            or "Key accounts" not in draft.segments
            or draft.relationships[-1].status != Relationship.Status.ACTIVE
            or not any(c.status == Contract.Status.ACTIVE for c in draft.contracts)
            or draft.first_contact_on >= campaign.started_at.date()
            or rng.random() >= 0.7
        ):
            return
        opened = campaign.started_at + timedelta(hours=rng.randint(0, 72))
        owner, roll = draft.owner, rng.random()
        reached = 1 if roll < 0.4 else 2
        moments = self.spread(opened, self.horizon - timedelta(hours=1), reached + (roll >= 0.7))
        stages = flow.working[:reached]
        moves = [(stage, at, owner, "") for stage, at in zip(stages, moments, strict=False)]
        if roll >= 0.7:
            outcome, note = (WON, "Renewed.") if roll < 0.9 else (LOST, rng.choice(LOST_REASONS))
            if flow.terminal.get(outcome):
                moves.append((flow.terminal[outcome], moments[-1], owner, note))
        self.instance(
            batch,
            flow,
            draft,
            title=campaign.name,
            owner=owner,
            opened_by=campaign.started_by_id,
            moves=moves,
            campaign_id=campaign.pk,
        )
