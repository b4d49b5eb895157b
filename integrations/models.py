"""Webhooks (subscriptions, their deliveries and each delivery's attempts) and web forms."""

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import bounds, events

from .validators import (
    normal_origin,
    validate_event_names,
    validate_origin,
    validate_target_url,
)

EXCERPT_LENGTH = 500  # of a receiver's answer or an error, kept per attempt


def new_secret() -> str:
    return secrets.token_hex(32)


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


class WebhookSubscription(models.Model):
    """A URL that hears some of the CRM's events, each POSTed as signed JSON."""

    EVENT_CHOICES = [(name, name) for name in events.EVENTS]

    name = models.CharField(_("name"), max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="webhook_subscriptions",
        help_text=_("Told when the subscription is switched off after repeated failures."),
    )
    target_url = models.URLField(
        _("target URL"),
        max_length=500,
        validators=[validate_target_url],
        help_text=_("Where the events are POSTed: http or https."),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=64,
        default=new_secret,
        editable=False,
        help_text=_("Signs every delivery (HMAC-SHA256); the receiver checks the signature."),
    )
    events = models.JSONField(
        _("events"),
        default=list,
        validators=[validate_event_names],
        help_text=_("The events sent to this URL."),
    )
    active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(
        _("failed deliveries in a row"),
        default=0,
        editable=False,
        help_text=_("Deliveries that used up every retry since the last success."),
    )
    disabled_at = models.DateTimeField(
        _("switched off automatically at"),
        null=True,
        blank=True,
        editable=False,
        validators=[bounds.WindowValidator("recorded")],
        help_text=_("Set when repeated failed deliveries switched the subscription off."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        constraints = [
            models.CheckConstraint(
                condition=Q(target_url__startswith="http://")
                | Q(target_url__startswith="https://"),
                name="webhook_target_is_http",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("integrations:subscription_detail", args=[self.pk])

    def wants(self, event_name: str) -> bool:
        return self.active and event_name in (self.events or [])


class WebhookDelivery(models.Model):
    """One event for one subscription: queued in the event's transaction, tried until it gets
    through or every retry is used up."""

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("webhook delivery", "Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        # The log goes with its subscription (only an admin deletes one; managers switch off).
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.CharField(_("event"), max_length=40, choices=WebhookSubscription.EVENT_CHOICES)
    event_key = models.CharField(
        _("event key"),
        max_length=100,
        help_text=_("The occurrence (the payload's id): receivers may use it to drop repeats."),
    )
    payload = models.JSONField(_("payload"))
    redelivery_of = models.ForeignKey(
        "self",
        verbose_name=_("redelivery of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="redeliveries",
    )
    state = models.CharField(_("state"), max_length=20, choices=State, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(
        _("next attempt at"), null=True, blank=True, validators=[bounds.WindowValidator("recorded")]
    )
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )
    finished_at = models.DateTimeField(
        _("finished at"), null=True, blank=True, validators=[bounds.WindowValidator("recorded")]
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            # An event a job notices on every run is delivered once (core.events' key).
            models.UniqueConstraint(
                fields=["subscription", "event_key"],
                condition=Q(redelivery_of__isnull=True),
                name="webhook_delivery_once_per_event",
            ),
            models.CheckConstraint(
                condition=~Q(state="pending") | Q(next_attempt_at__isnull=False),
                name="webhook_pending_delivery_has_next_attempt",
            ),
        ]
        indexes = [
            # The delivery log of a subscription, newest first.
            models.Index(fields=["subscription", "-created_at", "-id"], name="webhook_log_idx"),
            # The retry job: pending deliveries whose next attempt is due.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="pending"),
                name="webhook_due_idx",
            ),
        ]

    def __str__(self):
        return f"{self.event} → {self.subscription}"


class WebhookAttempt(models.Model):
    """One POST of a delivery and how the receiver answered."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        verbose_name=_("delivery"),
        on_delete=models.CASCADE,
        related_name="attempt_log",
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"), validators=[bounds.WindowValidator("recorded")])
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response_excerpt = models.CharField(_("response"), max_length=EXCERPT_LENGTH, blank=True)
    error = models.CharField(_("error"), max_length=EXCERPT_LENGTH, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_once"),
        ]

    def __str__(self):
        return f"{self.delivery_id} #{self.number}"

    @property
    def succeeded(self):
        return self.status_code is not None and 200 <= self.status_code < 300


class WebForm(models.Model):
    """A website's contact form: what it posts to /forms/<slug>/ becomes a customer."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(
        pgettext_lazy("web form", "address"),
        max_length=50,
        unique=True,
        error_messages={"unique": _("A web form with this address already exists.")},
        help_text=_("The last part of the form's URL: it posts to /forms/ followed by this."),
    )
    token = models.CharField(
        _("secret token"),
        max_length=64,
        default=new_form_token,
        editable=False,
        help_text=_("Sent with every post (in the URL or the X-CRM-Form-Token header)."),
    )
    allowed_origin = models.CharField(
        _("allowed origin"),
        max_length=200,
        blank=True,
        validators=[validate_origin],
        help_text=_(
            "The website the form is on, e.g. https://www.example.com: posts from other sites "
            "are refused, and only its pages may be the redirect after a post."
        ),
    )
    redirect_url = models.URLField(
        _("page after a post"),
        max_length=500,
        blank=True,
        help_text=_(
            "For plain HTML forms: where the visitor goes after posting (on the allowed origin)."
        ),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner of new customers"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: new customers wait unassigned, for anyone to pick up."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")
        constraints = [
            models.CheckConstraint(
                condition=Q(redirect_url="") | ~Q(allowed_origin=""),
                name="webform_redirect_needs_origin",
                violation_error_message=_("Set the allowed origin to redirect after a post."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("integrations:webform_detail", args=[self.pk])

    def clean(self):
        if self.redirect_url and self.allowed_origin:
            parts = urlsplit(self.redirect_url)
            if normal_origin(f"{parts.scheme}://{parts.netloc}") != normal_origin(
                self.allowed_origin
            ):
                raise ValidationError(
                    {"redirect_url": _("The page after a post must be on the allowed origin.")}
                )
