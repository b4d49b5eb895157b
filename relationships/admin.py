from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Interaction, Relationship


@admin.register(Relationship)
class RelationshipAdmin(SimpleHistoryAdmin):
    list_display = [
        "customer",
        "status",
        "kind",
        "started_on",
        "ended_at",
        "end_reason",
        "ended_by",
    ]
    list_filter = ["status", "kind", "end_reason"]
    search_fields = ["customer__display_name", "end_note"]
    list_select_related = ["customer", "ended_by"]
    raw_id_fields = ["customer"]
    # Status and the end are changed through the app's deliberate actions, which keep the customer
    # in step; admins can still correct the kind and the dates.
    readonly_fields = ["status", "ended_at", "ended_by", "end_reason", "end_note", "started_by"]
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "customer", "channel", "direction", "subject", "created_by"]
    list_filter = ["channel", "direction"]
    search_fields = ["subject", "customer__display_name"]
    list_select_related = ["customer", "created_by"]
    raw_id_fields = ["customer", "relationship", "contact_person"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False
