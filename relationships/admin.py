from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import AuditHistoryAdminMixin, ReadOnlyAdminMixin, UniqueRaceAdminMixin

from .models import Asset, Contract, Document, Interaction, Invoice, Payment, Payout, Relationship
from .services import invoice_move


@admin.register(Relationship)
class RelationshipAdmin(UniqueRaceAdminMixin, AuditHistoryAdminMixin, admin.ModelAdmin):
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


@admin.register(Contract)
class ContractAdmin(UniqueRaceAdminMixin, AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "customer",
        "title",
        "status",
        "billing_period",
        "value",
        "currency",
        "start_date",
        "end_date",
    ]
    list_filter = ["status", "billing_period", "currency"]
    search_fields = ["number", "title", "product", "customer__display_name"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer", "relationship"]
    # Signing and termination go through the app, which checks the relationship and the reason.
    readonly_fields = [
        "status",
        "signed_on",
        "terminated_at",
        "terminated_by",
        "termination_reason",
        "created_by",
    ]
    date_hierarchy = "start_date"
    show_full_result_count = False


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = ["paid_on", "amount", "currency", "method", "reference", "recorded_by"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(UniqueRaceAdminMixin, AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "customer",
        "issue_date",
        "due_date",
        "amount",
        "paid_amount",
        "currency",
        "status_label",
    ]
    list_filter = ["currency", "issue_date", "due_date"]
    search_fields = ["number", "customer__display_name"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer", "contract"]
    # The paid total follows the payments and the write-off is a deliberate act: both in the app.
    readonly_fields = [
        "paid_amount",
        "written_off_at",
        "written_off_by",
        "write_off_reason",
        "created_by",
    ]
    inlines = [PaymentInline]
    date_hierarchy = "issue_date"
    show_full_result_count = False

    @admin.display(description=_("status"))
    def status_label(self, obj):
        return obj.get_status_display()

    def save_model(self, request, obj, form, change):
        if not (change and "customer" in form.changed_data):
            super().save_model(request, obj, form, change)
            return
        # Another customer: the other changes are saved first, under the invoice's customer as
        # it was, then invoice_move moves the invoice and takes its payments along.
        customer = obj.customer
        obj.customer_id = form.initial["customer"]
        super().save_model(request, obj, form, change)
        invoice_move(invoice=obj, customer=customer, by=request.user)
        obj.customer = customer


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, AuditHistoryAdminMixin, admin.ModelAdmin):
    """Read-only: a payment changes the invoice's paid total, so it is recorded in the app."""

    list_display = ["paid_on", "invoice", "amount", "currency", "method", "reference"]
    list_filter = ["method", "currency"]
    search_fields = ["reference", "invoice__number", "invoice__customer__display_name"]
    list_select_related = ["invoice"]
    raw_id_fields = ["invoice"]
    date_hierarchy = "paid_on"
    show_full_result_count = False


@admin.register(Payout)
class PayoutAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = [
        "requested_at",
        "customer",
        "kind",
        "amount",
        "currency",
        "status",
        "requested_by",
        "approved_by",
        "paid_at",
    ]
    list_filter = ["status", "kind", "currency"]
    search_fields = ["customer__display_name", "reason"]
    list_select_related = ["customer", "requested_by", "approved_by"]
    raw_id_fields = ["customer"]
    # Approval and payment go through the app, which enforces the threshold and four eyes.
    readonly_fields = [
        "status",
        "requested_by",
        "approved_by",
        "approved_at",
        "rejected_by",
        "rejected_at",
        "rejection_reason",
        "paid_at",
        "paid_by",
    ]
    date_hierarchy = "requested_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False


@admin.register(Asset)
class AssetAdmin(UniqueRaceAdminMixin, admin.ModelAdmin):
    list_display = ["name", "model", "serial_number", "customer", "status", "installed_on"]
    list_filter = ["status"]
    search_fields = ["serial_number", "model", "name", "customer__display_name"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer", "contract"]
    show_full_result_count = False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "customer", "original_name", "content_type", "size", "uploaded_at"]
    list_filter = ["content_type"]
    search_fields = ["title", "original_name", "customer__display_name"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer", "contract", "invoice", "asset"]
    # Uploads are checked for size and type in the app; the admin only describes them, and links
    # to the checked download view rather than to the file's storage path.
    exclude = ["file"]
    readonly_fields = ["download", "original_name", "content_type", "size", "uploaded_by"]
    date_hierarchy = "uploaded_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("file"))
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.original_name)
