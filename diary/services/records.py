"""Create, change and delete diary records (entries, treatments, day logs, PGIC).

Every write stamps the patient's next diary version so sync can hand it out.
Day logs (one per day) and PGIC answers (one per treatment and asked
checkpoint) may clash with a stored record: the write is refused with that
record (`RecordClash`), never merged.
"""

import uuid as uuid_module
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from audit.models import Action, RecordRevision
from audit.services import audit_record, audit_record_many, revisions_keep
from config.bulk_insert import insert_new
from diary.models import ASKED_CHECKPOINTS, DayLog, Impression, Patient, SymptomEntry, Treatment
from diary.models.records import DiaryRecord
from diary.services.changes import diary_change_begin, judgement_ask, written

R = TypeVar("R", bound=DiaryRecord)

# The moment field of each record kind, and the field holding the phone's offset.
MOMENT_FIELDS: dict[type[DiaryRecord], tuple[str, str]] = {
    SymptomEntry: ("recorded_at", "recorded_offset_minutes"),
    Treatment: ("performed_at", "performed_offset_minutes"),
    Impression: ("answered_at", "answered_offset_minutes"),
}
# The API's (and sync's) name for each kind, used by the trail and the history.
RECORD_TYPE_NAMES: dict[type[DiaryRecord], str] = {
    SymptomEntry: "entry",
    Treatment: "patch",
    DayLog: "day_log",
    Impression: "impression",
}
RECORD_TYPES: dict[str, type[DiaryRecord]] = {name: m for m, name in RECORD_TYPE_NAMES.items()}
# Kinds that remember who wrote them (a clinician may record them for the patient).
WITH_RECORDED_BY = frozenset({Treatment, Impression})


class RecordDeleted(Exception):
    """A create or change named a record the patient has already deleted."""


class RecordIdTaken(Exception):
    """A create named an id that belongs to another patient's record."""


class RecordClash(Exception):
    """The diary already holds a live record for this day (or treatment and checkpoint)."""

    def __init__(self, current: DiaryRecord):
        super().__init__(str(current.uuid))
        self.current = current


class UnknownTreatment(Exception):
    """A PGIC answer names a treatment this diary does not hold (or deleted)."""


def clash_key(model: type[DiaryRecord], values: dict[str, Any]) -> tuple | None:
    """What may exist once per diary among live records, or None when unrestricted."""
    if model is DayLog:
        return (values["date"],)
    if model is Impression and values["checkpoint"] in ASKED_CHECKPOINTS:
        return (values["treatment_id"], values["checkpoint"])
    return None


def find_clashes(
    model: type[DiaryRecord], patient_id, keys: set[tuple]
) -> dict[tuple, DiaryRecord]:
    """The live records holding these keys, one query."""
    if not keys:
        return {}
    records = model.objects.live().filter(patient_id=patient_id)
    if model is DayLog:
        records = records.filter(date__in=[key[0] for key in keys])
        return {(r.date,): r for r in records}
    records = records.filter(
        treatment_id__in=[key[0] for key in keys], checkpoint__in=ASKED_CHECKPOINTS
    ).select_related("treatment")
    return {k: r for r in records if (k := (r.treatment_id, r.checkpoint)) in keys}


def resolve_treatments(patient_id, uuids) -> dict[uuid_module.UUID, int]:
    """Treatment id (as the API names it) -> row id, for this diary's live treatments."""
    if not uuids:
        return {}
    return dict(
        Treatment.objects.live()
        .filter(patient_id=patient_id, uuid__in=set(uuids))
        .values_list("uuid", "pk")
    )


def _with_treatment(model, patient_id, values: dict[str, Any]) -> dict[str, Any]:
    """A PGIC answer's `treatment_uuid` replaced by the row it names."""
    if model is not Impression or "treatment_uuid" not in values:
        return values
    values = dict(values)
    treatment_uuid = values.pop("treatment_uuid")
    try:
        values["treatment_id"] = resolve_treatments(patient_id, [treatment_uuid])[treatment_uuid]
    except KeyError:
        raise UnknownTreatment(str(treatment_uuid)) from None
    return values


def _check_clash(record_or_model, patient_id, values: dict[str, Any], *, pk=None) -> None:
    model = record_or_model if isinstance(record_or_model, type) else type(record_or_model)
    if model not in (DayLog, Impression):
        return
    if not isinstance(record_or_model, type):  # a change: judge the record as it will be
        values = {
            **{
                f: getattr(record_or_model, f)
                for f in ("date", "treatment_id", "checkpoint")
                if hasattr(record_or_model, f)
            },
            **values,
        }
    key = clash_key(model, values)
    if key is None:
        return
    current = find_clashes(model, patient_id, {key}).get(key)
    if current is not None and current.pk != pk:
        raise RecordClash(current)


class VersionMismatch(Exception):
    """The record is no longer at the version the change was made to (If-Match)."""

    def __init__(self, current: DiaryRecord) -> None:
        super().__init__(f"record {current.uuid} is at version {current.version}")
        self.current = current


def _expect(record: DiaryRecord, versions) -> None:
    """`versions`: the versions the caller will change (None: any)."""
    if versions is not None and record.version not in versions:
        raise VersionMismatch(record)


def split_offset(moment: datetime) -> tuple[datetime, int]:
    """UTC instant plus the offset (minutes) the phone sent it with."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    return moment.astimezone(UTC), minutes


def to_model_values(model: type[DiaryRecord], values: dict[str, Any]) -> dict[str, Any]:
    """Validated API values → model field values (moment split into UTC + offset)."""
    values = dict(values)
    if model not in MOMENT_FIELDS:  # a day log: its day is a date, no moment
        return values
    moment_field, offset_field = MOMENT_FIELDS[model]
    if moment_field in values:
        values[moment_field], values[offset_field] = split_offset(values[moment_field])
    return values


def has_changes(record: DiaryRecord, values: dict[str, Any]) -> bool:
    return any(getattr(record, name) != value for name, value in values.items())


class _Stored(Exception):
    """The id a create names is stored: its transaction ends with nothing written."""

    def __init__(self, record: DiaryRecord):
        self.record = record


# Kinds whose create reads more under the lock (a clash, the treatment named):
# for them a retry is recognised by its id first, as it would clash with itself.
ID_FIRST = frozenset({DayLog, Impression})


def record_create(
    *,
    model: type[R],
    patient: Patient,
    values: dict[str, Any],
    record_uuid: uuid_module.UUID | None = None,
    recorded_by=None,
) -> tuple[R, bool]:
    """Create a record, or return the stored one if this id exists (a phone retry).

    Returns (record, created). A retry never changes the stored record.
    Raises RecordClash when the day (or treatment and checkpoint) is taken,
    UnknownTreatment when a PGIC answer names no treatment of this diary,
    RecordIdTaken / RecordDeleted when the id is another patient's or deleted.
    Its own transaction (a savepoint inside another): nothing of a refused or
    retried create stays, not even the diary's version bump.
    """
    try:
        return _create(model, patient, values, record_uuid, recorded_by), True
    except _Stored as stored:
        return stored.record, False


@transaction.atomic
def _create(model: type[R], patient: Patient, values, record_uuid, recorded_by) -> R:
    # The diary lock first (every write takes it first), then the row. A retry
    # is told by the INSERT itself (its id conflicts), so a new record, nearly
    # every create, costs no look-up.
    version = diary_change_begin(patient_id=patient.pk, **written(model, values=values))
    if record_uuid is not None and model in ID_FIRST:
        _raise_if_stored(model, patient, record_uuid)
    extra = {"recorded_by": recorded_by} if model in WITH_RECORDED_BY else {}
    values = _with_treatment(model, patient.pk, to_model_values(model, values))
    _check_clash(model, patient.pk, values)
    record = model(
        uuid=record_uuid or uuid_module.uuid4(),
        patient=patient,
        version=version,
        **extra,
        **values,
    )
    if not insert_new(record, unless_taken="uuid"):
        _raise_if_stored(model, patient, record.uuid)  # a retry, or a create that just won
        raise RecordIdTaken(str(record.uuid))  # unreachable: the conflicting row has committed
    _audit(Action.CREATE, record)
    return record


def _raise_if_stored(model: type[R], patient: Patient, record_uuid) -> None:
    """_Stored with this patient's record of this id; RecordIdTaken / RecordDeleted."""
    # By id alone: ids are unique across patients, and another's is refused.
    record = model.objects.filter(uuid=record_uuid).first()
    if record is None:
        return
    if record.patient_id != patient.pk:
        raise RecordIdTaken(str(record_uuid))
    if record.is_deleted:
        raise RecordDeleted(str(record_uuid))
    raise _Stored(record)


def _audit(action: str, record: DiaryRecord) -> None:
    audit_record(
        action=action,
        record_type=RECORD_TYPE_NAMES[type(record)],
        record_id=record.uuid,
        patient_id=record.patient_id,
    )


def _locked_current(record: R, values: dict[str, Any] | None = None) -> tuple[R, int]:
    """The stored row as of now, read under the diary lock, and the new version.

    The caller's copy was read before the lock: a change or delete committed
    since must not be overwritten by saving that copy back. `values`: the
    change to be written (None: a delete), for the judgement it asks for.
    """
    model = type(record)
    version = diary_change_begin(
        patient_id=record.patient_id, **written(model, old=record, values=values)
    )
    current = model.objects.get(pk=record.pk)
    moved = written(model, old=current, values=values)
    if moved != written(model, old=record, values=values):
        # Changed since the caller read it: its stored moment is the one moved away from.
        judgement_ask(patient_id=record.patient_id, **moved)
    return current, version


@transaction.atomic
def record_update(*, record: R, values: dict[str, Any], by=None, if_version_in=None) -> R:
    """Change a record; the version it replaces is kept (who changed it, when).

    Raises RecordDeleted if the record was deleted meanwhile, VersionMismatch
    if `if_version_in` (If-Match) is given and the record is at another version.
    """
    values = to_model_values(type(record), values)
    _expect(record, if_version_in)
    if not has_changes(record, values):
        return record
    record, version = _locked_current(record, values)
    if record.is_deleted:
        raise RecordDeleted(str(record.uuid))
    _expect(record, if_version_in)  # again under the lock: a change may have just committed
    if not has_changes(record, values):
        return record
    values = _with_treatment(type(record), record.patient_id, values)
    _check_clash(record, record.patient_id, values, pk=record.pk)
    revisions_keep(
        records=[record],
        record_type=RECORD_TYPE_NAMES[type(record)],
        change=RecordRevision.Change.UPDATE,
        by=by,
    )
    for name, value in values.items():
        setattr(record, name, value)
    record.sync_digest = ""  # the phone's last upload no longer describes this row
    record.version = version
    record.save(update_fields=[*values, "sync_digest", "version", "updated_at"])
    _audit(Action.UPDATE, record)
    return record


@transaction.atomic
def record_delete(*, record: DiaryRecord, by=None, if_version_in=None) -> None:
    """Leave a tombstone: the phone learns of the delete through sync.

    The version it ends is kept in the record's history. VersionMismatch as
    for record_update.
    """
    if record.is_deleted:
        return
    _expect(record, if_version_in)
    record, version = _locked_current(record)
    if record.is_deleted:
        return  # deleted meanwhile: one tombstone, one revision
    _expect(record, if_version_in)
    records_tombstone(model=type(record), records=[record], version=version, by=by)


def records_tombstone(
    *, model: type[DiaryRecord], records: list[DiaryRecord], version: int, by=None
) -> None:
    """Tombstone live `records` of one kind and one patient, under the diary lock at `version`.

    History first (each record as it was), then the tombstones, then the trail:
    a few statements for the lot. A deleted treatment takes its live PGIC
    answers with it, so no phone is handed answers about a treatment gone.
    """
    if not records:
        return
    record_type = RECORD_TYPE_NAMES[model]
    revisions_keep(
        records=records, record_type=record_type, change=RecordRevision.Change.DELETE, by=by
    )
    now = timezone.now()
    for record in records:
        record.deleted_at, record.version, record.updated_at = now, version, now
    model.objects.bulk_update(records, ["deleted_at", "version", "updated_at"])
    audit_record_many(
        action=Action.DELETE,
        record_type=record_type,
        patient_id=records[0].patient_id,
        record_ids=[r.uuid for r in records],
    )
    if model is Treatment:
        answers = list(
            Impression.objects.filter(treatment__in=[r.pk for r in records], deleted_at=None)
        )
        records_tombstone(model=Impression, records=answers, version=version, by=by)
