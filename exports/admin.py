from django.contrib import admin

from exports.models import ExportJob


class ReadOnlyAdmin(admin.ModelAdmin):
    """Jobs are written by the system only (their audit is in audit.AuditEvent)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "patient", "format", "status", "progress", "created_at", "expires_at")
    list_filter = ("format", "status")
    list_select_related = ("patient",)
