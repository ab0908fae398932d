"""Batch sync for a phone that was offline."""

import uuid

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import error_body, error_response, field_codes_of
from api.permissions import IsPatient
from api.serializers.entry_fast_path import entry_fast_path
from api.serializers.records import (
    DayLogSerializer,
    EntrySerializer,
    ImpressionSerializer,
    TreatmentSerializer,
)
from api.serializers.sync import (
    DeletionSerializer,
    SyncBatchSerializer,
    SyncChangesSerializer,
    SyncResultSerializer,
)
from api.views.scope import own_patient
from diary.services.records import RECORD_TYPE_NAMES
from diary.services.sync import (
    PULLED,
    InvalidCursor,
    ItemConflict,
    ItemError,
    SyncDeletion,
    SyncItem,
    SyncPosition,
    batch_digest,
    item_digest,
    sync_apply,
    sync_changes,
    sync_is_exact_replay,
    sync_replayed,
)

SERIALIZERS = {
    "entry": EntrySerializer,
    "patch": TreatmentSerializer,
    "day_log": DayLogSerializer,
    "impression": ImpressionSerializer,
}
# Batch section -> record type, in the order they apply (a PGIC answer may
# name a treatment of the same batch).
SECTIONS = {
    "entries": "entry",
    "patches": "patch",
    "day_logs": "day_log",
    "impressions": "impression",
}
# Entries arrive by the hundred; the others a few a day at most, so they keep the serializer.
FAST_PATHS = {"entry": entry_fast_path}


def _item_result(item_id, outcome) -> dict:
    if isinstance(outcome, ItemConflict):
        record = outcome.record
        current = SERIALIZERS[RECORD_TYPE_NAMES[type(record)]](record).data
        return {
            "id": item_id,
            "status": "conflict",
            "error": error_body(outcome.code, outcome.message, current=current)["error"],
        }
    if isinstance(outcome, ItemError):
        return {
            "id": item_id,
            "status": "error",
            "error": error_body(outcome.code, outcome.message, outcome.fields)["error"],
        }
    return {"id": item_id, "status": outcome}


def _invalid(item_id, exc: ValidationError) -> dict:
    fields, codes = exc.detail, exc.get_codes()
    if not isinstance(fields, dict):
        fields, codes = {"non_field_errors": fields}, {"non_field_errors": codes}
    message = _("This item is not valid; it was not saved.")
    return {
        "id": item_id,
        "status": "error",
        "error": error_body("invalid", message, fields, field_codes_of(fields, codes))["error"],
    }


def _bad_base_version() -> ValidationError:
    message = _("Send the `version` of the record as the phone last saw it (an integer ≥ 0).")
    return ValidationError({"base_version": [message]}, code="invalid")


def _client_id(raw):
    return raw.get("id") if isinstance(raw, dict) else None


def _echoed_id(raw) -> str | None:
    """The id to name in an invalid item's result: the schema promises a string
    or null, whatever JSON the phone put there."""
    item_id = _client_id(raw)
    return item_id if isinstance(item_id, str) else None


def _validate_items(patient, record_type, raw_items, results) -> tuple[list[SyncItem], frozenset]:
    """Validate each item alone; record failures in `results`, return the good
    ones and the ids the diary did not hold (see sync_apply).

    Items the diary already holds exactly as sent (a replay) are answered
    "unchanged" at once.
    """
    if not raw_items:  # most batches leave most sections empty
        return [], frozenset()
    digests = [item_digest(raw) for raw in raw_items]
    recognised = sync_replayed(
        patient=patient, record_type=record_type, raw_items=raw_items, digests=digests
    )
    replayed = recognised.replayed
    for index, item_id in replayed.items():
        results[index] = {"id": item_id, "status": "unchanged"}
    # One serializer for the whole section: building one (its fields, from the
    # model) costs more than validating an item, and run_validation keeps no
    # state between calls.
    serializer = SERIALIZERS[record_type]()
    fast_path = FAST_PATHS[record_type]() if record_type in FAST_PATHS else None
    items, seen = [], set()
    for index, raw in enumerate(raw_items):
        if index in replayed:
            continue
        base_version = None
        if type(raw) is dict and "base_version" in raw:  # v1.1: only then a version check
            raw = dict(raw)
            base_version = raw.pop("base_version")
            if type(base_version) is not int or base_version < 0:
                results[index] = _invalid(_echoed_id(raw), _bad_base_version())
                continue
        values = fast_path(raw, recognised.ids.get(index)) if fast_path else None
        if values is None:  # not plainly well-formed: the serializer judges and explains
            try:
                values = dict(serializer.run_validation(raw))
            except ValidationError as exc:
                results[index] = _invalid(_echoed_id(raw), exc)
                continue
        item_uuid = values.pop("uuid", None) or uuid.uuid4()
        if item_uuid in seen:
            results[index] = _invalid(
                str(item_uuid),
                ValidationError(
                    {"id": [_("This id appears twice in the batch.")]}, code="duplicate_id"
                ),
            )
            continue
        seen.add(item_uuid)
        items.append(
            SyncItem(
                index=index,
                uuid=item_uuid,
                values=values,
                digest=digests[index],
                base_version=base_version,
            )
        )
    return items, recognised.absent


def _replayable(raw, results) -> bool:
    """Every item valid and named by the phone: resending it can be answered
    "unchanged" item for item (a server-made id could not be told again)."""
    return all(
        result is None or result["status"] != "error"
        for section in results.values()
        for result in section
    ) and all(_client_id(item) for key in SECTIONS for item in raw[key])


def _all_unchanged(raw) -> dict | None:
    """The answer to an exact replay: every item unchanged, under its id."""
    try:
        return {
            key: [
                {"id": str(uuid.UUID(str(_client_id(item)))), "status": "unchanged"}
                for item in raw[key]
            ]
            for key in (*SECTIONS, "deleted")
        }
    except ValueError:  # an id DRF reads but this does not (an integer): the full path
        return None


def _validate_deletions(raw_items, results) -> list[SyncDeletion]:
    serializer = DeletionSerializer()
    deletions = []
    for index, raw in enumerate(raw_items):
        try:
            data = serializer.run_validation(raw)
        except ValidationError as exc:
            results[index] = _invalid(_echoed_id(raw), exc)
            continue
        deletions.append(
            SyncDeletion(
                index=index,
                record_type=data["type"],
                uuid=data["id"],
                base_version=data.get("base_version"),
            )
        )
    return deletions


class SyncView(APIView):
    permission_classes = [IsPatient]

    @extend_schema(
        parameters=[OpenApiParameter("cursor", str, description="Opaque; omit for everything.")],
        responses=SyncChangesSerializer,
    )
    def get(self, request):
        """Everything in this diary changed since the cursor, tombstones included.

        Keep calling with the returned cursor while `has_more` is true.
        """
        try:
            position = SyncPosition.decode(request.query_params.get("cursor"))
        except InvalidCursor as exc:
            return error_response("invalid_cursor", str(exc), status.HTTP_400_BAD_REQUEST)
        changes = sync_changes(patient=own_patient(request.user), position=position)
        sections = {name: getattr(changes, name) for name, _ in PULLED}
        body = {name: [r for r in rows if not r.is_deleted] for name, rows in sections.items()}
        body["deleted"] = [
            {"type": SECTIONS[name], "id": r.uuid, "deleted_at": r.deleted_at}
            for name, records in sections.items()
            for r in records
            if r.is_deleted
        ]
        body["cursor"], body["has_more"] = changes.position.encode(), changes.has_more
        return Response(SyncChangesSerializer(body).data)

    @extend_schema(request=SyncBatchSerializer, responses=SyncResultSerializer)
    def post(self, request):
        """Apply an offline batch: a result per item, in the order sent.

        Statuses: created, unchanged, updated, deleted, conflict, or error
        (with the reason). Bad items never stop the good ones; a replay
        changes nothing. An item (entry, patch or deletion) may carry
        `base_version`, the record's `version` its change was made to: if the
        stored record has moved on since, that item is answered `conflict` with
        the stored record in `error.current`, and nothing of it is written.
        A day log for a day that has one, or a PGIC answer for a treatment and
        checkpoint that has one, is a `conflict` the same way.
        """
        digest = batch_digest(request.body)  # before request.data: the bytes as sent
        patient = own_patient(request.user)
        batch = SyncBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        raw = batch.validated_data
        if sync_is_exact_replay(patient=patient, digest=digest) and (answer := _all_unchanged(raw)):
            return Response(answer)
        results = {key: [None] * len(raw[key]) for key in (*SECTIONS, "deleted")}
        items, absent = {}, {}
        for key, record_type in SECTIONS.items():
            items[key], absent[record_type] = _validate_items(
                patient, record_type, raw[key], results[key]
            )
        deletions = _validate_deletions(raw["deleted"], results["deleted"])

        if not (any(items.values()) or deletions):  # all answered already (a replay)
            return Response(results)
        outcome = sync_apply(
            patient=patient,
            **items,
            deletions=deletions,
            recorded_by=request.user,
            absent_ids=absent,
            batch_digest=digest if _replayable(raw, results) else "",
        )
        for key, section in (*items.items(), ("deleted", deletions)):
            statuses = getattr(outcome, key)
            for item in section:
                results[key][item.index] = _item_result(str(item.uuid), statuses[item.index])
        return Response(results)
