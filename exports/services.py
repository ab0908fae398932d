"""Request, build, serve and expire diary exports.

The job row is the state machine: pending → running → done | failed. Building
claims the job with a conditional UPDATE, so a task delivered twice (acks_late
after a lost worker) builds once; a job left `running` by a killed worker is
claimed again once it is older than the task's hard time limit.
"""

import contextlib
import datetime as dt
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import BinaryIO
from zoneinfo import ZoneInfo

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from audit.models import Action as AuditAction
from audit.services import audit_record
from diary.models import DayLog, Flag, Impression, Patient, SymptomEntry, Treatment
from exports.builders import csv as csv_builder
from exports.builders import fhir as fhir_builder
from exports.builders import pdf as pdf_builder
from exports.data import DayLogRow, EntryRow, ExportData, FlagRow, ImpressionRow, TreatmentRow
from exports.models import (
    ExportFormat,
    ExportJob,
    ExportStatus,
)

logger = logging.getLogger(__name__)

STORAGE_ALIAS = "exports"


@dataclass(frozen=True)
class FormatSpec:
    build: Callable[..., None]
    extension: str
    content_type: str


FORMATS: dict[str, FormatSpec] = {
    ExportFormat.PDF: FormatSpec(pdf_builder.build, "pdf", "application/pdf"),
    ExportFormat.CSV: FormatSpec(csv_builder.build, "csv", "text/csv; charset=utf-8"),
    ExportFormat.FHIR: FormatSpec(fhir_builder.build, "json", "application/fhir+json"),
}


class ExportNotReady(Exception):
    """The file is not built (yet), or the build failed."""


class ExportExpired(Exception):
    """The file was deleted after its time to live."""


def export_storage() -> Storage:
    return storages[STORAGE_ALIAS]


def _audit(*, job: ExportJob, user: User, action: str) -> None:
    """Who asked for or took which patient's diary, which range, which format."""
    audit_record(
        action=action,
        record_type="export",
        record_id=job.id,
        patient_id=job.patient_id,
        actor=user,
        detail={
            "format": job.format,
            "from": job.date_from.isoformat() if job.date_from else None,
            "to": job.date_to.isoformat() if job.date_to else None,
        },
    )


# --- request --------------------------------------------------------------------


@transaction.atomic
def export_request(
    *,
    patient: Patient,
    requested_by: User,
    export_format: str,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> ExportJob:
    """Record the job and its audit event; the build is queued once this commits.

    The caller has checked that `requested_by` may read `patient`.
    """
    if date_from and date_to and date_from > date_to:
        raise ValueError("date_from is after date_to")
    job = ExportJob.objects.create(
        patient=patient,
        requested_by=requested_by,
        format=export_format,
        date_from=date_from,
        date_to=date_to,
    )
    _audit(job=job, user=requested_by, action=AuditAction.EXPORT)
    transaction.on_commit(partial(_enqueue_build, str(job.id)))
    return job


def _enqueue_build(job_id: str) -> None:
    from exports.tasks import build_export  # tasks import services, not the reverse

    try:
        build_export.delay(job_id)
    except Exception:
        # The request has committed: say so on the job rather than fail the caller.
        logger.exception("Could not queue export %s", job_id)
        ExportJob.objects.filter(pk=job_id, status=ExportStatus.PENDING).update(
            status=ExportStatus.FAILED,
            error="The export could not be queued; please ask again.",
            finished_at=timezone.now(),
        )


# --- load -------------------------------------------------------------------------


def local_range(
    zone: ZoneInfo, date_from: dt.date | None, date_to: dt.date | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Patient-local days [from, to] as UTC instants [start, end)."""
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=zone) if date_from else None
    end = (
        dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        if date_to
        else None
    )
    return start, end


def _in_range(field: str, start, end) -> dict:
    bounds = {}
    if start is not None:
        bounds[f"{field}__gte"] = start
    if end is not None:
        bounds[f"{field}__lt"] = end
    return bounds


def export_data_load(*, job: ExportJob, now: dt.datetime | None = None) -> ExportData:
    """The live diary of the job's patient over its range; six queries whatever its size."""
    return diary_data_load(
        patient_id=job.patient_id, date_from=job.date_from, date_to=job.date_to, now=now
    )


def diary_data_load(
    *,
    patient_id,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ExportData:
    """One patient's live diary over patient-local days [from, to] (the clinic timeline too).

    The caller has checked that whoever sees the result may read this patient.
    """
    patient = Patient.objects.select_related("clinic").get(pk=patient_id)
    zone = ZoneInfo(patient.timezone)
    start, end = local_range(zone, date_from, date_to)
    entry_rows = (
        SymptomEntry.objects.live()
        .filter(patient=patient, **_in_range("recorded_at", start, end))
        .order_by("recorded_at", "pk")
        .values_list(
            "uuid",
            "recorded_at",
            "posture",
            "headache",
            "minutes_in_posture",
            "onset_minutes",
            "relief_minutes",
            "symptoms",
            "note",
            "triggers",
        )
    )
    entries = [
        EntryRow(
            str(uid), at, posture, headache, in_posture, onset, relief, tuple(sym), note,
            tuple(triggers),
        )
        for uid, at, posture, headache, in_posture, onset, relief, sym, note, triggers in (
            entry_rows.iterator(chunk_size=5000)
        )
    ]  # fmt: skip
    treatment_rows = (
        Treatment.objects.live()
        .filter(patient=patient, **_in_range("performed_at", start, end))
        .order_by("performed_at", "pk")
        .values_list(
            "pk", "uuid", "performed_at", "kind", "approach", "levels", "volume_ml", "note"
        )
    )
    treatments, uuid_by_pk = [], {}
    for pk, uid, at, kind, approach, levels, volume, note in treatment_rows:
        uuid_by_pk[pk] = str(uid)
        treatments.append(TreatmentRow(str(uid), at, kind, approach, tuple(levels), volume, note))
    flags = [
        FlagRow(
            id=str(flag.id),
            treatment_id=uuid_by_pk[flag.treatment_id],
            kind=flag.kind,
            status=flag.status,
            detected_at=flag.detected_at,
            proven_at=flag.proven_at,
            still_supported=flag.still_supported,
            resolved_at=flag.resolved_at,
            resolution_note=flag.resolution_note,
            evidence=flag.evidence,
        )
        for flag in Flag.objects.filter(
            patient=patient, treatment_id__in=list(uuid_by_pk)
        ).order_by("proven_at", "id")
    ]
    day_logs = [
        DayLogRow(
            id=str(log.uuid),
            date=log.date,
            upright_hours=log.upright_hours,
            longest_upright_minutes=log.longest_upright_minutes,
            bed_rest_hours=log.bed_rest_hours,
            fluids_l=log.fluids_l,
            caffeine_mg=log.caffeine_mg,
            binder=log.binder,
            medications=tuple(log.medications),
            note=log.note,
        )
        for log in DayLog.objects.live()
        .filter(patient=patient, **_day_range(date_from, date_to))
        .order_by("date")
    ]
    # The answers about the treatments shown, whenever they were given.
    impressions = [
        ImpressionRow(str(uid), uuid_by_pk[treatment_pk], at, checkpoint, score, note)
        for uid, treatment_pk, at, checkpoint, score, note in Impression.objects.live()
        .filter(patient=patient, treatment_id__in=list(uuid_by_pk))
        .order_by("answered_at", "pk")
        .values_list("uuid", "treatment_id", "answered_at", "checkpoint", "score", "note")
    ]
    return ExportData(
        patient_id=str(patient.pk),
        display_name=patient.display_name,
        timezone=patient.timezone,
        condition=patient.condition,
        clinic_name=patient.clinic.name,
        date_from=date_from,
        date_to=date_to,
        generated_at=now or timezone.now(),
        entries=entries,
        treatments=treatments,
        flags=flags,
        day_logs=day_logs,
        impressions=impressions,
    )


def _day_range(date_from: dt.date | None, date_to: dt.date | None) -> dict:
    bounds = {}
    if date_from is not None:
        bounds["date__gte"] = date_from
    if date_to is not None:
        bounds["date__lte"] = date_to
    return bounds


# --- build ------------------------------------------------------------------------


# A pending job older than this lost its message (the broker keeps nothing on disk).
STUCK_PENDING_AFTER = dt.timedelta(hours=1)


def stale_after() -> dt.timedelta:
    """A run older than the hard time limit is dead: Celery has killed it by then."""
    return dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def _claim(job_id, now: dt.datetime) -> bool:
    pending = ExportJob.objects.filter(pk=job_id, status=ExportStatus.PENDING)
    stale = ExportJob.objects.filter(
        pk=job_id, status=ExportStatus.RUNNING, started_at__lt=now - stale_after()
    )
    values = {"status": ExportStatus.RUNNING, "started_at": now, "progress": 0, "error": ""}
    return bool(pending.update(**values) or stale.update(**values))


class _ProgressWriter:
    """Turns a builder's fraction into the job's percent, one UPDATE per 5 points."""

    def __init__(self, job_id, low: int, high: int):
        self.job_id, self.low, self.high, self.written = job_id, low, high, low

    def __call__(self, fraction: float) -> None:
        percent = self.low + int((self.high - self.low) * max(0.0, min(1.0, fraction)))
        if percent >= self.written + 5:
            self.written = percent
            ExportJob.objects.filter(pk=self.job_id, status=ExportStatus.RUNNING).update(
                progress=percent
            )


def file_name_for(job: ExportJob) -> str:
    return f"{job.id}.{FORMATS[job.format].extension}"


def export_build(*, job_id, now: dt.datetime | None = None) -> ExportJob | None:
    """Build the job's file and store it; None if another run has it or it is finished.

    Not one transaction: progress must be visible while it runs. Build
    errors fail the job (a retry would fail the same way); database errors
    propagate so the task retries them.
    """
    now = now or timezone.now()
    if not _claim(job_id, now):
        return None
    job = ExportJob.objects.get(pk=job_id)
    spec = FORMATS[job.format]
    try:
        data = export_data_load(job=job, now=now)
        ExportJob.objects.filter(pk=job.pk).update(progress=10)
        # A temporary file, not memory: a long diary's PDF never sits in RAM twice.
        with tempfile.TemporaryFile() as scratch:
            spec.build(data, scratch, _ProgressWriter(job.pk, 10, 90))
            size = scratch.tell()
            scratch.seek(0)
            name = _store(scratch, file_name_for(job))
        finished = timezone.now()
        ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.DONE,
            progress=100,
            file_name=name,
            file_size=size,
            finished_at=finished,
            expires_at=finished + settings.EXPORT_TTL,
        )
    except DatabaseError:
        _release(job.pk, claimed_at=now)
        raise
    except SoftTimeLimitExceeded:
        return _fail(job, "The export took too long to build.")
    except Exception:
        logger.exception("Export %s failed", job.pk)
        return _fail(job, "The export could not be built.")
    job.refresh_from_db()
    return job


def _release(job_id, *, claimed_at: dt.datetime) -> None:
    """Hand a claimed job back, so the task's retry can claim it at once."""
    # If the database is what failed, this fails too: the claim goes stale and
    # is taken over after stale_after().
    with contextlib.suppress(DatabaseError):
        ExportJob.objects.filter(
            pk=job_id, status=ExportStatus.RUNNING, started_at=claimed_at
        ).update(status=ExportStatus.PENDING)


def _store(content: BinaryIO, name: str) -> str:
    storage = export_storage()
    # A run after a crash may find its predecessor's file: replace it, never pile up copies.
    storage.delete(name)
    return storage.save(name, File(content, name=name))


def _fail(job: ExportJob, message: str) -> ExportJob:
    ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.FAILED, error=message, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


# --- download -----------------------------------------------------------------------


@dataclass(frozen=True)
class Download:
    file: BinaryIO
    filename: str
    content_type: str
    size: int | None


def download_filename(job: ExportJob) -> str:
    period = "-".join(str(d) for d in (job.date_from, job.date_to) if d) or "all"
    return f"diary-{str(job.patient_id)[:8]}-{period}.{FORMATS[job.format].extension}"


def export_open_for_download(
    *, job: ExportJob, user: User, now: dt.datetime | None = None, audit: bool = True
) -> Download:
    """Open the file and record who downloaded it. The caller has scoped `job` to `user`.

    `audit=False` for a HEAD request: it reads the headers, never the file.
    """
    now = now or timezone.now()
    if job.expired_at is not None or (job.expires_at is not None and job.expires_at <= now):
        raise ExportExpired
    if not job.is_downloadable:
        raise ExportNotReady
    handle = export_storage().open(job.file_name, "rb")
    if audit:
        _audit(job=job, user=user, action=AuditAction.DOWNLOAD)
    spec = FORMATS[job.format]
    return Download(handle, download_filename(job), spec.content_type, job.file_size)


# --- expire -------------------------------------------------------------------------


def exports_expire(*, now: dt.datetime | None = None) -> int:
    """Delete the files whose time is up, and fail jobs that never finished.

    Safe to run twice or concurrently: deleting a missing file is a no-op and
    each row is cleared by a conditional UPDATE.
    """
    now = now or timezone.now()
    storage = export_storage()
    expired = 0
    due = ExportJob.objects.filter(expires_at__lte=now, expired_at__isnull=True).values_list(
        "pk", "file_name"
    )
    for pk, name in due.iterator(chunk_size=500):
        if name:
            storage.delete(name)
        expired += ExportJob.objects.filter(pk=pk, expired_at__isnull=True).update(
            file_name="", expired_at=now
        )
    # A job whose message was lost, or whose worker died and was not retried,
    # never finishes: say so within the hour, and remove any half-stored file.
    stuck = ExportJob.objects.filter(
        Q(status=ExportStatus.PENDING, created_at__lte=now - STUCK_PENDING_AFTER)
        | Q(status=ExportStatus.RUNNING, started_at__lte=now - stale_after())
    )
    for job in stuck.only("pk", "format"):
        failed = ExportJob.objects.filter(
            pk=job.pk, status__in=[ExportStatus.PENDING, ExportStatus.RUNNING]
        ).update(
            status=ExportStatus.FAILED,
            error="The export did not finish; please request it again.",
            finished_at=now,
        )
        if failed:
            storage.delete(file_name_for(job))
    return expired
