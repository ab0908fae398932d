from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .records import DayLogSerializer, EntrySerializer, ImpressionSerializer, TreatmentSerializer

RECORD_TYPES = ["entry", "patch", "day_log", "impression"]
SECTIONS = ("entries", "patches", "day_logs", "impressions", "deleted")


class DeletionSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=RECORD_TYPES)
    id = serializers.UUIDField()


@extend_schema_field({"type": "array", "items": {"type": "object"}})
class SyncSectionField(serializers.ListField):
    """A list of items, any JSON each: every item is judged on its own later,
    so one that is not an object is reported in its result, not by refusing
    the whole batch."""

    def run_child_validation(self, data):
        # The body came through the JSON parser (the only one configured), so
        # the items are JSON already; checking each one here costs ~1 µs apiece.
        return list(data)


class SyncBatchSerializer(serializers.Serializer):
    """The batch's outer shape only: each item is validated on its own so one
    bad item is reported without rejecting the rest."""

    entries = SyncSectionField(required=False, default=list)
    patches = SyncSectionField(required=False, default=list)
    day_logs = SyncSectionField(required=False, default=list)
    impressions = SyncSectionField(required=False, default=list)
    deleted = SyncSectionField(required=False, default=list)

    def validate(self, attrs):
        total = sum(len(attrs[k]) for k in SECTIONS)
        if total > settings.SYNC_MAX_ITEMS:
            raise serializers.ValidationError(
                f"At most {settings.SYNC_MAX_ITEMS} items per sync; this batch has {total}."
            )
        return attrs


class SyncItemResultSerializer(serializers.Serializer):
    id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(
        choices=["created", "unchanged", "updated", "deleted", "conflict", "error"]
    )
    error = serializers.DictField(required=False)
    current = serializers.DictField(
        required=False, help_text="With `conflict`: the stored record; nothing was written."
    )


class SyncResultSerializer(serializers.Serializer):
    entries = SyncItemResultSerializer(many=True)
    patches = SyncItemResultSerializer(many=True)
    day_logs = SyncItemResultSerializer(many=True)
    impressions = SyncItemResultSerializer(many=True)
    deleted = SyncItemResultSerializer(many=True)


class SyncTombstoneSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=RECORD_TYPES)
    id = serializers.UUIDField()
    deleted_at = serializers.DateTimeField()


class SyncChangesSerializer(serializers.Serializer):
    entries = EntrySerializer(many=True)
    patches = TreatmentSerializer(many=True)
    day_logs = DayLogSerializer(many=True)
    impressions = ImpressionSerializer(many=True)
    deleted = SyncTombstoneSerializer(many=True)
    cursor = serializers.CharField()
    has_more = serializers.BooleanField()
