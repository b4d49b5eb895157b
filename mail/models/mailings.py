"""Mailings: one message to the consenting contact persons of a segment, a saved customer-list
filter or a retention campaign, sent in throttled batches, with a row per recipient."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.visibility import CustomerRecordQuerySet
from customers.models import ConsentPurpose, ContactPerson, Customer, Segment
from processes.models import ProcessInstance, RetentionCampaign
from relationships.models import Interaction

from .templates import MailTemplate

# The longest customer-list query string a mailing keeps (the list's own filters are short).
FILTER_LIMIT = 2000


class Mailing(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")

    name = models.CharField(_("name"), max_length=150)
    purpose = models.ForeignKey(
        ConsentPurpose,
        verbose_name=_("consent purpose"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Only people who consented to this purpose receive the mailing."),
    )
    template = models.ForeignKey(
        MailTemplate,
        verbose_name=_("template"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"purpose": "mailing"},
        help_text=_(
            "Each recipient gets this template's version in their language; this one when "
            "there is none in theirs."
        ),
    )
    segment = models.ForeignKey(
        Segment,
        verbose_name=_("segment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    customer_filter = models.CharField(
        _("customer list filter"),
        max_length=FILTER_LIMIT,
        blank=True,
        help_text=_("The customer list's filters, as in its address after the “?”."),
    )
    campaign = models.ForeignKey(
        RetentionCampaign,
        verbose_name=_("retention campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The mailing is the campaign's first stage: it goes to its customers."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.DRAFT, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    send_started_at = models.DateTimeField(_("sending started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True, editable=False)
    # Exclusions counted when the recipients were chosen (the report shows them).
    excluded = models.JSONField(_("excluded"), default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")
        constraints = [
            # One audience: a segment, a customer-list filter or a campaign.
            models.CheckConstraint(
                condition=(
                    models.Q(segment__isnull=False, customer_filter="", campaign__isnull=True)
                    | models.Q(segment__isnull=True, campaign__isnull=True)
                    & ~models.Q(customer_filter="")
                    | models.Q(segment__isnull=True, customer_filter="", campaign__isnull=False)
                ),
                name="mailing_one_audience",
                violation_error_message=_(
                    "Choose one audience: a segment, a customer list filter or a campaign."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft")
                | models.Q(sent_by__isnull=False, send_started_at__isnull=False),
                name="mailing_sent_has_sender",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("mail:mailing_detail", args=[self.pk])

    def recipient_counts(self) -> dict:
        """The recipients by status, their total, and how many are done (not queued)."""
        counts = dict.fromkeys(MailingRecipient.Status.values, 0)
        rows = self.recipients.order_by().values_list("status").annotate(n=models.Count("id"))
        counts.update(dict(rows))
        counts["total"] = sum(counts[s] for s in MailingRecipient.Status.values)
        counts["done"] = counts["total"] - counts[MailingRecipient.Status.QUEUED]
        counts["percent"] = round(100 * counts["done"] / counts["total"]) if counts["total"] else 0
        return counts


class MailingRecipient(models.Model):
    """One contact person a mailing goes to, once: (mailing, contact) is unique, so sending
    twice never mails anyone twice."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        BOUNCED = "bounced", _("Bounced")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    mailing = models.ForeignKey(
        Mailing,
        verbose_name=_("mailing"),
        on_delete=models.PROTECT,
        related_name="recipients",
        db_index=False,  # mailing_recipient_unique starts with it
    )
    contact = models.ForeignKey(
        ContactPerson,
        verbose_name=_("contact person"),
        on_delete=models.PROTECT,
        related_name="mailings_received",
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="mailings_received",
    )
    process_instance = models.ForeignKey(
        ProcessInstance,
        verbose_name=_("process"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The retention process the mailing opens, for a campaign's mailing."),
    )
    address = models.EmailField(_("address"), max_length=254)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    status = models.CharField(
        _("status"), max_length=15, choices=Status, default=Status.QUEUED, editable=False
    )
    message_id = models.CharField(
        _("Message-ID"),
        max_length=255,
        editable=False,
        help_text=_("The message's own Message-ID: a bounce names it."),
    )
    # Claiming: a batch takes its rows (claim, claimed_at); a row is marked attempted right
    # before it goes to the SMTP server, so a batch interrupted mid-way is resumed without
    # sending a row twice (see mail.services.mailings).
    claim = models.CharField(max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    attempted_at = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    status_at = models.DateTimeField(_("status since"), default=timezone.now, editable=False)
    error = models.CharField(_("error"), max_length=500, blank=True, editable=False)
    interaction = models.OneToOneField(
        Interaction,
        verbose_name=_("interaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="mailing_recipient",
    )

    objects = CustomerRecordQuerySet.as_manager()

    class Meta:
        ordering = ["mailing", "id"]
        verbose_name = _("mailing recipient")
        verbose_name_plural = _("mailing recipients")
        constraints = [
            models.UniqueConstraint(fields=["mailing", "contact"], name="mailing_recipient_unique"),
            # A bounce finds its recipient by the Message-ID.
            models.UniqueConstraint(fields=["message_id"], name="mailing_recipient_message_id"),
        ]
        indexes = [
            # The sending batches (queued rows of one mailing) and the report's counts.
            models.Index(fields=["mailing", "status", "id"], name="mailing_recipient_status"),
        ]

    def __str__(self):
        return f"{self.mailing_id} → {self.address}"
