from django.contrib import admin

from core.admin import AuditHistoryAdminMixin, UniqueRaceAdminMixin

from .models import (
    CustomerQuality,
    CustomerScore,
    DigestLog,
    DigestSubscription,
    ForecastSnapshot,
    ReportView,
    ScoringParameters,
    ScoringRun,
    StageStay,
    UsageDay,
    UserActivity,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the jobs write: admins look, nobody adds or edits them by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ScoringParameters)
class ScoringParametersAdmin(AuditHistoryAdminMixin, ReadOnlyAdmin):
    """Read-only: a change is a new version, made on the “How customer value is computed” page
    so that every customer is rescored with it."""

    list_display = ["version", "base_currency", "ltv_horizon_months", "created_at", "created_by"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CustomerScore)
class CustomerScoreAdmin(ReadOnlyAdmin):
    """Snapshots written by the scoring job; read-only."""

    list_display = [
        "customer",
        "computed_at",
        "grade",
        "ltv",
        "currency",
        "payment_reliability",
        "overdue_amount",
        "is_current",
    ]
    list_filter = ["grade", "is_current"]
    list_select_related = ["customer"]
    search_fields = ["customer__display_name"]
    raw_id_fields = ["customer"]
    date_hierarchy = "computed_at"
    show_full_result_count = False


@admin.register(ScoringRun)
class ScoringRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "status",
        "parameters",
        "total",
        "scored",
        "changed",
        "finished_at",
    ]
    list_filter = ["status"]


@admin.register(ReportView)
class ReportViewAdmin(ReadOnlyAdmin):
    list_display = ["viewed_at", "user", "report"]
    list_filter = ["report"]
    list_select_related = ["user"]
    date_hierarchy = "viewed_at"


@admin.register(UserActivity)
class UserActivityAdmin(ReadOnlyAdmin):
    """Written by the activity middleware; read-only."""

    list_display = ["day", "user"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    date_hierarchy = "day"


@admin.register(ForecastSnapshot)
class ForecastSnapshotAdmin(ReadOnlyAdmin):
    """Written by the weekly forecast job; read-only, so forecast accuracy stays honest."""

    list_display = [
        "snapshot_on",
        "month",
        "definition",
        "owner",
        "currency",
        "count",
        "amount",
        "weighted_amount",
    ]
    list_filter = ["definition", "currency"]
    list_select_related = ["definition", "owner"]
    date_hierarchy = "snapshot_on"


@admin.register(CustomerQuality)
class CustomerQualityAdmin(ReadOnlyAdmin):
    """Written by the data quality job; read-only. Managers edit the template on its page."""

    list_display = ["customer", "score", "computed_at"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    search_fields = ["customer__display_name"]


@admin.register(StageStay)
class StageStayAdmin(ReadOnlyAdmin):
    """Measured from the log of moves by the stage stays job; read-only."""

    list_display = ["left_at", "instance", "stage", "seconds", "sla_met"]
    list_filter = ["definition", "sla_met"]
    list_select_related = ["instance", "stage"]
    raw_id_fields = ["instance", "transition"]
    show_full_result_count = False


@admin.register(UsageDay)
class UsageDayAdmin(ReadOnlyAdmin):
    """Written by the nightly usage rollup (`manage.py rollup_usage` recomputes days); read-only."""

    list_display = ["day", "user", "customers", "interactions", "processes", "reports"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    date_hierarchy = "day"
    show_full_result_count = False


@admin.register(DigestSubscription)
class DigestSubscriptionAdmin(UniqueRaceAdminMixin, admin.ModelAdmin):
    """Users choose on their My settings page; an admin may change it for them."""

    list_display = ["user", "enabled", "changed_at"]
    list_filter = ["enabled"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]


@admin.register(DigestLog)
class DigestLogAdmin(ReadOnlyAdmin):
    """One row per digest sent; deleting today's row lets the job send it again."""

    list_display = ["day", "user", "items", "sent_at"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    date_hierarchy = "day"
