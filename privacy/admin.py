from django.contrib import admin

from core.admin import ReadOnlyAdminMixin

from .models import Erasure


@admin.register(Erasure)
class ErasureAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["erased_at", "customer", "contact", "erased_by"]
    list_select_related = ["customer", "contact", "erased_by"]
    date_hierarchy = "erased_at"
