from django.contrib import admin

from .models import ImportBatch, MappingTemplate


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["original_name", "kind", "status", "total_rows", "created_by", "created_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [field.name for field in ImportBatch._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(MappingTemplate)
class MappingTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "created_by", "created_at"]
    list_filter = ["kind"]
