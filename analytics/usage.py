"""System usage (DOMAIN.md, "After go-live"): who uses the CRM and how much, per day, week and
user, and the classic warning sign, a drop in active users after a peak.

Every figure is counted in SQL, grouped by day or by user. Records added are counted once per
local day (TIME_ZONE) and user by the nightly rollup (UsageDay, usage_rollup_nightly); the report
reads the rollup for the days it has computed and counts the rest live, normally only today, from
the records' created-at indexes (customer_created_idx, interaction_created_idx,
instance_opened_idx, report_view_time_idx; the author indexes when narrowed to one user). Active
users come from user_activity_day_idx.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q, Sum, Value
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.permissions import ALL_ROLES
from customers.models import Customer
from processes.models import ProcessInstance
from relationships.models import Interaction

from .models import ReportView, UsageDay, UserActivity

# The drop warning: the average of weekly active users over the last DROP_WINDOW_WEEKS complete
# weeks is below DROP_RATIO of the best such average within the last DROP_LOOKBACK_WEEKS weeks.
# A best average under DROP_MIN_PEAK users is too small to call a trend.
DROP_WINDOW_WEEKS = 4
DROP_LOOKBACK_WEEKS = 26
DROP_RATIO = 0.5
DROP_MIN_PEAK = 2

# The records counted: (key, label, model, who field, when field).
RECORDS = [
    ("customers", _("Customers added"), Customer, "created_by", "created_at"),
    ("interactions", _("Interactions logged"), Interaction, "created_by", "created_at"),
    ("processes", _("Processes opened"), ProcessInstance, "opened_by", "opened_at"),
    ("reports", _("Reports viewed"), ReportView, "user", "viewed_at"),
]
RECORD_KEYS = [key for key, *_rest in RECORDS]

# The nightly rollup recomputes the last ROLLUP_REFRESH_DAYS days every night, so a record
# deleted, merged away or entered with a past date within a week shows in the figures; older
# changes need `manage.py rollup_usage --start … --end …`. Ranges of at most ROLLUP_CHUNK_DAYS
# days are computed one transaction each, so a backfill of all history holds no more at a time.
ROLLUP_REFRESH_DAYS = 7
ROLLUP_CHUNK_DAYS = 31


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _day_start(day: date):
    # The CRM's days are TIME_ZONE's days, the same for everyone and for the nightly rollup.
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def _runs(days, longest=None):
    """Sorted days as (first, last) ranges of consecutive days, each at most `longest` long."""
    runs = []
    for day in days:
        follows = runs and day == runs[-1][1] + timedelta(days=1)
        if follows and (longest is None or (day - runs[-1][0]).days < longest):
            runs[-1][1] = day
            continue
        runs.append([day, day])
    return [tuple(run) for run in runs]


@dataclass
class Row:
    """One line of a usage table: a day, a week or a user."""

    key: object
    active: int = 0
    records: dict = field(default_factory=lambda: dict.fromkeys(RECORD_KEYS, 0))
    last_active: date | None = None

    def cells(self):
        return [self.records[key] for key in RECORD_KEYS]


@dataclass(frozen=True)
class UsageDrop:
    """The numbers behind the drop warning, shown whether or not it fires."""

    weeks: list  # (Monday, active users) of the lookback, oldest first
    recent_start: date
    recent_average: float
    peak_start: date
    peak_average: float

    @property
    def recent_end(self):
        return self.recent_start + timedelta(weeks=DROP_WINDOW_WEEKS, days=-1)

    @property
    def peak_end(self):
        return self.peak_start + timedelta(weeks=DROP_WINDOW_WEEKS, days=-1)

    @property
    def percent_of_peak(self):
        return round(100 * self.recent_average / self.peak_average) if self.peak_average else None

    @property
    def is_drop(self):
        return (
            self.peak_average >= DROP_MIN_PEAK
            and self.recent_average < DROP_RATIO * self.peak_average
        )


@dataclass
class Usage:
    period: object
    days: list[Row]
    weeks: list[Row]
    users: list[Row]
    drop: UsageDrop

    @property
    def active_users(self):
        return sum(1 for row in self.users if row.active)

    @property
    def totals(self):
        return {key: sum(row.records[key] for row in self.days) for key in RECORD_KEYS}


def _counts(ranges, user=None):
    """Records added per local day and user (`who`, None for nobody) within `ranges` of days,
    [(first, last), …]: one grouped index range scan per kind of record, UNION ALL, with a
    column per kind (zero in the other kinds' rows)."""
    parts = []
    for key, _label, model, who, when in RECORDS:
        span = Q()
        for first, last in ranges:
            span |= Q(
                **{
                    f"{when}__gte": _day_start(first),
                    f"{when}__lt": _day_start(last + timedelta(days=1)),
                }
            )
        queryset = model.objects.filter(span).order_by()
        if user:
            queryset = queryset.filter(**{who: user})
        parts.append(
            queryset.annotate(
                day=TruncDate(when, tzinfo=timezone.get_default_timezone()), who=F(who)
            )
            .values("day", "who")
            .annotate(**{other: Count("pk") if other == key else Value(0) for other in RECORD_KEYS})
        )
    return parts[0].union(*parts[1:], all=True)


def _first_record_day():
    firsts = [
        model.objects.aggregate(first=Min(when))["first"] for _k, _l, model, _w, when in RECORDS
    ]
    firsts = [first for first in firsts if first is not None]
    if not firsts:
        return None
    return timezone.localtime(min(firsts), timezone.get_default_timezone()).date()


def _rollup_insert(first: date, last: date, now):
    """The INSERT … SELECT of the rollup rows of the days `first` to `last`: the live counts of
    _counts, summed per day and user."""
    quote = connection.ops.quote_name
    day, who = quote("day"), quote("who")
    columns = ", ".join(quote(key) for key in RECORD_KEYS)
    sums = ", ".join(f"SUM({quote(key)})" for key in RECORD_KEYS)
    select, params = _counts([(first, last)]).query.sql_with_params()
    return (
        f"INSERT INTO {quote(UsageDay._meta.db_table)} ({day}, user_id, {columns}, computed_at) "
        f"SELECT {day}, {who}, {sums}, %s FROM ({select}) records GROUP BY {day}, {who}",
        [connection.ops.adapt_datetimefield_value(now), *params],
    )


def usage_rollup(*, first: date, last: date) -> int:
    """(Re)computes UsageDay for the days `first` to `last` in SQL, one INSERT … SELECT per
    range of ROLLUP_CHUNK_DAYS days, replacing what was there: running it twice gives the same
    rows. Returns the number of days computed."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    for start, end in _runs(days, longest=ROLLUP_CHUNK_DAYS):
        now = timezone.now()
        with transaction.atomic():
            UsageDay.objects.filter(day__gte=start, day__lte=end).delete()
            with connection.cursor() as cursor:
                cursor.execute(*_rollup_insert(start, end, now))
            # The marker of each computed day: its row without a user, zeros if nobody's records.
            marked = set(
                UsageDay.objects.filter(day__gte=start, day__lte=end, user=None).values_list(
                    "day", flat=True
                )
            )
            UsageDay.objects.bulk_create(
                UsageDay(day=start + timedelta(days=n), computed_at=now)
                for n in range((end - start).days + 1)
                if start + timedelta(days=n) not in marked
            )
    return len(days)


def usage_rollup_nightly(*, today=None) -> int:
    """The nightly job: recomputes the last ROLLUP_REFRESH_DAYS days before `today` and every
    earlier day not computed yet, back to the first record (all history on the first run).
    Returns the number of days computed."""
    today = today or timezone.localdate()
    yesterday = today - timedelta(days=1)
    first = _first_record_day()
    if first is None or first > yesterday:
        return 0
    computed = set(
        UsageDay.objects.filter(
            user=None, day__gte=first, day__lt=today - timedelta(days=ROLLUP_REFRESH_DAYS)
        ).values_list("day", flat=True)
    )
    todo = [
        first + timedelta(days=n)
        for n in range((yesterday - first).days + 1)
        if first + timedelta(days=n) not in computed
    ]
    return sum(usage_rollup(first=start, last=end) for start, end in _runs(todo))


def _activity(period, user):
    queryset = UserActivity.objects.filter(day__gte=period.start, day__lte=period.end).order_by()
    return queryset.filter(user=user) if user else queryset


def usage_drop(*, today=None) -> UsageDrop:
    """Weekly active users over the last DROP_LOOKBACK_WEEKS complete weeks, the average of the
    last DROP_WINDOW_WEEKS of them and the best such average."""
    this_week = week_start(today or timezone.localdate())
    first = this_week - timedelta(weeks=DROP_LOOKBACK_WEEKS)
    counts = dict(
        UserActivity.objects.filter(day__gte=first, day__lt=this_week)
        .order_by()
        .annotate(week=TruncWeek("day"))
        .values("week")
        .annotate(users=Count("user_id", distinct=True))
        .values_list("week", "users")
    )
    weeks = [first + timedelta(weeks=n) for n in range(DROP_LOOKBACK_WEEKS)]
    series = [counts.get(week, 0) for week in weeks]
    averages = [
        sum(series[n : n + DROP_WINDOW_WEEKS]) / DROP_WINDOW_WEEKS
        for n in range(DROP_LOOKBACK_WEEKS - DROP_WINDOW_WEEKS + 1)
    ]
    best = max(range(len(averages)), key=lambda n: (averages[n], -n))  # the earliest best
    return UsageDrop(
        weeks=list(zip(weeks, series, strict=True)),
        recent_start=weeks[-DROP_WINDOW_WEEKS],
        recent_average=averages[-1],
        peak_start=weeks[best],
        peak_average=averages[best],
    )


def usage(period, *, user=None, today=None) -> Usage:
    """Active users and records added per day, per week and per user over `period`; `user`
    narrows every figure to one person."""
    days = {
        period.start + timedelta(days=n): Row(period.start + timedelta(days=n))
        for n in range(period.days)
    }
    weeks = {}
    for day in days:
        weeks.setdefault(week_start(day), Row(week_start(day)))
    people = {}

    def person(pk):
        return people.setdefault(pk, Row(pk))

    activity = _activity(period, user)
    for day, count in activity.values("day").annotate(n=Count("id")).values_list("day", "n"):
        days[day].active = count
    weekly = (
        activity.annotate(week=TruncWeek("day"))
        .values("week")
        .annotate(n=Count("user_id", distinct=True))
        .values_list("week", "n")
    )
    for week, count in weekly:
        weeks[week].active = count
    per_user = activity.values("user_id").annotate(n=Count("id"), last=Max("day"))
    for row in per_user.values_list("user_id", "n", "last"):
        person(row[0]).active, person(row[0]).last_active = row[1], row[2]

    def add(day, pk, counts):
        for key in RECORD_KEYS:
            count = counts[key] or 0
            if day in days:
                days[day].records[key] += count
                weeks[week_start(day)].records[key] += count
            if pk is not None:  # records made by a scheduled job or an import
                person(pk).records[key] += count

    # Past days from the rollup, grouped in SQL by day and by user; a day counts as computed
    # when its marker row (no user) is there.
    today = today or timezone.localdate()
    computed = set()
    rolled = UsageDay.objects.filter(
        day__gte=period.start, day__lte=min(period.end, today - timedelta(days=1))
    ).order_by()
    if period.start < today:
        mine = Q(user=user) if user else None
        per_day = (
            (rolled.filter(Q(user=None) | mine) if user else rolled)
            .values("day")
            .annotate(
                computed=Count("pk", filter=Q(user=None)),
                **{key: Sum(key, filter=mine) for key in RECORD_KEYS},
            )
        )
        for row in per_day:
            computed.add(row["day"])
            add(row["day"], None, row)
        per_user = (rolled.filter(mine) if user else rolled.filter(user__isnull=False)).values(
            "user"
        )
        for row in per_user.annotate(**{key: Sum(key) for key in RECORD_KEYS}):
            add(None, row["user"], row)

    # Today, the rest of the period and any day not computed yet, live.
    live = _runs([day for day in days if day not in computed])
    if live:
        for row in _counts(live, user):
            add(row["day"], row["who"], row)

    users = get_user_model().objects.order_by("username")
    if user:
        users = users.filter(pk=user.pk)
    else:
        # Everyone who could use the CRM, the idle ones too, and anyone else who did.
        users = users.filter(
            Q(pk__in=list(people)) | Q(is_active=True, groups__name__in=ALL_ROLES)
        ).distinct()
    user_rows = []
    for account in users:
        row = people.get(account.pk) or Row(account.pk)
        row.key = account
        user_rows.append(row)

    return Usage(
        period=period,
        days=list(days.values()),
        weeks=list(weeks.values()),
        users=user_rows,
        drop=usage_drop(today=today),
    )
