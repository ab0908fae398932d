from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .records import DayLogSerializer, EntrySerializer, ImpressionSerializer, TreatmentSerializer

RECORD_TYPES = ["entry", "patch", "day_log", "impression"]
SECTIONS = ("entries", "patches", "day_logs", "impressions", "deleted")


class DeletionSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=RECORD_TYPES)
    id = serializers.UUIDField()
    base_version = serializers.IntegerField(
        min_value=0, required=False, help_text="Delete only if the record is still this version."
    )


class SyncSectionField(serializers.ListField):
    """A list of items, any JSON each: every item is judged on its own later,
    so one that is not an object is reported in its result, not by refusing
    the whole batch. The schema still types the items (see below)."""

    def run_child_validation(self, data):
        # The body came through the JSON parser (the only one configured), so
        # the items are JSON already; checking each one here costs ~1 µs apiece.
        return list(data)


BASE_VERSION_HELP = (
    "The record's `version` this change was made to (v1.1): if the stored record has "
    "moved on since, the item is answered `conflict` with the stored record and nothing "
    "is overwritten. Leave it out to write as in v1."
)


class SyncEntrySerializer(EntrySerializer):
    """An entry in a sync batch (for the schema: the view reads items itself)."""

    base_version = serializers.IntegerField(
        min_value=0, required=False, write_only=True, help_text=BASE_VERSION_HELP
    )

    class Meta(EntrySerializer.Meta):
        fields = [*EntrySerializer.Meta.fields, "base_version"]


class SyncTreatmentSerializer(TreatmentSerializer):
    """A treatment in a sync batch (for the schema: the view reads items itself)."""

    base_version = serializers.IntegerField(
        min_value=0, required=False, write_only=True, help_text=BASE_VERSION_HELP
    )

    class Meta(TreatmentSerializer.Meta):
        fields = [*TreatmentSerializer.Meta.fields, "base_version"]


@extend_schema_field(SyncEntrySerializer(many=True))
class EntrySection(SyncSectionField):
    pass


@extend_schema_field(SyncTreatmentSerializer(many=True))
class PatchSection(SyncSectionField):
    pass


class SyncDayLogSerializer(DayLogSerializer):
    """A day log in a sync batch (for the schema: the view reads items itself)."""

    base_version = serializers.IntegerField(
        min_value=0, required=False, write_only=True, help_text=BASE_VERSION_HELP
    )

    class Meta(DayLogSerializer.Meta):
        fields = [*DayLogSerializer.Meta.fields, "base_version"]


class SyncImpressionSerializer(ImpressionSerializer):
    """A PGIC answer in a sync batch (for the schema: the view reads items itself)."""

    base_version = serializers.IntegerField(
        min_value=0, required=False, write_only=True, help_text=BASE_VERSION_HELP
    )

    class Meta(ImpressionSerializer.Meta):
        fields = [*ImpressionSerializer.Meta.fields, "base_version"]


@extend_schema_field(SyncDayLogSerializer(many=True))
class DayLogSection(SyncSectionField):
    pass


@extend_schema_field(SyncImpressionSerializer(many=True))
class ImpressionSection(SyncSectionField):
    pass


@extend_schema_field(DeletionSerializer(many=True))
class DeletionSection(SyncSectionField):
    pass


class SyncBatchSerializer(serializers.Serializer):
    """An offline batch: at most 500 items in all. Each item is judged on its
    own, so one bad item is reported in its result without rejecting the rest.
    Send every item with its `id`, so a resent batch is answered `unchanged`."""

    entries = EntrySection(required=False, default=list)
    patches = PatchSection(required=False, default=list)
    day_logs = DayLogSection(required=False, default=list)
    impressions = ImpressionSection(required=False, default=list)
    deleted = DeletionSection(required=False, default=list)

    def validate(self, attrs):
        total = sum(len(attrs[k]) for k in SECTIONS)
        if total > settings.SYNC_MAX_ITEMS:
            raise serializers.ValidationError(
                _("At most %(most)d items per sync; this batch has %(total)d.")
                % {"most": settings.SYNC_MAX_ITEMS, "total": total},
                code="too_many_items",
            )
        return attrs


@extend_schema_field({"$ref": "#/components/schemas/ErrorDetail"})  # api/schema_hooks.py
class ItemErrorField(serializers.DictField):
    pass


class SyncItemResultSerializer(serializers.Serializer):
    """The outcome of one item, at the item's position in its section."""

    id = serializers.CharField(
        allow_null=True, help_text="The item's id (null when an invalid item had none)."
    )
    status = serializers.ChoiceField(
        choices=["created", "unchanged", "updated", "deleted", "conflict", "error"],
        help_text="`error` and `conflict`: this item was not saved (see `error`; on a "
        "conflict `error.current` is the stored record); the others were.",
    )
    error = ItemErrorField(
        required=False,
        help_text="Only with status `error`: the same shape as an error response's `error`.",
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
