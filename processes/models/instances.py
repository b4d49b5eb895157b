"""Process instances: one run of a definition for a customer, its logged moves between stages
and the work logged on it."""

import operator
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core import bounds, visibility
from core.money import ZERO, NumberField, amount_field, currency_field
from core.visibility import CustomerRecordQuerySet
from customers.models import Customer

from .approvals import Approval
from .definitions import ProcessDefinition, Stage
from .retention import RetentionCampaign


def title_text(title, kind="", params=None):
    """A process's title as the reader reads it: a title the CRM wrote itself (`kind`) in the
    active language from its parameters, a typed one as it was typed. Takes the plain values,
    so a list read with values() writes the same title as a page with the model."""
    params = params or {}
    if kind == ProcessInstance.TitleKind.COLLECTION_INVOICE and params.get("number"):
        return gettext("Invoice %(number)s") % {"number": params["number"]}
    return title


# Reasons and notes a job writes on a move (no person typed them): stored as their English
# msgid, in nobody's language, and shown in the reader's (note_text).
PAID_IN_FULL = gettext_noop("Invoice paid in full.")
SYSTEM_NOTES = {PAID_IN_FULL: _("Invoice paid in full.")}


def note_text(text):
    """A move's note or an outcome reason as the reader reads it: one the CRM wrote itself in
    the reader's language, one a person typed as typed."""
    return str(SYSTEM_NOTES[text]) if text in SYSTEM_NOTES else text


def _deadline_missed_q(deadline, met, now):
    """`deadline` passed before it was met or the process closed, whichever came first: a
    ticket cancelled in time has not breached it; one cancelled after it passed has."""
    return Q(**{f"{deadline}__isnull": False}) & (
        Q(**{f"{met}__gt": F(deadline)})
        | Q(**{f"{met}__isnull": True, "closed_at__gt": F(deadline)})
        | Q(**{f"{met}__isnull": True, "closed_at__isnull": True, f"{deadline}__lt": now})
    )


def sla_breach_q(now):
    """A ticket past (or answered, resolved or closed after) its response or resolution
    deadline."""
    return _deadline_missed_q(
        "ticket__response_due_at", "ticket__first_response_at", now
    ) | _deadline_missed_q("ticket__resolution_due_at", "ticket__resolved_at", now)


class DatabaseCheck(models.CheckConstraint):
    """A check the database alone enforces, on a column only code writes: full_clean skips it
    (Django would spend a query, with its savepoint, on every save to check it)."""

    def validate(self, model, instance, exclude=None, using=None):
        return


class ProcessInstanceQuerySet(CustomerRecordQuerySet):
    def visible_to(self, user):
        """The processes of customers the user sees, and every process the user owns: whoever
        was given the work sees it (core.visibility)."""
        condition = visibility.visible_q(user, self.customer_path)
        return self if condition is None else self.filter(condition | Q(owner=user.pk))

    def open(self):
        return self.filter(closed_at__isnull=True)

    def closed(self):
        return self.filter(closed_at__isnull=False)

    def for_list(self):
        return self.select_related("definition", "stage", "customer", "owner", "ticket").with_hold()

    def with_hold(self):
        """Annotate `awaiting_start_approval`, so a list asks once, not once per row."""
        return self.annotate(
            awaiting_start_approval=models.Exists(
                Approval.objects.filter(
                    instance=models.OuterRef("pk"),
                    action=Approval.Action.START,
                    decision=Approval.Decision.PENDING,
                )
            )
        )

    def past_stage_sla(self, *, now):
        return self.open().filter(stage_due_at__lt=now)

    def stalled(self, *, now):
        """Open instances without activity for their definition's stall days (else
        PROCESS_STALL_DAYS): what the watch warns owners about. One query for those days."""
        by_days = {}
        for pk, days in ProcessDefinition.objects.values_list("pk", "stall_days"):
            by_days.setdefault(days or settings.PROCESS_STALL_DAYS, []).append(pk)
        if not by_days:
            return self.none()
        conditions = [
            Q(definition_id__in=ids, last_activity_at__lt=now - timedelta(days=days))
            for days, ids in sorted(by_days.items())
        ]
        return self.open().filter(reduce(operator.or_, conditions))

    def sla_breached(self, *, now):
        """Tickets past (or answered after) their response or resolution deadline."""
        return self.filter(sla_breach_q(now))

    def by_sla_deadline(self, *, now):
        """Tickets in the service queue's order: by the earliest SLA deadline not yet met
        (`sla_due_at`: the first response's until it is given, the resolution's until the
        ticket is resolved), so the ones past a deadline come first, the longest past first;
        then the rest by their next deadline; tickets without one (no SLA, or closed) last.

        `sla_breached` is annotated: past a deadline not yet met (`sla_due_at` < now). Unlike
        sla_breach_q it leaves out a ticket answered late whose resolution is still in time:
        its response deadline is gone for good, its resolution one is what to work towards.
        For open tickets this is a read of instance_open_sla_due_idx in order.
        """
        breached = models.Case(
            models.When(sla_due_at__lt=now, then=models.Value(True)),
            default=models.Value(False),
            output_field=models.BooleanField(),
        )
        return self.annotate(sla_breached=breached).order_by(
            F("sla_due_at").asc(nulls_last=True), "id"
        )


class ProcessInstance(models.Model):
    """One run of a definition for one customer: a deal, a ticket, a collection case, …"""

    class TitleKind(models.TextChoices):
        COLLECTION_INVOICE = "collection_invoice", pgettext_lazy("title kind", "Invoice number")

    definition = models.ForeignKey(
        ProcessDefinition,
        verbose_name=_("definition"),
        on_delete=models.PROTECT,
        related_name="instances",
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="process_instances",
    )
    title = models.CharField(
        _("title"),
        max_length=200,
        help_text=_(
            "As typed; for a title the CRM wrote itself, its text in the default language "
            "(searched, and shown where the kind is not known)."
        ),
    )
    # A title the CRM writes itself (a collection case's "Invoice C-…", written by the daily
    # job) is stored as its kind and parameters and written in each reader's language when it
    # is shown (display_title); empty for a typed title.
    title_kind = models.CharField(
        _("title kind"), max_length=30, choices=TitleKind, blank=True, default="", editable=False
    )
    title_params = models.JSONField(_("title parameters"), default=dict, blank=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_process_instances",
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="instances"
    )
    amount = amount_field(
        _("amount"),
        positive=False,
        null=True,
        blank=True,
        help_text=_("The deal value, the debt collected, … where it applies."),
    )
    currency = currency_field(blank=True)
    discount_percent = NumberField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
        help_text=_("Sales: the discount granted; above the threshold a manager approves it."),
    )
    expected_close_on = models.DateField(
        _("expected close"), null=True, blank=True, validators=[bounds.WindowValidator("business")]
    )
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Stage.Outcome, blank=True, editable=False
    )
    outcome_reason = bounds.text_field(
        _("outcome reason"),
        blank=True,
        editable=False,
        limit=bounds.SHORT_TEXT,
    )
    accrued_cost = amount_field(
        _("accrued cost"),
        positive=False,
        default=ZERO,
        editable=False,
        help_text=_("Work logged x hourly rate + fixed cost of each stage entered."),
    )
    campaign = models.ForeignKey(
        RetentionCampaign,
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="instances",
    )
    opened_at = models.DateTimeField(
        _("opened at"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # instance_opener_idx starts with it
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    stage_entered_at = models.DateTimeField(
        _("in stage since"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )
    stage_due_at = models.DateTimeField(
        _("stage due"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the stage's SLA runs out; empty when the stage has none."),
    )
    last_activity_at = models.DateTimeField(
        _("last activity"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )
    sla_due_at = models.DateTimeField(
        _("SLA due"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "An open ticket's earliest SLA deadline not yet met; empty for other processes."
        ),
    )
    definition_revision = models.PositiveIntegerField(
        _("definition version"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The version of the definition in force when the process was opened."),
    )

    objects = ProcessInstanceQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("process instance")
        verbose_name_plural = _("process instances")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
                name="instance_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | ~models.Q(currency=""),
                name="instance_amount_has_currency",
                violation_error_message=_("An amount needs its currency."),
            ),
            models.CheckConstraint(
                condition=models.Q(discount_percent__gte=0, discount_percent__lte=100),
                name="instance_discount_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(accrued_cost__gte=0), name="instance_cost_not_negative"
            ),
            # Closed means an outcome and a reason; open means neither.
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True, outcome="")
                | (models.Q(closed_at__isnull=False) & ~models.Q(outcome="")),
                name="instance_closed_has_outcome",
            ),
            # A retention campaign reaches each customer once.
            models.UniqueConstraint(
                fields=["campaign", "customer"],
                condition=models.Q(campaign__isnull=False),
                name="one_instance_per_campaign_customer",
            ),
            bounds.window_check(
                "expected_close_on", bounds.BUSINESS, name="instance_expected_close_in_window"
            ),
            bounds.window_check(
                "opened_at", bounds.RECORDED, name="instance_opened_in_window", datetime_field=True
            ),
            bounds.window_check(
                "stage_entered_at",
                bounds.RECORDED,
                name="instance_stage_entered_in_window",
                datetime_field=True,
            ),
            bounds.window_check(
                "last_activity_at",
                bounds.RECORDED,
                name="instance_last_activity_in_window",
                datetime_field=True,
            ),
            DatabaseCheck(
                condition=models.Q(title_kind__in=["", "collection_invoice"]),
                name="instance_title_kind_valid",
            ),
            # A closed process has no SLA deadline left to meet: closing clears sla_due_at.
            DatabaseCheck(
                condition=models.Q(closed_at__isnull=True) | models.Q(sla_due_at__isnull=True),
                name="instance_closed_has_no_sla_due",
            ),
        ]
        indexes = [
            # Board: the open cards of a definition, by stage.
            models.Index(fields=["definition", "closed_at", "stage"], name="instance_board_idx"),
            # Board: each column's most recently active open cards, read in index order so the
            # per-stage row numbering needs no sort; its counts; and, from the included columns,
            # the per-minute sum of all open cards' amounts (processes.selectors). The service
            # home counts the open tickets and those past their SLA deadline from it alone
            # (analytics.home.ticket_queue).
            models.Index(
                fields=["definition", "stage", "-last_activity_at", "-id"],
                condition=models.Q(closed_at__isnull=True),
                include=["currency", "amount", "sla_due_at"],
                name="instance_board_cards_idx",
            ),
            # Customer page: open processes and tickets of the customer.
            models.Index(fields=["customer", "closed_at"], name="instance_customer_idx"),
            # Process KPI dashboard: instances started per definition and period (and per week).
            # Closed per period reads instance_board_idx (definition, closed_at, …).
            models.Index(fields=["definition", "opened_at"], name="instance_kpi_opened_idx"),
            # Instance list filtered by owner.
            models.Index(fields=["owner", "closed_at"], name="instance_owner_idx"),
            # The sales home (analytics.home): a rep's open deals by last activity (stalled
            # deals) and by expected close date (closing this month), each a range of the rep's
            # entries read in order; the counts read no row of the table (definition included).
            # Without them the home read the rep's whole book: 980 ms p95 at 1M.
            models.Index(
                fields=["owner", "last_activity_at", "id"],
                condition=models.Q(closed_at__isnull=True),
                include=["definition"],
                name="instance_owner_activity_idx",
            ),
            models.Index(
                fields=["owner", "expected_close_on", "id"],
                condition=models.Q(closed_at__isnull=True),
                include=["definition"],
                name="instance_owner_closing_idx",
            ),
            # SLA watch: open instances past their stage deadline.
            models.Index(
                fields=["stage_due_at"],
                condition=models.Q(closed_at__isnull=True),
                name="instance_open_stage_due_idx",
            ),
            # Service queue (analytics.home.ticket_queue, the ticket list's `sla` order): open
            # tickets by their next SLA deadline, read in index order, so past ones (breaches)
            # come first. Open processes without a deadline are at the end (NULLS LAST,
            # PostgreSQL's default for an ascending index).
            models.Index(
                fields=["sla_due_at", "id"],
                condition=models.Q(closed_at__isnull=True),
                name="instance_open_sla_due_idx",
            ),
            # Stall watch: open instances without recent activity.
            models.Index(
                fields=["last_activity_at"],
                condition=models.Q(closed_at__isnull=True),
                name="instance_open_activity_idx",
            ),
            # Sales forecast (analytics.forecast.open_pipeline): the open pipeline per close
            # month, owner and currency, read from this index alone (no row of the table).
            models.Index(
                fields=[
                    "definition",
                    "owner",
                    "currency",
                    "expected_close_on",
                    "stage",
                    "amount",
                    "discount_percent",
                ],
                condition=models.Q(closed_at__isnull=True, amount__isnull=False),
                name="instance_open_pipeline_idx",
            ),
            # Forecast accuracy (analytics.forecast.forecast_accuracy): the amounts won per
            # close month, owner and currency, read from this index alone.
            models.Index(
                fields=[
                    "definition",
                    "closed_at",
                    "owner",
                    "currency",
                    "amount",
                    "discount_percent",
                ],
                condition=models.Q(outcome=Stage.Outcome.WON, amount__isnull=False),
                name="instance_won_amount_idx",
            ),
            # Usage report (analytics.usage): processes opened per user and period.
            models.Index(fields=["opened_by", "opened_at"], name="instance_opener_idx"),
            # Usage report (analytics.usage): today's processes counted live, and the nightly
            # rollup's ranges of days.
            models.Index(fields=["opened_at"], name="instance_opened_idx"),
        ]

    def __str__(self):
        return self.display_title

    def get_absolute_url(self):
        return reverse("processes:instance_detail", args=[self.pk])

    @property
    def display_title(self):
        """The title in the reader's language (title_text): what pages, the API, e-mails and
        the admin show."""
        return title_text(self.title, self.title_kind, self.title_params)

    @property
    def outcome_reason_text(self):
        return note_text(self.outcome_reason)

    def title_data(self):
        """The title as plain values for a record that names this process in its own stored
        data (a notification), to be written again with title_text."""
        data = {"title": self.title}
        if self.title_kind:
            data.update(title_kind=self.title_kind, title_params=self.title_params)
        return data

    def clean(self):
        errors = {}
        if self.stage_id and self.definition_id and self.stage.definition_id != self.definition_id:
            errors["stage"] = _("This stage belongs to another process.")
        if self.amount is not None and not self.currency:
            errors["currency"] = _("An amount needs its currency.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self):
        return self.closed_at is None

    @cached_property
    def awaiting_start_approval(self):
        """Started despite a decision rule and held until a manager approves: it cannot move.

        Lists annotate it (ProcessInstanceQuerySet.with_hold); a page that has loaded the
        instance's approvals sets it from them.
        """
        if self.pk is None or not self.is_open:
            return False
        return self.approvals.filter(
            action=Approval.Action.START, decision=Approval.Decision.PENDING
        ).exists()

    def stage_sla_breached(self, now=None):
        now = now or timezone.now()
        return self.is_open and self.stage_due_at is not None and self.stage_due_at < now

    @property
    def net_amount(self):
        if self.amount is None:
            return None
        factor = (Decimal(100) - self.discount_percent) / Decimal(100)
        return (self.amount * factor).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def weighted_amount(self):
        """The forecast contribution: net amount x the stage's win probability."""
        if self.amount is None or self.stage.win_probability is None:
            return None
        value = self.net_amount * self.stage.win_probability / Decimal(100)
        return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class StageTransition(models.Model):
    """Every move of an instance, its opening included (from_stage empty). KPIs read this log."""

    instance = models.ForeignKey(
        ProcessInstance,
        verbose_name=_("instance"),
        on_delete=models.CASCADE,
        related_name="transitions",
    )
    from_stage = models.ForeignKey(
        Stage,
        verbose_name=_("from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_stage = models.ForeignKey(
        Stage, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(
        _("at"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when a scheduled job made the move."),
    )
    note = bounds.text_field(
        _("note"),
        blank=True,
        limit=bounds.SHORT_TEXT,
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("stage transition")
        verbose_name_plural = _("stage transitions")
        constraints = [
            bounds.window_check(
                "at", bounds.RECORDED, name="transition_at_in_window", datetime_field=True
            ),
        ]
        indexes = [
            # Instance page history and the customer page timeline (joined through the instance).
            models.Index(fields=["instance", "-at"], name="transition_instance_idx"),
            # KPIs: entries into a stage per period (win rate, cycle time).
            models.Index(fields=["to_stage", "at"], name="transition_kpi_idx"),
        ]

    def __str__(self):
        return f"{self.instance}: {self.from_stage or '—'} → {self.to_stage}"

    @property
    def is_opening(self):
        return self.from_stage_id is None

    @property
    def note_text(self):
        return note_text(self.note)


class WorkLog(models.Model):
    """Time spent on an instance; its cost is fixed at the rate in force when it was logged."""

    instance = models.ForeignKey(
        ProcessInstance, verbose_name=_("instance"), on_delete=models.CASCADE, related_name="work"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    minutes = models.PositiveIntegerField(
        _("minutes"), validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    cost = amount_field(_("cost"), positive=False, editable=False)
    logged_at = models.DateTimeField(
        _("logged at"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )

    class Meta:
        ordering = ["-logged_at", "-id"]
        verbose_name = _("work log")
        verbose_name_plural = _("work logs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gte=1, minutes__lte=24 * 60),
                name="worklog_minutes_in_range",
            ),
            bounds.window_check(
                "logged_at", bounds.RECORDED, name="worklog_logged_in_window", datetime_field=True
            ),
        ]
        indexes = [
            # Instance page: the work panel.
            models.Index(fields=["instance", "-logged_at"], name="worklog_instance_idx"),
        ]

    def __str__(self):
        return _("%(user)s · %(minutes)s min") % {"user": self.user, "minutes": self.minutes}
