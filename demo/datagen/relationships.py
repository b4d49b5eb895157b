"""A customer's relationships (returning customers have several) and its contact log."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from customers.models import Customer
from relationships.models import Interaction, Relationship

from .drafts import WORKDAY_END, WORKDAY_START
from .tables import INTERACTIONS, RELATIONSHIPS
from .values import weighted

FIRST_CONTACT_CHANNEL = {
    Customer.Source.MAILING: (Interaction.Channel.MAILING, Interaction.Direction.OUTBOUND),
    Customer.Source.WEB_FORM: (Interaction.Channel.WEB_FORM, Interaction.Direction.INBOUND),
    Customer.Source.REFERRAL: (Interaction.Channel.CALL, Interaction.Direction.OUTBOUND),
    Customer.Source.EVENT: (Interaction.Channel.MEETING, Interaction.Direction.INBOUND),
    Customer.Source.INBOUND_CALL: (Interaction.Channel.CALL, Interaction.Direction.INBOUND),
    Customer.Source.OTHER: (Interaction.Channel.EMAIL, Interaction.Direction.INBOUND),
}
CHANNEL_DRAW = weighted(
    (
        (Interaction.Channel.CALL, 30),
        (Interaction.Channel.EMAIL, 30),
        (Interaction.Channel.MEETING, 10),
        (Interaction.Channel.MAILING, 12),
        (Interaction.Channel.LETTER, 3),
        (Interaction.Channel.CHAT, 5),
        (Interaction.Channel.VISIT, 5),
        (Interaction.Channel.WEB_FORM, 5),
    )
)
END_REASON_DRAW = weighted(
    (
        (Relationship.EndReason.NOT_CREDITWORTHY, 8),
        (Relationship.EndReason.MOVED_TO_COMPETITOR, 25),
        (Relationship.EndReason.COMPANY_CLOSED, 10),
        (Relationship.EndReason.NO_LONGER_NEEDS, 25),
        (Relationship.EndReason.UNRESPONSIVE, 20),
        (Relationship.EndReason.OUR_DECISION, 7),
        (Relationship.EndReason.OTHER, 5),
    )
)


@dataclass(frozen=True, slots=True)
class PlannedRelationship:
    id: int
    start: int
    end: int | None  # the day it ended; interactions from that moment on are not part of it
    status: str
    kind: str
    ended_at: datetime | None


class RelationshipRows:
    """Relationships in order, all but the last ended, and the interactions within them.

    A part of DataGenerator (generator.py), which holds the state these methods read: `rng`,
    `staff` and `ids`; `contact_on` comes from PeopleRows."""

    def relationships(self, draft, batch):
        """The customer's relationships in order; all but the last have ended."""
        rng, staff, lifetime = self.rng, self.staff, draft.lifetime
        roll = rng.random()
        wanted = 1 if roll < 0.86 else 2 if roll < 0.97 else 3
        spans, start = [], 0
        for index in range(wanted):
            if index < wanted - 1 and lifetime - start >= 240:
                # A returning customer: this one ended, a new one started after a gap.
                end = start + rng.randint(60, min(900, lifetime - start - 150))
                spans.append((start, end))
                start = end + rng.randint(30, min(600, lifetime - end - 60))
                continue
            end = None
            if lifetime - start > 60 and rng.random() < (0.25 if index == 0 else 0.12):
                end = start + rng.randint(30, lifetime - start - 1)
            spans.append((start, end))
            break

        lasting_share = 0.8 if draft.organisation else 0.5
        for start, end in spans:
            relationship_id = self.ids[RELATIONSHIPS]()
            if rng.random() < lasting_share:
                kind = Relationship.Kind.LASTING
            else:
                kind = Relationship.Kind.CASUAL
            started_by = rng.choice(staff.creators) if draft.relationships else draft.owner
            ended_at, ended_by, reason, note = None, None, "", ""
            if end is None:
                recent = lifetime - start < 120
                if rng.random() < (0.6 if recent else 0.2):
                    status = Relationship.Status.PROSPECT
                else:
                    status = Relationship.Status.ACTIVE
            else:
                status = Relationship.Status.ENDED
                ended_at = draft.at(end, rng.randrange(WORKDAY_START, WORKDAY_END))
                ended_by = rng.choice(staff.managers)
                reason = rng.choice(END_REASON_DRAW)
                if reason == Relationship.EndReason.OTHER:
                    note = rng.choice(draft.locale.other_end_notes)
            draft.relationships.append(
                PlannedRelationship(relationship_id, start, end, status, kind, ended_at)
            )
            batch.rows[RELATIONSHIPS].append(
                (
                    relationship_id,
                    draft.id,
                    status,
                    kind,
                    draft.first_contact_on + timedelta(days=start),
                    started_by,
                    ended_at,
                    ended_by,
                    reason,
                    note,
                )
            )

    def interactions(self, draft, batch):
        """The contact log, from the first contact on; sets the last contact and last change."""
        rng, staff, locale = self.rng, self.staff, draft.locale
        rows, next_id = batch.rows[INTERACTIONS], self.ids[INTERACTIONS]
        relationships = draft.relationships
        # Days on which a relationship was open, as (first day, day after last, relationship id).
        open_spans = [
            (r.start, draft.lifetime if r.end is None else r.end, r.id) for r in relationships
        ]
        open_days = sum(stop - start for start, stop, _ in open_spans)

        def log(at, relationship_id, contact_id, channel, direction, subject, notes, outcome, by):
            rows.append(
                (
                    next_id(),
                    draft.id,
                    relationship_id,
                    contact_id,
                    channel,
                    direction,
                    subject,
                    notes,
                    outcome,
                    at,
                    by,
                    at,
                )
            )

        first_at = draft.at(0, draft.first_seconds)
        channel, direction = FIRST_CONTACT_CHANNEL[draft.source]
        primary_id = draft.contacts[0][0] if draft.contacts else None
        subject = locale.first_contact_subjects[draft.source]
        log(
            first_at,
            relationships[0].id,
            primary_id,
            channel,
            direction,
            subject,
            "",
            "",
            draft.created_by,
        )
        last_at = changed_at = first_at
        for relationship in relationships[1:]:
            # The returning customer gets back in touch; that contact opens the new relationship.
            at = draft.at(relationship.start, rng.randrange(WORKDAY_START, WORKDAY_END))
            contact_id = self.contact_on(draft, relationship.start)
            channel, direction = Interaction.Channel.CALL, Interaction.Direction.INBOUND
            subject, by = locale.returning_subject, rng.choice(staff.creators)
            log(at, relationship.id, contact_id, channel, direction, subject, "", "", by)
            last_at = changed_at = at
        if relationships[-1].ended_at is not None:
            changed_at = relationships[-1].ended_at

        lasting = relationships[-1].kind == Relationship.Kind.LASTING
        for _ in range(min(int(rng.expovariate(1 / (18 if lasting else 7))), 200)):
            if rng.random() < 0.92:
                # Mostly while a relationship is open; the rest are e.g. mailings in between.
                position = rng.randrange(open_days)
                for start, stop, span_relationship_id in open_spans:
                    if position < stop - start:
                        day, relationship_id = start + position, span_relationship_id
                        break
                    position -= stop - start
            else:
                day = rng.randrange(draft.lifetime)
                relationship_id = next(
                    (pk for start, stop, pk in open_spans if start <= day < stop), None
                )
            # Nothing precedes the first contact.
            earliest = draft.first_seconds + 60 if day == 0 else WORKDAY_START
            at = draft.at(day, rng.randrange(earliest, WORKDAY_END))
            if relationship_id is None:
                # On the day a relationship ends, it was still open until the moment it ended.
                for relationship in relationships:
                    if relationship.end == day and at < relationship.ended_at:
                        relationship_id = relationship.id
            channel = rng.choice(CHANNEL_DRAW)
            if channel == Interaction.Channel.MAILING:
                direction = Interaction.Direction.OUTBOUND
                subject = rng.choice(locale.mailing_subjects).format(m=at.month, y=at.year)
                contact_id, outcome, notes = None, "", ""
            else:
                if channel == Interaction.Channel.WEB_FORM or rng.random() < 0.4:
                    direction = Interaction.Direction.INBOUND
                else:
                    direction = Interaction.Direction.OUTBOUND
                subject = rng.choice(locale.subjects)
                contact_id = self.contact_on(draft, day)
                outcome = rng.choice(locale.outcomes) if rng.random() < 0.5 else ""
                notes = rng.choice(locale.notes) if rng.random() < 0.15 else ""
            by = draft.owner if rng.random() < 0.5 else rng.choice(staff.authors)
            log(at, relationship_id, contact_id, channel, direction, subject, notes, outcome, by)
            last_at = max(last_at, at)
        draft.last_contact_at, draft.changed_at = last_at, changed_at
