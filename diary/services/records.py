"""Create, change and delete diary records (symptom entries and treatments).

Every write stamps the patient's next diary version so sync can hand it out.
"""

import uuid as uuid_module
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import Action, RecordRevision
from audit.services import audit_record, revisions_keep
from diary.models import Patient, SymptomEntry, Treatment
from diary.models.records import DiaryRecord
from diary.services.changes import diary_change_begin

R = TypeVar("R", bound=DiaryRecord)

# The moment field of each record kind, and the field holding the phone's offset.
MOMENT_FIELDS: dict[type[DiaryRecord], tuple[str, str]] = {
    SymptomEntry: ("recorded_at", "recorded_offset_minutes"),
    Treatment: ("performed_at", "performed_offset_minutes"),
}
# The API's (and sync's) name for each kind, used by the trail and the history.
RECORD_TYPE_NAMES: dict[type[DiaryRecord], str] = {SymptomEntry: "entry", Treatment: "patch"}


class RecordDeleted(Exception):
    """A create or change named a record the patient has already deleted."""


class RecordIdTaken(Exception):
    """A create named an id that belongs to another patient's record."""


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
    moment_field, offset_field = MOMENT_FIELDS[model]
    values = dict(values)
    if moment_field in values:
        values[moment_field], values[offset_field] = split_offset(values[moment_field])
    return values


def has_changes(record: DiaryRecord, values: dict[str, Any]) -> bool:
    return any(getattr(record, name) != value for name, value in values.items())


@transaction.atomic
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
    """
    if record_uuid is not None:
        existing = _find(model, patient, record_uuid)
        if existing is not None:
            return existing, False
    version = diary_change_begin(patient_id=patient.pk)
    if record_uuid is not None:
        # Re-check under the diary lock: a concurrent retry may have just won.
        existing = _find(model, patient, record_uuid)
        if existing is not None:
            return existing, False
    extra = {"recorded_by": recorded_by} if model is Treatment else {}
    try:
        with transaction.atomic():
            record = model.objects.create(
                uuid=record_uuid or uuid_module.uuid4(),
                patient=patient,
                version=version,
                **extra,
                **to_model_values(model, values),
            )
    except IntegrityError as exc:  # another patient's create of this id won a race
        raise RecordIdTaken(str(record_uuid)) from exc
    _audit(Action.CREATE, record)
    return record, True


def _find(model: type[R], patient: Patient, record_uuid) -> R | None:
    # By id alone: ids are unique across patients, and another's is refused.
    record = model.objects.filter(uuid=record_uuid).first()
    if record is not None and record.patient_id != patient.pk:
        raise RecordIdTaken(str(record_uuid))
    if record is not None and record.is_deleted:
        raise RecordDeleted(str(record_uuid))
    return record


def _audit(action: str, record: DiaryRecord) -> None:
    audit_record(
        action=action,
        record_type=RECORD_TYPE_NAMES[type(record)],
        record_id=record.uuid,
        patient_id=record.patient_id,
    )


def _locked_current(record: R) -> tuple[R, int]:
    """The stored row as of now, read under the diary lock, and the new version.

    The caller's copy was read before the lock: a change or delete committed
    since must not be overwritten by saving that copy back.
    """
    version = diary_change_begin(patient_id=record.patient_id)
    return type(record).objects.get(pk=record.pk), version


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
    record, version = _locked_current(record)
    if record.is_deleted:
        raise RecordDeleted(str(record.uuid))
    _expect(record, if_version_in)  # again under the lock: a change may have just committed
    if not has_changes(record, values):
        return record
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
    revisions_keep(
        records=[record],
        record_type=RECORD_TYPE_NAMES[type(record)],
        change=RecordRevision.Change.DELETE,
        by=by,
    )
    record.deleted_at = timezone.now()
    record.version = version
    record.save(update_fields=["deleted_at", "version", "updated_at"])
    _audit(Action.DELETE, record)
