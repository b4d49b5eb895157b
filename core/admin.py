from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import outbox
from .models import OutboxMessage


class SentFilter(admin.SimpleListFilter):
    title = _("sent")
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [("no", _("Not yet")), ("yes", _("Yes"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(sent_at__isnull=False)
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """What background work waits for the broker, and why; written by the app only."""

    list_display = ["id", "task", "created_at", "available_at", "attempts", "sent_at", "last_error"]
    list_filter = [SentFilter, "task"]
    search_fields = ["task", "dedupe_key"]
    ordering = ["-id"]
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]
    actions = ["publish_now"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Publish the selected unsent messages now"))
    def publish_now(self, request, queryset):
        sent = sum(outbox.publish(message) for message in queryset.pending())
        self.message_user(request, _("%(sent)s published.") % {"sent": sent})
