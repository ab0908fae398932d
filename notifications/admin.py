from django.contrib import admin

from notifications.models import (
    ClinicWebhook,
    Delivery,
    Device,
    InboxItem,
    NotificationPreference,
    PushMessage,
    Reminder,
    ReminderPreference,
)


@admin.register(ClinicWebhook)
class ClinicWebhookAdmin(admin.ModelAdmin):
    list_display = ["clinic", "url", "is_active", "created_at"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["flag", "channel", "reason", "recipient", "clinic", "status", "attempts"]
    list_filter = ["status", "channel", "reason"]
    readonly_fields = [f.name for f in Delivery._meta.fields]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["patient", "kind", "step", "status", "next_due_at", "last_sent_at"]
    list_filter = ["kind", "status"]


admin.site.register([InboxItem, NotificationPreference, Device, PushMessage, ReminderPreference])
