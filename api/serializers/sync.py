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


def _in_a_batch(serializer: type[serializers.ModelSerializer], what: str):
    """`serializer` plus `base_version`: how an item of a sync batch reads (for the
    schema: the view reads items itself). Named Sync<Kind>Serializer in the schema."""
    name = "Sync" + serializer.__name__
    meta = type("Meta", (serializer.Meta,), {"fields": [*serializer.Meta.fields, "base_version"]})
    return type(
        name,
        (serializer,),
        {
            "__doc__": f"{what} in a sync batch (for the schema: the view reads items itself).",
            "__module__": __name__,
            "__qualname__": name,
            "base_version": serializers.IntegerField(
                min_value=0, required=False, write_only=True, help_text=BASE_VERSION_HELP
            ),
            "Meta": meta,
        },
    )


SyncEntrySerializer = _in_a_batch(EntrySerializer, "An entry")
SyncTreatmentSerializer = _in_a_batch(TreatmentSerializer, "A treatment")
SyncDayLogSerializer = _in_a_batch(DayLogSerializer, "A day log")
SyncImpressionSerializer = _in_a_batch(ImpressionSerializer, "A PGIC answer")


def _section(items) -> SyncSectionField:
    """A section of the batch, its items typed as `items` in the schema."""
    field_class = extend_schema_field(items(many=True))(
        type("Section", (SyncSectionField,), {"__module__": __name__})
    )
    return field_class(required=False, default=list)


class SyncBatchSerializer(serializers.Serializer):
    """An offline batch: at most 500 items in all. Each item is judged on its
    own, so one bad item is reported in its result without rejecting the rest.
    Send every item with its `id`, so a resent batch is answered `unchanged`."""

    entries = _section(SyncEntrySerializer)
    patches = _section(SyncTreatmentSerializer)
    day_logs = _section(SyncDayLogSerializer)
    impressions = _section(SyncImpressionSerializer)
    deleted = _section(DeletionSerializer)

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
