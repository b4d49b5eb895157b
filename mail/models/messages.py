"""E-mail messages: written from the CRM (queued, sent, failed) or filed from a mailbox."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.visibility import CustomerRecordQuerySet
from customers.models import ContactPerson, Customer
from processes.models import ProcessInstance
from relationships.models import Document, Interaction

from .mailboxes import Mailbox

# A message's text as kept; longer ones are cut (the timeline shows the start anyway).
BODY_LIMIT = 100_000


class EmailMessage(models.Model):
    """One e-mail, once: outbound ones the CRM sends, inbound and outbound ones a mailbox sync
    files. Message-ID is unique, so a message seen twice (two mailboxes, a sync resumed after a
    kill) is filed once; threads are kept by the first message's Message-ID."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        FILED = "filed", _("Filed")
        TRIAGE = "triage", _("Waiting for triage")
        DISMISSED = "dismissed", _("Dismissed")

    direction = models.CharField(_("direction"), max_length=10, choices=Direction)
    status = models.CharField(_("status"), max_length=10, choices=Status)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="email_messages",
        db_index=False,  # email_customer_idx starts with it
    )
    contact_person = models.ForeignKey(
        ContactPerson,
        verbose_name=_("contact person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="email_messages",
    )
    process_instance = models.ForeignKey(
        ProcessInstance,
        verbose_name=_("process"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="email_messages",
        help_text=_("The deal, ticket or collection case the message is about."),
    )
    interaction = models.OneToOneField(
        Interaction,
        verbose_name=_("interaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="email_message",
    )
    mailbox = models.ForeignKey(
        Mailbox,
        verbose_name=_("mailbox"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
    )
    imap_uid = models.BigIntegerField(_("IMAP UID"), null=True, blank=True, editable=False)
    message_id = models.CharField(_("Message-ID"), max_length=255, editable=False)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=255, blank=True, editable=False)
    references = bounds.text_field(
        _("References"), blank=True, editable=False, limit=bounds.SHORT_TEXT
    )
    thread_id = models.CharField(
        _("thread"),
        max_length=255,
        editable=False,
        help_text=_("The Message-ID of the thread's first message."),
    )
    from_address = models.EmailField(_("from"), max_length=254)
    from_name = models.CharField(_("sender's name"), max_length=200, blank=True)
    to_addresses = models.JSONField(_("to"), default=list)
    cc_addresses = models.JSONField(_("cc"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = bounds.text_field(_("text"), blank=True, limit=BODY_LIMIT)
    attachments = models.ManyToManyField(
        Document, verbose_name=_("attachments"), blank=True, related_name="email_messages"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="email_messages",
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0, editable=False)
    last_error = models.CharField(_("last error"), max_length=500, blank=True, editable=False)
    occurred_at = models.DateTimeField(
        _("date"),
        default=timezone.now,
        help_text=_("When it was written (outbound) or sent to us (inbound)."),
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = CustomerRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        constraints = [
            # Dedupe: a message is filed once, however many mailboxes or syncs see it.
            models.UniqueConstraint(fields=["message_id"], name="email_message_id_unique"),
            models.CheckConstraint(
                condition=~models.Q(message_id=""), name="email_message_id_present"
            ),
            # Filed and outbound messages belong to a customer; triage ones wait for one.
            models.CheckConstraint(
                condition=models.Q(status__in=["triage", "dismissed"])
                | models.Q(customer__isnull=False),
                name="email_filed_has_customer",
            ),
            models.CheckConstraint(
                condition=models.Q(direction="outbound")
                | ~models.Q(status__in=["queued", "sent", "failed"]),
                name="email_send_status_outbound",
            ),
        ]
        indexes = [
            # The customer page's e-mails, newest first.
            models.Index(fields=["customer", "-occurred_at"], name="email_customer_idx"),
            # Threads: the replies to a message, found by its thread.
            models.Index(fields=["thread_id"], name="email_thread_idx"),
            # The sender's queue and the triage list: by status, oldest first.
            models.Index(fields=["status", "occurred_at"], name="email_status_idx"),
        ]

    def __str__(self):
        return self.subject or self.message_id
