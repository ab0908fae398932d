from django.contrib import admin

from audit.admin import ReadOnlyAdmin
from exports.models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "patient", "format", "status", "progress", "created_at", "expires_at")
    list_filter = ("format", "status")
    list_select_related = ("patient",)
