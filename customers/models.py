from django.conf import settings
from django.db import models
from django.db.models.functions import Replace, Right
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core import bounds, visibility

# National numbers in Poland and Czechia have nine digits: comparing the last nine digits
# matches "+48 600 100 200" with "600100200" whatever prefix was typed.
PHONE_KEY_LENGTH = 9


def normalize_tax_id(value):
    return "".join(ch for ch in (value or "") if ch.isalnum()).upper()


def phone_digits(value):
    return "".join(ch for ch in (value or "") if ch.isdigit())


def phone_key(value):
    digits = phone_digits(value)
    return digits[-PHONE_KEY_LENGTH:] if len(digits) >= PHONE_KEY_LENGTH else ""


def default_contact_language():
    # A new contact person's language comes from the customer's country (the form and
    # core.i18n.language_for_country); this is the default of anyone created without one.
    return settings.LANGUAGE_CODE


def _digits_only(field):
    """An expression stripping the usual phone separators: '+48 600-100 200' → '48600100200'."""
    expression = models.F(field)
    for char in (" ", "-", "(", ")", "+", ".", "/"):
        expression = Replace(expression, models.Value(char), models.Value(""))
    return expression


class Segment(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = bounds.text_field(
        _("description"),
        blank=True,
        limit=bounds.SHORT_TEXT,
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self):
        return self.name


class CustomerQuerySet(models.QuerySet):
    # What a row of the customer list shows: every list request builds 25 of these, so the
    # other columns (notes, address, generated phone keys...) are not fetched or converted.
    LIST_FIELDS = (
        "kind",
        "display_name",
        "tax_id",
        "city",
        "status",
        "relationship_kind",
        "first_contact_on",
        "last_contact_at",
        "grade",
        "ltv",
        "ltv_currency",
        "payment_reliability",
        "avg_days_late",
        "scored_at",
        "owner__username",
    )

    def for_list(self):
        """Rows for the customer list; each customer's segments are in `list_segments`."""
        return (
            self.select_related("owner")
            .only(*self.LIST_FIELDS)
            .prefetch_related(
                models.Prefetch(
                    "segments", queryset=Segment.objects.only("name"), to_attr="list_segments"
                )
            )
        )

    def visible_to(self, user):
        """The customers `user` sees (core.visibility); in "all" mode every one, no filter."""
        condition = visibility.visible_q(user)
        return self if condition is None else self.filter(condition)

    def editable_by(self, user):
        """The customers `user` may change (owner's side or manager), in both modes."""
        condition = visibility.editable_q(user)
        return self if condition is None else self.filter(condition)

    def search(self, term):
        term = (term or "").strip()
        if not term:
            return self
        if len(term) > bounds.SEARCH_TERM_MAX_LENGTH:
            return self.none()
        digits, key = phone_digits(term), phone_key(term)
        condition = (
            models.Q(display_name__icontains=term)
            | models.Q(legal_name__icontains=term)
            | models.Q(email=term.lower())
            | models.Q(tax_id=normalize_tax_id(term))
        )
        if key:
            condition |= models.Q(phone_key=key)
        elif len(digits) >= 6:
            condition |= models.Q(phone_digits__endswith=digits)
        return self.filter(condition)


class Customer(models.Model):
    """A person or organisation we know, from the first contact on. Never hard-deleted."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANISATION = "organisation", _("Organisation")

    class Source(models.TextChoices):
        MAILING = "mailing", _("Mailing")
        WEB_FORM = "web_form", _("Web form")
        REFERRAL = "referral", _("Referral")
        EVENT = "event", _("Event")
        INBOUND_CALL = "inbound_call", _("Inbound call")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        """The state of the customer's current relationship, written by relationship services."""

        PROSPECT = "prospect", _("Prospect")
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    class Grade(models.TextChoices):
        """Customer value grades; analytics' scoring parameters set the thresholds."""

        A = "A", _("A: most valuable")
        B = "B", _("B: valuable")
        C = "C", _("C: modest")
        D = "D", _("D: low value or unreliable")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.ORGANISATION)
    display_name = models.CharField(_("display name"), max_length=200)
    legal_name = models.CharField(_("legal name"), max_length=300, blank=True)
    tax_id = models.CharField(
        _("tax id"),
        max_length=40,
        blank=True,
        help_text=_("VAT / NIP / IČO; stored without spaces or dashes, unique when given."),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    phone_digits = models.GeneratedField(
        expression=_digits_only("phone"),
        output_field=models.CharField(max_length=40),
        db_persist=True,
        help_text=_("The phone number without separators, for search and duplicate detection."),
    )
    phone_key = models.GeneratedField(
        expression=Right(_digits_only("phone"), PHONE_KEY_LENGTH),
        output_field=models.CharField(max_length=PHONE_KEY_LENGTH),
        db_persist=True,
        help_text=_("The last nine digits of the phone number, to match it whatever the prefix."),
    )
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("ISO 3166 code, e.g. PL")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_customers",
        db_index=False,  # customer_owner_name_idx starts with it
    )
    source = models.CharField(_("source of first contact"), max_length=20, choices=Source)
    first_contact_on = models.DateField(
        _("first contact on"), validators=[bounds.WindowValidator("past")]
    )
    segments = models.ManyToManyField(
        Segment, verbose_name=_("segments"), blank=True, related_name="customers"
    )
    notes = bounds.text_field(
        _("notes"),
        blank=True,
        limit=bounds.LONG_TEXT,
    )

    # Denormalised from the current relationship by relationships.services, so lists can filter
    # and sort on them without a join (see the indexes below).
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.PROSPECT)
    relationship_kind = models.CharField(_("relationship kind"), max_length=20, blank=True)
    last_contact_at = models.DateTimeField(
        _("last contact"), null=True, blank=True, validators=[bounds.WindowValidator("past")]
    )

    # Value at a glance: written by the scoring job (analytics.scoring) from the customer's
    # current score, so every list, the page header and the processes' decision rules read them
    # without importing analytics or joining the score history.
    grade = models.CharField(
        _("grade"),
        max_length=1,
        choices=Grade,
        null=True,
        blank=True,
        editable=False,
        help_text=_("Empty until the customer is first scored."),
    )
    ltv = models.DecimalField(
        _("lifetime value"),
        max_digits=16,
        decimal_places=2,
        default=0,
        db_default=0,  # the data generator's COPY leaves it out
        editable=False,
        help_text=_("In the scoring base currency (ltv_currency)."),
    )
    ltv_currency = models.CharField(
        _("value currency"), max_length=3, blank=True, default="", db_default="", editable=False
    )
    payment_reliability = models.DecimalField(
        _("payment reliability"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
        help_text=_("0-100; empty while no invoice has fallen due."),
    )
    avg_days_late = models.DecimalField(
        _("average days late"),
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        editable=False,
    )
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True, editable=False)

    erased_at = models.DateTimeField(
        _("personal data erased at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Set when a person's data was erased (privacy); the row and its finances stay."
        ),
    )

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # customer_author_idx starts with it
    )

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["display_name", "id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["tax_id"],
                condition=~models.Q(tax_id=""),
                name="customer_tax_id_unique_when_given",
                violation_error_message=_("A customer with this tax id already exists."),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["prospect", "active", "ended"]),
                name="customer_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(grade__isnull=True) | models.Q(grade__in=["A", "B", "C", "D"]),
                name="customer_grade_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(payment_reliability__isnull=True)
                | models.Q(payment_reliability__gte=0, payment_reliability__lte=100),
                name="customer_reliability_in_range",
            ),
            bounds.window_check(
                "first_contact_on", bounds.PAST, name="customer_first_contact_in_window"
            ),
            # An erased customer holds no way to reach or find the person any more.
            models.CheckConstraint(
                condition=models.Q(erased_at__isnull=True)
                | models.Q(email="", phone="", street="", postal_code="", notes=""),
                name="customer_erased_holds_no_contact_data",
            ),
            bounds.window_check(
                "last_contact_at",
                bounds.PAST,
                name="customer_last_contact_in_window",
                datetime_field=True,
            ),
        ]
        indexes = [
            # Customer list: default sort and name sort. Every list index ends in id, the
            # tie-breaker, so a page's keys come from an index-only scan (core.pagination).
            models.Index(fields=["display_name", "id"], name="customer_name_idx"),
            models.Index(fields=["status", "display_name", "id"], name="customer_status_name_idx"),
            models.Index(fields=["owner", "display_name", "id"], name="customer_owner_name_idx"),
            # "My active customers": the most common combination of filters.
            models.Index(
                fields=["owner", "status", "display_name", "id"], name="customer_owner_status_idx"
            ),
            models.Index(fields=["-last_contact_at", "-id"], name="customer_last_contact_id_idx"),
            models.Index(fields=["-first_contact_on", "-id"], name="customer_first_contact_idx"),
            models.Index(fields=["city", "id"], name="customer_city_idx"),
            models.Index(fields=["source", "display_name", "id"], name="customer_source_name_idx"),
            models.Index(fields=["relationship_kind"], name="customer_rel_kind_idx"),
            # Customer list: filtered and sorted by value (grade then name, LTV, reliability).
            # Unscored customers (NULL grade or reliability) sort last in both directions; the
            # NULLS LAST indexes that serves (customer_grade_desc_idx, customer_reliability_idx,
            # customer_reliability_desc_idx) exist on PostgreSQL only, created by migration
            # 0006, since SQLite's CREATE INDEX cannot say NULLS LAST.
            models.Index(fields=["grade", "display_name", "id"], name="customer_grade_name_idx"),
            models.Index(fields=["ltv", "id"], name="customer_ltv_idx"),
            # Duplicate guard and global search.
            # E-mails are stored lower-cased (see clean()), so a plain index serves exact lookups.
            models.Index(fields=["email"], name="customer_email_idx"),
            models.Index(fields=["phone_key"], name="customer_phone_key_idx"),
            # Usage report (analytics.usage): customers added per user and period.
            models.Index(fields=["created_by", "created_at"], name="customer_author_idx"),
            # Usage report (analytics.usage): today's customers counted live, and the nightly
            # rollup's ranges of days.
            models.Index(fields=["created_at"], name="customer_created_idx"),
        ]

    def __str__(self):
        return self.display_name

    def get_absolute_url(self):
        return reverse("customers:detail", args=[self.pk])

    def clean(self):
        # Stored in one spelling so uniqueness and search see "PL 123-456" and "pl123456" as one.
        self.tax_id = normalize_tax_id(self.tax_id)
        self.email = (self.email or "").strip().lower()


class ContactPerson(models.Model):
    """Someone who represents a customer: who we talk to."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contacts"
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    title = models.CharField(_("role / title"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    phone_digits = models.GeneratedField(
        expression=_digits_only("phone"),
        output_field=models.CharField(max_length=40),
        db_persist=True,
    )
    phone_key = models.GeneratedField(
        expression=Right(_digits_only("phone"), PHONE_KEY_LENGTH),
        output_field=models.CharField(max_length=PHONE_KEY_LENGTH),
        db_persist=True,
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=default_contact_language,
        help_text=_(
            "E-mails to this person (payment reminders, demands) are written in this language."
        ),
    )
    is_primary = models.BooleanField(_("primary contact"), default=False)
    marketing_consent = models.BooleanField(_("marketing consent"), default=False)
    marketing_consent_at = models.DateTimeField(
        _("marketing consent given at"),
        null=True,
        blank=True,
        help_text=_("When the person gave (or last confirmed) consent to marketing messages."),
        validators=[bounds.WindowValidator("past")],
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive people stay in the history but are not offered."),
    )
    erased_at = models.DateTimeField(
        _("personal data erased at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when the person's data was erased (privacy)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = visibility.CustomerRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-is_primary", "last_name", "first_name", "id"]
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(is_primary=True),
                name="one_primary_contact_per_customer",
                violation_error_message=_("This customer already has a primary contact person."),
            ),
            models.CheckConstraint(
                condition=models.Q(marketing_consent=False)
                | models.Q(marketing_consent_at__isnull=False),
                name="contact_consent_has_date",
                violation_error_message=_("Marketing consent needs the date it was given."),
            ),
            models.CheckConstraint(
                condition=models.Q(erased_at__isnull=True)
                | models.Q(email="", phone="", title="", marketing_consent=False, is_active=False),
                name="contact_erased_holds_no_contact_data",
            ),
            bounds.window_check(
                "marketing_consent_at",
                bounds.PAST,
                name="contact_consent_in_window",
                datetime_field=True,
            ),
        ]
        indexes = [
            # Global search by name, e-mail and phone.
            models.Index(fields=["last_name", "first_name"], name="contact_name_idx"),
            models.Index(fields=["email"], name="contact_email_idx"),
            models.Index(fields=["phone_key"], name="contact_phone_key_idx"),
        ]

    def __str__(self):
        return self.full_name

    def clean(self):
        self.email = (self.email or "").strip().lower()

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}".strip()


# Consent per purpose lives in its own module (see its docstring); imported here so Django
# registers the models with the app and callers import them from customers.models.
from .consents import ConsentEvent, ConsentPurpose, ConsentState  # noqa: E402, F401
