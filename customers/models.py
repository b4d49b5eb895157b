from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.functions import Replace, Right
from django.urls import reverse
from django.utils import timezone
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
    name = models.CharField(
        _("name"),
        max_length=100,
        unique=True,
        error_messages={"unique": _("A segment with this name already exists.")},
    )
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


# The customers that are not merged into another: what lists, search and counts show. The list
# indexes are partial on exactly this condition (see Customer.Meta.indexes).
CURRENT = ~models.Q(status="merged")


def tax_id_in(values):
    """The customers holding one of these tax ids, merged ones included, as a condition that
    indexes answer for a long list (an import's chunk of 1,000). `tax_id IN (…)` alone is a
    scan of the whole table: the one index on tax_id is the partial unique one over the
    customers not merged that have a tax id, and PostgreSQL proves that a list implies its
    condition only for lists of up to 100 values. So the list is asked of those customers with
    the index's own condition, and of the merged ones through customer_merged_into_idx (a
    customer is merged exactly when it names its survivor: customer_merged_has_survivor)."""
    values = [value for value in values if value]
    return (models.Q(tax_id__in=values) & ~models.Q(tax_id="") & CURRENT) | models.Q(
        tax_id__in=values, merged_into__isnull=False
    )


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
        "value__grade",
        "value__ltv",
        "value__ltv_currency",
        "value__payment_reliability",
        "value__avg_days_late",
        "value__scored_at",
        "owner__username",
    )

    def current(self):
        """The customers not merged into another (the list indexes hold exactly these)."""
        return self.filter(CURRENT)

    def for_list(self):
        """Rows for the customer list; each customer's segments are in `list_segments`."""
        return (
            self.select_related("owner", "value")
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

    def not_contacted_since(self, moment):
        """Customers still in a relationship (or prospects) last contacted before `moment`, or
        never: whom their owner should call."""
        return self.exclude(status=Customer.Status.ENDED).filter(
            models.Q(last_contact_at__lt=moment) | models.Q(last_contact_at__isnull=True)
        )

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
        )
        # A term without letters or digits ("!", "%", an emoji) normalises to "": compared,
        # it would match every customer without a tax id (and no index holds those).
        if tax_id := normalize_tax_id(term):
            condition |= models.Q(tax_id=tax_id)
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
        EMAIL = "email", _("E-mail")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        """The state of the customer's current relationship, written by relationship services."""

        PROSPECT = "prospect", _("Prospect")
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")
        # Written by customers.merging only: the row stays (customers are never deleted) and
        # points at the survivor, which holds everything that was the merged customer's.
        MERGED = "merged", _("Merged into another customer")

    class RelationshipKind(models.TextChoices):
        """The kind of the customer's current relationship (`relationship_kind`): the labels of
        relationships' Relationship.Kind, which this app may not import (the layers point down);
        tests/relationships/test_relationship_kinds.py keeps the two the same."""

        LASTING = "lasting", _("Lasting relationship")
        CASUAL = "casual", _("Casual contact")

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
    email = models.EmailField(_("e-mail"), blank=True, validators=[bounds.validate_mailbox_address])
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
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="merged_customers",
        db_index=False,  # customer_merged_into_idx, partial: almost every row has none
        help_text=_("The customer this duplicate was merged into; its pages lead there."),
    )

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
            # A merged customer keeps its tax id for the record, and its survivor may take it.
            models.UniqueConstraint(
                fields=["tax_id"],
                condition=~models.Q(tax_id="") & ~models.Q(status="merged"),
                name="customer_tax_id_unique_when_given",
                violation_error_message=_("A customer with this tax id already exists."),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["prospect", "active", "ended", "merged"]),
                name="customer_status_valid",
            ),
            # A merged customer always names its survivor, and only a merged one names any.
            models.CheckConstraint(
                condition=models.Q(status="merged", merged_into__isnull=False)
                | (~models.Q(status="merged") & models.Q(merged_into__isnull=True)),
                name="customer_merged_has_survivor",
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
        # Every list index is partial, over the customers that are not merged: the lists
        # leave merged ones out (CustomerQuerySet.current()), and a condition the index does
        # not hold would send each page's id scan to the table.
        indexes = [
            # Customer list: default sort and name sort. Every list index ends in id, the
            # tie-breaker, so a page's keys come from an index-only scan (core.pagination).
            models.Index(
                fields=["display_name", "id"], name="customer_name_idx", condition=CURRENT
            ),
            models.Index(
                fields=["status", "display_name", "id"],
                name="customer_status_name_idx",
                condition=CURRENT,
            ),
            models.Index(
                fields=["owner", "display_name", "id"],
                name="customer_owner_name_idx",
                condition=CURRENT,
            ),
            # "My active customers": the most common combination of filters.
            models.Index(
                fields=["owner", "status", "display_name", "id"],
                name="customer_owner_status_idx",
                condition=CURRENT,
            ),
            models.Index(
                fields=["-last_contact_at", "-id"],
                name="customer_last_contact_id_idx",
                condition=CURRENT,
            ),
            # The sales home's "not contacted for 30 days" (analytics.home) and the list
            # filtered by owner sorted by last contact: a range of the owner's entries, in order;
            # its count reads no row of the table (the status is included).
            models.Index(
                fields=["owner", "last_contact_at", "id"],
                name="customer_owner_contact_idx",
                condition=CURRENT,
                include=["status"],
            ),
            models.Index(
                fields=["-first_contact_on", "-id"],
                name="customer_first_contact_idx",
                condition=CURRENT,
            ),
            models.Index(fields=["city", "id"], name="customer_city_idx", condition=CURRENT),
            models.Index(
                fields=["source", "display_name", "id"],
                name="customer_source_name_idx",
                condition=CURRENT,
            ),
            models.Index(fields=["relationship_kind"], name="customer_rel_kind_idx"),
            # Merging: a survivor's merged customers (their redirects, its history).
            models.Index(
                fields=["merged_into"],
                name="customer_merged_into_idx",
                condition=models.Q(merged_into__isnull=False),
            ),
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

    # The customer's value (CustomerValue), read as if it were the customer's own: lists, the
    # page header, exports and the processes' rules show `customer.grade`. Querysets that show
    # it select_related("value"). A customer not saved yet reads as not scored; a saved one
    # always has its row (customers.value_rows), and a missing one is an error, not "unscored".
    @property
    def current_value(self):
        if self._state.adding and not Customer.value.related.is_cached(self):
            return CustomerValue()
        return self.value

    @property
    def grade(self):
        return self.current_value.grade

    def get_grade_display(self):
        return self.current_value.get_grade_display()

    @property
    def ltv(self):
        return self.current_value.ltv

    @property
    def ltv_currency(self):
        return self.current_value.ltv_currency

    @property
    def payment_reliability(self):
        return self.current_value.payment_reliability

    @property
    def avg_days_late(self):
        return self.current_value.avg_days_late

    @property
    def scored_at(self):
        return self.current_value.scored_at


# Sorting by value puts unscored customers last in both directions (NULLS LAST). PostgreSQL
# sorts NULLs last in ascending order already, so the declared indexes below serve the
# ascending sorts; the descending ones need DESC NULLS LAST, which Django cannot declare: these
# are created on PostgreSQL only by migration customers 0016 (SQLite cannot say NULLS LAST in an
# index, and needs none at development sizes).
VALUE_DESC_INDEXES = {
    "value_grade_desc_idx": '"grade" DESC NULLS LAST, "ltv" ASC, "customer_id" DESC',
    "value_ltv_desc_idx": '"ltv" DESC NULLS LAST, "customer_id" DESC',
    "value_reliability_desc_idx": '"payment_reliability" DESC NULLS LAST, "customer_id" DESC',
}


class CustomerValue(models.Model):
    """A customer's value at a glance, one row per customer: written by the scoring job
    (analytics.scoring) from the customer's current score, so every list, the page header and
    the processes' decision rules read it without importing analytics or joining the score
    history. A narrow table of its own, so that a rescore rewrites these few columns and their
    indexes and never the wide, heavily indexed customer row.

    Every customer has its row from the moment it is inserted: a database trigger on
    customers_customer adds it (customers.value_rows), whatever wrote the customer (services,
    imports, the API, the data generator's COPY, raw SQL), so lists join it with an inner join
    and sort from its indexes. A merged customer keeps its row, as it keeps every other row;
    the lists leave merged customers out by the customer's status.
    """

    customer = models.OneToOneField(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="value",
    )
    grade = models.CharField(
        _("grade"),
        max_length=1,
        choices=Customer.Grade,
        null=True,
        blank=True,
        editable=False,
        help_text=_("Empty until the customer is first scored."),
    )
    # Empty until the customer is first scored (as the grade), so that sorting by LTV puts the
    # unscored customers last both ways, after the negative values too (payouts above payments).
    ltv = models.DecimalField(
        _("lifetime value"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
        help_text=_("In the scoring base currency (ltv_currency)."),
    )
    ltv_currency = models.CharField(
        _("value currency"),
        max_length=3,
        blank=True,
        default="",
        db_default="",  # the trigger inserts the customer id only
        editable=False,
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

    class Meta:
        verbose_name = _("customer value")
        verbose_name_plural = _("customer values")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grade__isnull=True) | models.Q(grade__in=["A", "B", "C", "D"]),
                name="value_grade_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(payment_reliability__isnull=True)
                | models.Q(payment_reliability__gte=0, payment_reliability__lte=100),
                name="value_reliability_in_range",
            ),
        ]
        # Customer list: filtered and sorted by value. Each ends in the customer id, the list's
        # tie-breaker, so a page's keys come from the index (core.pagination); the descending
        # sorts use VALUE_DESC_INDEXES.
        indexes = [
            # Grade, then the most valuable first: the best customers of each grade on top.
            models.Index(fields=["grade", "-ltv", "customer"], name="value_grade_ltv_idx"),
            models.Index(fields=["ltv", "customer"], name="value_ltv_idx"),
            models.Index(fields=["payment_reliability", "customer"], name="value_reliability_idx"),
        ]

    def __str__(self):
        return f"{self.customer_id} · {self.grade or '—'}"


class ContactPerson(models.Model):
    """Someone who represents a customer: who we talk to."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contacts"
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    title = models.CharField(_("role / title"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, validators=[bounds.validate_mailbox_address])
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
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text=_("The contact person this duplicate was merged into (it is kept, inactive)."),
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


class CustomerMerge(models.Model):
    """One merge of a duplicate into its survivor, as it was done: who, when, which values were
    chosen and what moved. The history of both customers shows it (customers.merging)."""

    survivor = models.ForeignKey(
        Customer,
        verbose_name=_("survivor"),
        on_delete=models.PROTECT,
        related_name="merges_received",
    )
    # One-to-one: a customer is merged once; a second merge of it is refused by the database too.
    merged = models.OneToOneField(
        Customer,
        verbose_name=_("merged customer"),
        on_delete=models.PROTECT,
        related_name="merge",
        error_messages={"unique": _("This customer has already been merged into another one.")},
    )
    merged_at = models.DateTimeField(_("merged at"), default=timezone.now, editable=False)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    values = models.JSONField(
        _("chosen values"),
        default=dict,
        blank=True,
        encoder=DjangoJSONEncoder,
        help_text=_("Field: the survivor's value, the merged customer's value, the one kept."),
    )
    moved = models.JSONField(
        _("moved records"),
        default=dict,
        blank=True,
        help_text=_("Kind of record: how many moved to the survivor."),
    )
    notes = models.JSONField(
        _("decisions"),
        default=list,
        blank=True,
        help_text=_("What the merge decided beyond the values, e.g. which relationship stayed."),
    )

    class Meta:
        ordering = ["-merged_at", "-id"]
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(survivor=models.F("merged")),
                name="customer_merge_two_customers",
            ),
        ]

    def __str__(self):
        return f"#{self.merged_id} → #{self.survivor_id}"


class DuplicateSuggestion(models.Model):
    """Two customers that look like one: found by the duplicate scan (customers.duplicates),
    shown in the suggestions list and on both customers' pages until merged or dismissed."""

    class Reason(models.TextChoices):
        TAX_ID = "tax_id", _("same tax id")
        EMAIL = "email", _("same e-mail")
        PHONE = "phone", _("same phone")
        NAME = "name", _("similar name")

    # The pair is stored once, the lower id first.
    first = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # duplicate_pair_unique starts with it
    )
    second = models.ForeignKey(
        Customer,
        verbose_name=_("possible duplicate"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    reasons = models.JSONField(_("reasons"), default=list)
    similarity = models.FloatField(
        _("name similarity"), null=True, blank=True, help_text=_("0-1, PostgreSQL's pg_trgm.")
    )
    found_at = models.DateTimeField(_("found at"), default=timezone.now, editable=False)
    dismissed_at = models.DateTimeField(_("dismissed at"), null=True, blank=True, editable=False)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dismissed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-found_at", "-id"]
        verbose_name = _("duplicate suggestion")
        verbose_name_plural = _("duplicate suggestions")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_pair_unique"),
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")), name="duplicate_pair_ordered"
            ),
        ]
        indexes = [
            # Suggestions list: the pairs nobody dismissed, newest first.
            models.Index(
                fields=["-found_at", "-id"],
                name="duplicate_pending_idx",
                condition=models.Q(dismissed_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"#{self.first_id} ~ #{self.second_id}"

    def reason_labels(self):
        return [str(self.Reason(code).label) for code in self.reasons if code in self.Reason]


# Consent per purpose lives in its own module (see its docstring); imported here so Django
# registers the models with the app and callers import them from customers.models.
from .consents import ConsentEvent, ConsentPurpose, ConsentState  # noqa: E402, F401
