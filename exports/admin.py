from django.contrib import admin

from exports.models import ExportAuditEvent, ExportJob


class ReadOnlyAdmin(admin.ModelAdmin):
    """Jobs and their audit are written by the system only."""

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


@admin.register(ExportAuditEvent)
class ExportAuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "action",
        "actor_username",
        "patient_id",
        "format",
        "date_from",
        "date_to",
    )
    list_filter = ("action", "format")
    search_fields = ("actor_username", "patient_id")
