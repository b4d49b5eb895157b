"""Marketing consent per purpose, with its history: what a contact person agreed to receive
(newsletter, product offers, events...), when, through which channel, with which wording, and who
recorded it. A later mailing feature reads the current state (ConsentState); the history
(ConsentEvent) is append-only: a withdrawal is a new event, never an edit.

ContactPerson.marketing_consent / marketing_consent_at stay: they mirror the current state of
the default purpose (the one the old single checkbox meant), written by the consent service, so
the contact form, the data-quality report and the generator keep working.

These models live in their own module (re-exported by customers.models) because the file they
belong beside was near the size where the project splits files.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds


class ConsentPurpose(models.Model):
    """Something a person may consent to be contacted for; managed by managers in the admin."""

    code = models.SlugField(
        _("code"),
        max_length=50,
        unique=True,
        error_messages={"unique": _("A consent purpose with this code already exists.")},
    )
    name = models.CharField(
        _("name"),
        max_length=100,
        unique=True,
        error_messages={"unique": _("A consent purpose with this name already exists.")},
    )
    wording = bounds.text_field(
        _("wording"),
        limit=bounds.SHORT_TEXT,
        help_text=_(
            "The text shown to the person when they consent; each consent keeps a copy of it."
        ),
    )
    is_default = models.BooleanField(
        _("default purpose"),
        default=False,
        help_text=_("The purpose of the contact form's single 'marketing consent' checkbox."),
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive purposes keep their history.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("consent purpose")
        verbose_name_plural = _("consent purposes")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="consent_one_default_purpose",
                violation_error_message=_("Another purpose is already the default one."),
            ),
        ]

    def __str__(self):
        return self.name


class ConsentEvent(models.Model):
    """One consent given or withdrawn. Append-only: the history is the evidence."""

    class Source(models.TextChoices):
        FORM = "form", _("Form")
        IMPORT = "import", _("Import")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
        EARLIER = "earlier", _("Recorded before the consent history")
        ERASURE = "erasure", _("Erasure of the person's data")

    contact = models.ForeignKey(
        "customers.ContactPerson",
        verbose_name=_("contact person"),
        on_delete=models.PROTECT,
        related_name="consent_events",
        db_index=False,  # consent_event_history starts with it
    )
    purpose = models.ForeignKey(
        ConsentPurpose,
        verbose_name=_("purpose"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    given = models.BooleanField(_("given"), help_text=_("Given, or withdrawn."))
    at = models.DateTimeField(
        _("when"), default=timezone.now, validators=[bounds.WindowValidator("past")]
    )
    source = models.CharField(_("source"), max_length=20, choices=Source)
    wording = bounds.text_field(
        _("wording shown"),
        blank=True,
        limit=bounds.SHORT_TEXT,
        help_text=_("The text the person saw when they gave or withdrew consent."),
    )
    by_person = models.BooleanField(
        _("by the person themself"),
        default=False,
        help_text=_("The person acted themself (a form, an unsubscribe link), not a staff member."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("consent event")
        verbose_name_plural = _("consent events")
        constraints = [
            # Every event says who acted: a staff member, the person, or the conversion of
            # the old checkbox (whose author was never recorded).
            models.CheckConstraint(
                condition=models.Q(recorded_by__isnull=False)
                | models.Q(by_person=True)
                | models.Q(source__in=["earlier", "erasure"]),
                name="consent_event_has_author",
                violation_error_message=_("Say who recorded the consent."),
            ),
            models.CheckConstraint(
                condition=models.Q(
                    source__in=["form", "import", "phone", "email", "unsubscribe", "earlier"]
                )
                | models.Q(source="erasure", given=False),
                name="consent_event_source_valid",
            ),
            bounds.window_check(
                "at", bounds.PAST, name="consent_event_in_window", datetime_field=True
            ),
        ]
        indexes = [
            # The history on the contact person's consent page, newest first.
            models.Index(fields=["contact", "purpose", "-at", "-id"], name="consent_event_history"),
        ]

    def __str__(self):
        return f"{self.purpose} · {self.given} · {self.at:%Y-%m-%d}"


class ConsentState(models.Model):
    """The current consent of one person for one purpose: the latest event, kept by the consent
    service so that "who may we mail about events" is one indexed lookup."""

    contact = models.ForeignKey(
        "customers.ContactPerson",
        verbose_name=_("contact person"),
        on_delete=models.PROTECT,
        related_name="consent_states",
        db_index=False,  # consent_state_unique starts with it
    )
    purpose = models.ForeignKey(
        ConsentPurpose,
        verbose_name=_("purpose"),
        on_delete=models.PROTECT,
        related_name="states",
        db_index=False,  # consent_state_purpose starts with it
    )
    given = models.BooleanField(_("given"))
    since = models.DateTimeField(_("since"), validators=[bounds.WindowValidator("past")])
    event = models.OneToOneField(
        ConsentEvent,
        verbose_name=_("latest event"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(fields=["contact", "purpose"], name="consent_state_unique"),
        ]
        indexes = [
            # A mailing's recipients: the people consenting to one purpose.
            models.Index(fields=["purpose", "given"], name="consent_state_purpose"),
        ]

    def __str__(self):
        return f"{self.contact_id} · {self.purpose_id} · {self.given}"
