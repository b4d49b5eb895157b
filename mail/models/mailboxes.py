"""Mailboxes connected over IMAP: a shared one (sales@) or a user's own."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Mailbox(models.Model):
    """An IMAP mailbox the CRM reads, keeping its place by UIDVALIDITY and the last UID seen."""

    class Kind(models.TextChoices):
        SHARED = "shared", _("Shared (e.g. sales@)")
        PERSONAL = "personal", _("A user's own")

    name = models.CharField(_("name"), max_length=100)
    address = models.EmailField(
        _("address"),
        max_length=254,
        unique=True,
        error_messages={"unique": _("A mailbox with this address already exists.")},
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.SHARED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mailboxes",
        help_text=_("The user whose own mailbox this is; empty for a shared one."),
    )
    imap_host = models.CharField(_("IMAP server"), max_length=253)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_ssl = models.BooleanField(_("TLS (IMAPS)"), default=True)
    username = models.CharField(_("user name"), max_length=254)
    # Encrypted by mail.crypto; never shown, never audited in clear.
    password_encrypted = models.TextField(_("password (encrypted)"), blank=True, editable=False)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    is_active = models.BooleanField(_("sync on"), default=True)
    # Where the sync stands: a changed UIDVALIDITY means the folder's UIDs were renumbered.
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(_("last UID filed"), default=0, editable=False)
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=500, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="shared", owner__isnull=True)
                | models.Q(kind="personal", owner__isnull=False),
                name="mailbox_personal_has_owner",
                violation_error_message=_("A personal mailbox has an owner; a shared one none."),
            ),
            models.CheckConstraint(
                condition=models.Q(imap_port__gte=1, imap_port__lte=65535),
                name="mailbox_port_valid",
            ),
            models.CheckConstraint(condition=models.Q(last_uid__gte=0), name="mailbox_uid_valid"),
        ]

    def __str__(self):
        return f"{self.name} <{self.address}>"
