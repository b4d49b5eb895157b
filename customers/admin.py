from django.contrib import admin

from core.admin import AuditHistoryAdminMixin, ReadOnlyAdminMixin, UniqueRaceAdminMixin

from .models import (
    ConsentEvent,
    ConsentPurpose,
    ContactPerson,
    Customer,
    CustomerMerge,
    DuplicateSuggestion,
    Segment,
)


class NoHardDeleteMixin:
    """Customers and the people behind them are never hard-deleted, except by a superuser."""

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Segment)
class SegmentAdmin(UniqueRaceAdminMixin, admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]


class ContactPersonInline(admin.TabularInline):
    model = ContactPerson
    extra = 0
    fields = [
        "first_name",
        "last_name",
        "title",
        "email",
        "phone",
        "language",
        "is_primary",
        "is_active",
    ]
    show_change_link = True

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Customer)
class CustomerAdmin(
    UniqueRaceAdminMixin, NoHardDeleteMixin, AuditHistoryAdminMixin, admin.ModelAdmin
):
    list_display = [
        "display_name",
        "kind",
        "tax_id",
        "email",
        "phone",
        "status",
        "owner",
        "last_contact_at",
    ]
    list_filter = ["status", "kind", "source", "relationship_kind", "segments"]
    search_fields = ["display_name", "legal_name", "tax_id", "email", "phone"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    filter_horizontal = ["segments"]
    readonly_fields = [
        "status",
        "relationship_kind",
        "last_contact_at",
        "created_at",
        "updated_at",
        "created_by",
    ]
    inlines = [ContactPersonInline]
    date_hierarchy = "first_contact_on"
    show_full_result_count = False  # COUNT(*) over a million customers on every page is wasted work


@admin.register(ContactPerson)
class ContactPersonAdmin(
    UniqueRaceAdminMixin, NoHardDeleteMixin, AuditHistoryAdminMixin, admin.ModelAdmin
):
    list_display = [
        "__str__",
        "customer",
        "title",
        "email",
        "phone",
        "language",
        "is_primary",
        "is_active",
    ]
    list_filter = ["is_primary", "is_active", "marketing_consent", "language"]
    search_fields = ["first_name", "last_name", "email", "phone", "customer__display_name"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    show_full_result_count = False


@admin.register(ConsentPurpose)
class ConsentPurposeAdmin(UniqueRaceAdminMixin, admin.ModelAdmin):
    """Purposes are reference data; one in use is deactivated, not deleted (PROTECT)."""

    list_display = ["name", "code", "is_default", "active", "position"]
    list_editable = ["active", "position"]
    search_fields = ["name", "code"]


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The consent history is append-only: recorded on the contact person's consent page."""

    list_display = ["at", "contact", "purpose", "given", "source", "by_person", "recorded_by"]
    list_filter = ["purpose", "given", "source"]
    list_select_related = ["contact", "purpose", "recorded_by"]
    raw_id_fields = ["contact"]
    date_hierarchy = "at"


@admin.register(CustomerMerge)
class CustomerMergeAdmin(ReadOnlyAdminMixin, AuditHistoryAdminMixin, admin.ModelAdmin):
    """Read-only: a merge is made on the merge screen (customers.merging), in one transaction."""

    list_display = ["merged_at", "merged", "survivor", "merged_by"]
    list_select_related = ["merged", "survivor", "merged_by"]
    search_fields = ["merged__display_name", "survivor__display_name"]
    raw_id_fields = ["merged", "survivor"]
    show_full_result_count = False


@admin.register(DuplicateSuggestion)
class DuplicateSuggestionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: found by the duplicate search, dismissed on the suggestions list."""

    list_display = ["found_at", "first", "second", "reasons", "similarity", "dismissed_at"]
    list_select_related = ["first", "second"]
    raw_id_fields = ["first", "second", "dismissed_by"]
    show_full_result_count = False
