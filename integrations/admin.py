from django.contrib import admin

from core.admin import AuditHistoryAdminMixin, ReadOnlyAdminMixin, UniqueRaceAdminMixin

from .models import WebForm, WebhookAttempt, WebhookDelivery, WebhookSubscription


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = ["name", "target_url", "owner", "active", "consecutive_failures"]
    list_filter = ["active"]
    search_fields = ["name", "target_url"]
    raw_id_fields = ["owner"]
    readonly_fields = ["consecutive_failures", "disabled_at", "created_at"]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "at", "status_code", "response_excerpt", "error", "duration_ms"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["event", "subscription", "state", "attempts", "created_at", "next_attempt_at"]
    list_filter = ["state", "event"]
    list_select_related = ["subscription"]
    inlines = [WebhookAttemptInline]


@admin.register(WebForm)
class WebFormAdmin(AuditHistoryAdminMixin, UniqueRaceAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "allowed_origin", "owner", "active"]
    list_filter = ["active"]
    search_fields = ["name", "slug"]
    raw_id_fields = ["owner", "created_by"]
    prepopulated_fields = {"slug": ["name"]}
