"""Read-only: the admin shows the trail and the history, and can change neither."""

from django.contrib import admin

from audit.models import AuditEvent, RecordRevision


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shows what the system wrote; nobody adds, changes or deletes it here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "occurred_at",
        "actor_username",
        "actor_role",
        "action",
        "record_type",
        "record_id",
        "patient_id",
        "outcome",
        "ip",
    ]
    list_filter = ["action", "outcome", "actor_role", "record_type"]
    # Filter one patient's trail with ?patient_id=<uuid> or search by id or username.
    search_fields = ["=patient_id", "=record_id", "actor_username"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False  # counting a large trail on every page is slow


@admin.register(RecordRevision)
class RecordRevisionAdmin(ReadOnlyAdmin):
    list_display = ["changed_at", "record_type", "record_uuid", "change", "changed_by", "patient"]
    list_filter = ["record_type", "change"]
    search_fields = ["=record_uuid", "=patient__id"]
    list_select_related = ["changed_by", "patient"]
