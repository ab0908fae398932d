from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .records import EntrySerializer, TreatmentSerializer


class DeletionSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["entry", "patch"])
    id = serializers.UUIDField()
    base_version = serializers.IntegerField(
        min_value=0, required=False, help_text="Delete only if the record is still this version."
    )


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
    deleted = SyncSectionField(required=False, default=list)

    def validate(self, attrs):
        total = sum(len(attrs[k]) for k in ("entries", "patches", "deleted"))
        if total > settings.SYNC_MAX_ITEMS:
            raise serializers.ValidationError(
                _("At most %(most)d items per sync; this batch has %(total)d.")
                % {"most": settings.SYNC_MAX_ITEMS, "total": total},
                code="too_many_items",
            )
        return attrs


class SyncItemResultSerializer(serializers.Serializer):
    id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(
        choices=["created", "unchanged", "updated", "deleted", "conflict", "error"]
    )
    error = serializers.DictField(required=False)


class SyncResultSerializer(serializers.Serializer):
    entries = SyncItemResultSerializer(many=True)
    patches = SyncItemResultSerializer(many=True)
    deleted = SyncItemResultSerializer(many=True)


class SyncTombstoneSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.UUIDField()
    deleted_at = serializers.DateTimeField()


class SyncChangesSerializer(serializers.Serializer):
    entries = EntrySerializer(many=True)
    patches = TreatmentSerializer(many=True)
    deleted = SyncTombstoneSerializer(many=True)
    cursor = serializers.CharField()
    has_more = serializers.BooleanField()
