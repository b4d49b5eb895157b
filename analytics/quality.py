"""Data quality: how complete each customer record is against the managers' template.

Checking a million records live on every page view is too slow, so the nightly job (and a save
of the template) computes every customer's completeness set-based, in batches of customer ids
like the scoring job: per batch, three queries read the customers' own fields, their segments
and an aggregate of their contact persons; the scores are computed in memory and only the rows
that changed are written back (CustomerQuality). Running it twice changes nothing the second
time. A per-owner summary of the stored scores is written last; the report adds up its rows.
"""

import logging
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import ContactPerson, Customer

from .aggregates import lock_for_rewrite
from .models import CustomerQuality, DataQualityTemplate, QualitySummary

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000


@dataclass(frozen=True)
class Check:
    code: str
    bit: int
    label: str

    @property
    def template_field(self):
        return f"require_{self.code}"


# The bits are stored in CustomerQuality.failed_checks: never renumber, only append.
CHECKS = (
    Check("email", 1 << 0, _("e-mail")),
    Check("phone", 1 << 1, _("phone")),
    Check("street", 1 << 2, _("street")),
    Check("postal_code", 1 << 3, _("postal code")),
    Check("city", 1 << 4, _("city")),
    Check("country", 1 << 5, _("country")),
    Check("tax_id", 1 << 6, _("tax id")),
    Check("owner", 1 << 7, _("owner")),
    Check("segment", 1 << 8, _("segment")),
    Check("contact", 1 << 9, _("contact person")),
    Check("primary_contact", 1 << 10, _("primary contact")),
    Check("contact_email", 1 << 11, _("contact's e-mail")),
    Check("marketing_consent", 1 << 12, _("marketing consent")),
)
CHECKS_BY_CODE = {check.code: check for check in CHECKS}
_FIELD_CHECKS = ("email", "phone", "street", "postal_code", "city", "country")

# The summary counts the customers not checked yet up to this many.
NOT_CHECKED_CAP = 10_000


def enabled_checks(template) -> list[Check]:
    return [check for check in CHECKS if getattr(template, check.template_field)]


def failed_labels(failed_checks: int) -> list[str]:
    return [str(check.label) for check in CHECKS if failed_checks & check.bit]


def evaluate(record: dict, checks) -> tuple[int, int]:
    """(score 0-100, bitmask of failed checks) of one customer's gathered figures."""
    failed = 0
    for check in checks:
        if check.code in _FIELD_CHECKS:
            passed = bool((record[check.code] or "").strip())
        elif check.code == "tax_id":
            passed = record["kind"] != Customer.Kind.ORGANISATION or bool(record["tax_id"])
        elif check.code == "owner":
            passed = record["owner_id"] is not None
        else:
            passed = bool(record.get(check.code))
        if not passed:
            failed |= check.bit
    if not checks:
        return 100, 0
    passed_count = len(checks) - bin(failed).count("1")
    return round(100 * passed_count / len(checks)), failed


def gather(lo, hi, rows) -> dict[int, dict]:
    """The figures of the batch's customers (rows from the customer query), keyed by id."""
    records = {row["pk"]: dict(row) for row in rows}
    with_segment = (
        Customer.segments.through.objects.filter(customer_id__gte=lo, customer_id__lte=hi)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    for customer_id in with_segment:
        if customer_id in records:
            records[customer_id]["segment"] = True
    contacts = (
        ContactPerson.objects.filter(customer_id__gte=lo, customer_id__lte=hi, is_active=True)
        .values("customer_id")
        .annotate(
            contact=Count("pk"),
            primary_contact=Count("pk", filter=Q(is_primary=True)),
            contact_email=Count("pk", filter=~Q(email="")),
            marketing_consent=Count("pk", filter=Q(marketing_consent_at__isnull=False)),
        )
        .order_by()
    )
    for row in contacts:
        if row["customer_id"] in records:
            records[row["customer_id"]].update(row)
    return records


def compute_batch(*, after=0, limit=BATCH_SIZE, checks, now) -> tuple[int, int, int]:
    """Score up to `limit` customers with id > `after`: (scored, changed, last id; 0 at the end)."""
    rows = list(
        Customer.objects.current()
        .filter(pk__gt=after)
        .order_by("pk")
        .values("pk", "kind", "tax_id", "owner_id", *_FIELD_CHECKS)[:limit]
    )
    if not rows:
        return 0, 0, 0
    lo, hi = rows[0]["pk"], rows[-1]["pk"]
    records = gather(lo, hi, rows)
    stored = {
        customer_id: (score, failed)
        for customer_id, score, failed in CustomerQuality.objects.filter(
            customer_id__gte=lo, customer_id__lte=hi
        ).values_list("customer_id", "score", "failed_checks")
    }
    changed = []
    for pk, record in records.items():
        score, failed = evaluate(record, checks)
        if stored.get(pk) == (score, failed):
            continue
        changed.append(
            CustomerQuality(customer_id=pk, score=score, failed_checks=failed, computed_at=now)
        )
    with transaction.atomic():
        CustomerQuality.objects.bulk_create(
            changed,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["customer"],
            update_fields=["score", "failed_checks", "computed_at"],
        )
    return len(rows), len(changed), hi


def compute_all(*, batch_size=BATCH_SIZE) -> dict:
    """Recompute every customer's completeness against the current template, then the
    per-owner summary the report reads."""
    template = DataQualityTemplate.objects.current()
    checks = enabled_checks(template)
    now = timezone.now()
    after, last_id, scored, changed = 0, 0, 0, 0
    while True:
        batch_scored, batch_changed, after = compute_batch(
            after=after, limit=batch_size, checks=checks, now=now
        )
        if not batch_scored:
            break
        last_id = after
        scored += batch_scored
        changed += batch_changed
    summarise(template)
    DataQualityTemplate.objects.filter(pk=template.pk).update(
        computed_at=timezone.now(), last_customer_id=last_id
    )
    logger.info("Data quality: %s customers checked, %s changed", scored, changed)
    return {"checked": scored, "changed": changed}


class BitAnd(models.Func):
    """`a & b`, the same on PostgreSQL and SQLite (F.bitand does not compile inside filters)."""

    template = "(%(expressions)s)"
    arg_joiner = " & "
    output_field = models.IntegerField()


def _failing(check):
    return GreaterThan(BitAnd(F("failed_checks"), Value(check.bit)), 0)


def summarise(template):
    """Replace the per-owner summary with one aggregate over the stored scores."""
    rows = (
        CustomerQuality.objects.values("customer__owner")
        .annotate(
            checked=Count("pk"),
            score_sum=Sum("score"),
            complete=Count("pk", filter=Q(score=100)),
            below_target=Count("pk", filter=Q(score__lt=template.target)),
            **{f"fail_{c.code}": Count("pk", filter=_failing(c)) for c in CHECKS},
        )
        .order_by()
    )
    summaries = [
        QualitySummary(
            owner_id=row.pop("customer__owner"),
            checked=row.pop("checked"),
            score_sum=row.pop("score_sum"),
            complete=row.pop("complete"),
            below_target=row.pop("below_target"),
            failing={name.removeprefix("fail_"): count for name, count in row.items()},
        )
        for row in rows
    ]
    with transaction.atomic():
        lock_for_rewrite(QualitySummary)
        QualitySummary.objects.all().delete()
        QualitySummary.objects.bulk_create(summaries)


# --- Reading the stored figures (the data quality report) ------------------------------------


def summary(template, *, owner=None) -> dict:
    """Overall completeness: average, records checked, complete, below target, not checked yet
    (created since the job ran), and how many records fail each of the template's checks."""
    rows = QualitySummary.objects.all()
    if owner is not None:
        rows = rows.filter(owner=owner)
    rows = list(rows)
    checked = sum(row.checked for row in rows)
    figures = {
        "average": sum(row.score_sum for row in rows) / checked if checked else None,
        "checked": checked,
        "complete": sum(row.complete for row in rows),
        "below_target": sum(row.below_target for row in rows),
        "failing": [
            (check, sum(row.failing.get(check.code, 0) for row in rows))
            for check in enabled_checks(template)
        ],
    }
    # Customers are never deleted and ids only grow: the ones above the last id checked are new.
    new = Customer.objects.filter(pk__gt=template.last_customer_id)
    if owner is not None:
        new = new.filter(owner=owner)
    # Counted up to a cap, as the lists count: before the first run that would be every customer.
    figures["not_checked"] = new.order_by()[: NOT_CHECKED_CAP + 1].count()
    figures["not_checked_over_cap"] = figures["not_checked"] > NOT_CHECKED_CAP
    figures["not_checked_cap"] = NOT_CHECKED_CAP
    return figures


def per_owner(template, *, owner=None) -> list[dict]:
    """Completeness per owner, the weakest first; owner None is the customers nobody owns."""
    rows = QualitySummary.objects.select_related("owner")
    if owner is not None:
        rows = rows.filter(owner=owner)
    result = [
        {
            "owner": row.owner,
            "checked": row.checked,
            "average": row.score_sum / row.checked if row.checked else None,
            "complete": row.complete,
            "below_target": row.below_target,
        }
        for row in rows
    ]
    result.sort(key=lambda r: (r["average"] or 0, r["owner"].pk if r["owner"] else 0))
    return result


def records_to_fix(*, owner=None, check=None):
    """Incomplete records, the lowest score first (customer_quality_score_idx)."""
    records = CustomerQuality.objects.filter(score__lt=100)
    if owner is not None:
        records = records.filter(customer__owner=owner)
    if check is not None:
        records = records.filter(_failing(check))
    return records.select_related("customer", "customer__owner").order_by("score", "customer_id")
