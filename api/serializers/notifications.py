from rest_framework import serializers

from api.serializers.fields import TimeZoneField
from notifications.models import (
    Delivery,
    Device,
    InboxItem,
    NotificationPreference,
    Platform,
    ReminderPreference,
)
from notifications.schedule import CHECKIN_STEP_NAMES


class DeviceSerializer(serializers.ModelSerializer):
    platform = serializers.ChoiceField(choices=Platform.choices)
    token = serializers.CharField(max_length=4096)

    class Meta:
        model = Device
        fields = ["platform", "token", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        # Re-registering a known token is allowed (it moves): no unique check here.
        extra_kwargs = {"token": {"validators": []}}


class InboxItemSerializer(serializers.ModelSerializer):
    flag = serializers.UUIDField(source="flag_id", read_only=True)
    patient = serializers.UUIDField(source="flag.patient_id", read_only=True)
    patient_name = serializers.CharField(source="flag.patient.display_name", read_only=True)
    kind = serializers.CharField(source="flag.kind", read_only=True)
    flag_status = serializers.CharField(source="flag.status", read_only=True)

    class Meta:
        model = InboxItem
        fields = [
            "id",
            "flag",
            "patient",
            "patient_name",
            "kind",
            "flag_status",
            "reason",
            "created_at",
            "read_at",
        ]
        read_only_fields = fields


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField(help_text="Flags with an unread inbox item.")


class NotificationPreferenceSerializer(serializers.ModelSerializer):
    timezone = TimeZoneField(
        required=False, help_text="The digest's zone: the same value as the profile's `timezone`."
    )

    class Meta:
        model = NotificationPreference
        fields = ["email_enabled", "email_mode", "digest_time", "timezone"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    flag = serializers.UUIDField(source="flag_id", read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "flag",
            "reason",
            "status",
            "attempts",
            "last_error",
            "due_at",
            "sent_at",
            "created_at",
        ]
        read_only_fields = fields


class WebhookStatusSerializer(serializers.Serializer):
    """The clinic's webhook as its coordinators see it (never the secret)."""

    configured = serializers.BooleanField()
    url = serializers.URLField(allow_null=True)
    is_active = serializers.BooleanField()
    failed = serializers.IntegerField(help_text="Deliveries that failed for good.")
    pending = serializers.IntegerField(help_text="Deliveries waiting to be sent or retried.")
    recent = WebhookDeliverySerializer(many=True)


class ReminderPreferenceSerializer(serializers.ModelSerializer):
    next_daily_reminder_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = ReminderPreference
        fields = ["daily_enabled", "daily_time", "next_daily_reminder_at"]


class DueCheckinSerializer(serializers.Serializer):
    treatment = serializers.UUIDField(help_text="The treatment this check-in follows.")
    checkpoint = serializers.ChoiceField(choices=CHECKIN_STEP_NAMES)
    due_at = serializers.DateTimeField()
    ratings_due = serializers.BooleanField(
        help_text="No upright and lying rating since `due_at` yet."
    )
    pgic_due = serializers.BooleanField(
        help_text="At 72h and 7d: no PGIC answer for this treatment and checkpoint yet."
    )


class DailyDueSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    due = serializers.BooleanField(help_text="Enabled, and nothing logged in the last 24 h.")


class RemindersDueSerializer(serializers.Serializer):
    checkins = DueCheckinSerializer(many=True)
    daily = DailyDueSerializer()
