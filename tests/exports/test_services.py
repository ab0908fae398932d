"""Request, build, download and expire, at the service level."""

import datetime as dt
import io

import pytest
import time_machine
from django.db import DatabaseError
from django.utils import timezone

from audit.models import AuditEvent
from diary.models import SymptomEntry
from exports import services
from exports.models import ExportJob, ExportStatus
from exports.services import (
    ExportExpired,
    ExportNotReady,
    export_build,
    export_open_for_download,
    export_request,
    export_storage,
    exports_expire,
)
from tests.factories import EntryFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def request(cast, fmt="csv", **range_) -> ExportJob:
    return export_request(
        patient=cast.patient_a, requested_by=cast.coordinator, export_format=fmt, **range_
    )


def test_a_request_is_audited_and_queued_only_after_commit(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = request(cast, date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 2, 28))

    assert job.status == ExportStatus.PENDING
    assert len(callbacks) == 1  # the build is queued once the job row is visible
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id, event.actor_username, event.actor_role) == (
        "export",
        cast.coordinator.pk,
        "coord",
        "coordinator",
    )
    assert (event.patient_id, event.record_type, event.record_id) == (
        cast.patient_a.pk,
        "export",
        str(job.pk),
    )
    assert event.detail == {"format": "csv", "from": "2026-01-01", "to": "2026-02-28"}


def test_building_twice_builds_once(cast):
    EntryFactory(patient=cast.patient_a)
    job = request(cast)

    first = export_build(job_id=job.pk)
    second = export_build(job_id=job.pk)

    assert first.status == ExportStatus.DONE and first.progress == 100
    assert second is None
    assert export_storage().listdir("")[1] == [f"{job.pk}.csv"]
    assert first.file_size == export_storage().size(first.file_name)


@time_machine.travel(NOW, tick=False)
def test_a_done_file_expires_after_the_configured_time(cast, settings):
    settings.EXPORT_TTL = dt.timedelta(days=3)
    job = export_build(job_id=request(cast).pk)
    assert job.expires_at == NOW + dt.timedelta(days=3)


def test_a_running_job_is_left_alone_until_it_is_stale(cast, settings):
    settings.CELERY_TASK_TIME_LIMIT = 300
    job = request(cast)
    started = timezone.now() - dt.timedelta(seconds=200)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, started_at=started)

    assert export_build(job_id=job.pk) is None  # another worker is on it

    ExportJob.objects.filter(pk=job.pk).update(started_at=started - dt.timedelta(minutes=10))
    rebuilt = export_build(job_id=job.pk)  # that worker died: its job is taken over
    assert rebuilt.status == ExportStatus.DONE


def test_progress_is_visible_while_the_file_is_built(cast, monkeypatch):
    job = request(cast, fmt="pdf")
    seen = []

    def slow_builder(data, out, on_progress):
        for fraction in (0.25, 0.5, 0.75):
            on_progress(fraction)
            seen.append(ExportJob.objects.get(pk=job.pk).progress)
        out.write(b"%PDF-1.4 stub")

    spec = services.FORMATS["pdf"]
    monkeypatch.setitem(
        services.FORMATS,
        "pdf",
        services.FormatSpec(slow_builder, spec.extension, spec.content_type),
    )
    export_build(job_id=job.pk)

    assert seen == [30, 50, 70]


def test_a_builder_error_fails_the_job_with_a_message_and_no_file(cast, monkeypatch):
    job = request(cast, fmt="fhir")

    def broken(data, out, on_progress):
        raise ValueError("boom")

    spec = services.FORMATS["fhir"]
    monkeypatch.setitem(
        services.FORMATS, "fhir", services.FormatSpec(broken, spec.extension, spec.content_type)
    )
    failed = export_build(job_id=job.pk)

    assert (failed.status, failed.error) == ("failed", "The export could not be built.")
    assert export_storage().listdir("")[1] == []
    with pytest.raises(ExportNotReady):
        export_open_for_download(job=failed, user=cast.coordinator)


def test_download_is_audited_and_refused_once_expired(cast):
    job = export_build(job_id=request(cast).pk)

    download = export_open_for_download(job=job, user=cast.clinician_on)
    download.file.close()
    assert AuditEvent.objects.filter(action="download", actor_id=cast.clinician_on.pk).count() == 1

    with time_machine.travel(job.expires_at + dt.timedelta(seconds=1)):
        assert exports_expire() == 1
        assert exports_expire() == 0  # the periodic task may run twice: nothing more happens
        job.refresh_from_db()
        with pytest.raises(ExportExpired):
            export_open_for_download(job=job, user=cast.coordinator)
    assert job.file_name == "" and job.expired_at is not None
    assert export_storage().listdir("")[1] == []
    assert AuditEvent.objects.filter(action="download").count() == 1


def test_files_not_yet_due_are_kept(cast):
    job = export_build(job_id=request(cast).pk)
    with time_machine.travel(job.expires_at - dt.timedelta(minutes=1)):
        assert exports_expire() == 0
    assert export_storage().exists(job.file_name)


def test_a_job_whose_message_was_lost_is_failed_within_the_hour(cast):
    job = request(cast)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=50)):
        exports_expire()
        assert ExportJob.objects.get(pk=job.pk).status == ExportStatus.PENDING
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=61)):
        exports_expire()
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and "request it again" in job.error


def test_a_dead_run_is_failed_and_its_half_stored_file_removed(cast, settings):
    settings.CELERY_TASK_TIME_LIMIT = 300
    job = request(cast)
    leftover = export_storage().save(services.file_name_for(job), io.BytesIO(b"half"))
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING, started_at=timezone.now() - dt.timedelta(minutes=7)
    )

    exports_expire()

    assert ExportJob.objects.get(pk=job.pk).status == ExportStatus.FAILED
    assert not export_storage().exists(leftover)


def test_a_database_error_hands_the_job_back_for_the_retry(cast, monkeypatch):
    job = request(cast)
    real_store = services._store

    def lose_the_database(content, name):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(services, "_store", lose_the_database)
    with pytest.raises(DatabaseError):
        export_build(job_id=job.pk)
    assert ExportJob.objects.get(pk=job.pk).status == ExportStatus.PENDING

    monkeypatch.setattr(services, "_store", real_store)
    assert export_build(job_id=job.pk).status == ExportStatus.DONE


def test_range_is_patient_local_days_both_included(cast):
    zone = "Europe/Zurich"  # UTC+1 in January
    inside_first = dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC)  # 1 Jan 00:30 local
    inside_last = dt.datetime(2026, 1, 31, 22, 59, tzinfo=dt.UTC)  # 31 Jan 23:59 local
    before = dt.datetime(2025, 12, 31, 22, 59, tzinfo=dt.UTC)  # 31 Dec 23:59 local
    after = dt.datetime(2026, 1, 31, 23, 0, tzinfo=dt.UTC)  # 1 Feb 00:00 local
    assert cast.patient_a.timezone == zone
    for moment in (before, inside_first, inside_last, after):
        EntryFactory(patient=cast.patient_a, recorded_at=moment)
    deleted = EntryFactory(patient=cast.patient_a, recorded_at=inside_first)
    SymptomEntry.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())

    job = request(cast, date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 1, 31))
    data = services.export_data_load(job=job)

    assert [e.recorded_at for e in data.entries] == [inside_first, inside_last]


def test_loading_a_year_takes_a_fixed_number_of_queries(year, django_assert_num_queries):
    job = ExportJob(patient=year.patient, format="csv")
    with django_assert_num_queries(6):
        data = services.export_data_load(job=job)
    assert len(data.entries) == year.entries and len(data.flags) == year.flags


def test_the_build_task_is_safe_to_deliver_twice(cast):
    from exports.tasks import build_export

    job = request(cast)
    assert build_export.apply(args=[str(job.pk)]).get() == "done"
    assert build_export.apply(args=[str(job.pk)]).get() is None


def test_beat_runs_the_expiry_task(settings):
    from config.celery import app
    from exports.tasks import expire_exports

    entry = settings.CELERY_BEAT_SCHEDULE["expire-exports"]
    assert entry["task"] == expire_exports.name and entry["task"] in app.tasks
    assert expire_exports.apply().get() == 0
