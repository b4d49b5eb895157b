"""System usage (DOMAIN.md, "After go-live"): who uses the CRM and how much, per day, week and
user, and the classic warning sign, a drop in active users after a peak.

Every figure is counted in SQL, grouped by day or by user, from indexes made for it:
user_activity_day_idx, customer_author_idx, interaction_author_idx, instance_opener_idx and
report_view_time_idx / report_view_user_idx.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers import roles
from customers.models import Customer
from processes.models import ProcessInstance
from relationships.models import Interaction

from .models import ReportView, UserActivity

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


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _day_start(day: date):
    return timezone.make_aware(datetime.combine(day, time.min))


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


def _records(model, who, when, period, user):
    queryset = model.objects.filter(
        **{
            f"{when}__gte": _day_start(period.start),
            f"{when}__lt": _day_start(period.end + timedelta(days=1)),
        }
    ).order_by()
    return queryset.filter(**{who: user}) if user else queryset


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

    for key, _label, model, who, when in RECORDS:
        # One scan per kind of record, grouped by user and day: at most users x days rows.
        counts = (
            _records(model, who, when, period, user)
            .annotate(day=TruncDate(when))
            .values(who, "day")
            .annotate(n=Count("pk"))
            .values_list(who, "day", "n")
        )
        for pk, day, count in counts:
            if day in days:
                days[day].records[key] += count
                weeks[week_start(day)].records[key] += count
            if pk is not None:  # records made by a scheduled job or an import
                person(pk).records[key] += count

    users = get_user_model().objects.order_by("username")
    if user:
        users = users.filter(pk=user.pk)
    else:
        # Everyone who could use the CRM, the idle ones too, and anyone else who did.
        users = users.filter(
            Q(pk__in=list(people)) | Q(is_active=True, groups__name__in=roles.ALL_ROLES)
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
