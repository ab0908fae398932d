"""The trail's monthly partitions on PostgreSQL: routing, the daily job, append-only, reads."""

import datetime as dt
import io
import threading
import uuid

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from audit.partitions import (
    DEFAULT_PARTITION,
    TABLE,
    months_ensure,
    partitions_ensure,
    partitions_list,
)
from audit.services import AuditScope, PendingEvent, audit_record, audit_write
from audit.tasks import ensure_audit_partitions

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("postgres_only")]

UTC = dt.UTC


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def write(moment: dt.datetime, **fields) -> AuditEvent:
    """One event through the trail's own write path, at `moment`."""
    event = PendingEvent(action=fields.pop("action", "read"), occurred_at=moment, **fields)
    audit_write(AuditScope(ip="192.0.2.1", events=[event]), default_outcome="success")
    return AuditEvent.objects.filter(occurred_at=moment).latest("id")


def where(event: AuditEvent) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {TABLE} WHERE id = %s", [event.pk])  # noqa: S608
        return cursor.fetchone()[0]


def attached() -> set[str]:
    return {p.name for p in partitions_list() if p.attached}


@pytest.mark.parametrize(
    ("moment", "partition"),
    [
        (at(2031, 5, 1), "audit_auditevent_y2031m05"),
        (at(2031, 5, 31, 23, 59, 59, 999999), "audit_auditevent_y2031m05"),
        (at(2031, 6, 1), "audit_auditevent_y2031m06"),
        # 01:30 in Zurich on 1 June is still May in UTC: months are UTC months.
        (
            dt.datetime(2031, 6, 1, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "audit_auditevent_y2031m05",
        ),
    ],
)
def test_an_event_lands_in_the_partition_of_its_utc_month(moment, partition):
    months_ensure([dt.date(2031, 5, 1), dt.date(2031, 6, 1)])

    assert where(write(moment)) == partition


@time_machine.travel(at(2031, 11, 20, 8), tick=False)
def test_an_event_written_now_lands_in_this_months_partition_once_the_job_has_run():
    ensure_audit_partitions.apply().get()

    audit_record(action="login", actor_username="alice")

    assert where(AuditEvent.objects.get()) == "audit_auditevent_y2031m11"


@time_machine.travel(at(2031, 11, 20, 8), tick=False)
def test_the_daily_job_makes_this_month_and_the_next_ones_and_can_run_twice():
    expected = [
        "audit_auditevent_y2031m11",
        "audit_auditevent_y2031m12",
        "audit_auditevent_y2032m01",
        "audit_auditevent_y2032m02",
    ]
    assert settings.AUDIT_PARTITIONS_AHEAD == 3

    assert ensure_audit_partitions.apply().get() == expected
    assert set(expected) <= attached()
    assert ensure_audit_partitions.apply().get() == []
    assert set(expected) <= attached()


def test_beat_runs_the_partition_job_daily():
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["ensure-audit-partitions"]
    assert entry["task"] == ensure_audit_partitions.name and entry["task"] in app.tasks
    assert entry["schedule"] == 86400


@pytest.mark.django_db(transaction=True)
def test_two_jobs_at_once_make_each_month_once():
    barrier, results, errors = threading.Barrier(2), [], []

    def job():
        try:
            barrier.wait(timeout=10)
            results.append(partitions_ensure(now=at(2035, 1, 10), ahead=2))
        except Exception as exc:  # the assertion below shows it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=job) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        assert sorted(results, key=len) == [
            [],
            ["audit_auditevent_y2035m01", "audit_auditevent_y2035m02", "audit_auditevent_y2035m03"],
        ]
    finally:  # committed DDL outlives the test's flush
        with connection.cursor() as cursor:
            for month in ("01", "02", "03"):
                cursor.execute(f"DROP TABLE IF EXISTS audit_auditevent_y2035m{month}")


def test_an_event_of_a_month_without_partition_waits_in_the_default_and_moves_in_later():
    early = write(at(2033, 3, 10, 12), action="login", actor_username="alice", detail={"k": 1})
    stray = write(at(2033, 7, 1, 0, 30))
    assert where(early) == where(stray) == DEFAULT_PARTITION
    assert AuditEvent.objects.filter(pk=early.pk).exists()  # the trail reads the default too

    assert months_ensure([dt.date(2033, 3, 1)]) == ["audit_auditevent_y2033m03"]

    assert where(AuditEvent.objects.get(pk=early.pk)) == "audit_auditevent_y2033m03"
    moved = AuditEvent.objects.get(pk=early.pk)
    assert [getattr(moved, f.attname) for f in AuditEvent._meta.concrete_fields] == [
        getattr(early, f.attname) for f in AuditEvent._meta.concrete_fields
    ]
    assert where(stray) == DEFAULT_PARTITION  # its month was not asked for
    # The default partition is a partition again, and still refuses changes.
    assert DEFAULT_PARTITION in attached()
    _assert_refused(DEFAULT_PARTITION)


def test_the_operator_command_makes_a_named_month_and_warns_about_waiting_events():
    write(at(2034, 2, 3))
    write(at(2034, 9, 3))
    out = io.StringIO()

    call_command("audit_partitions", "--month", "2034-02", stdout=out)

    text = out.getvalue()
    assert "made audit_auditevent_y2034m02" in text
    assert "audit_auditevent_y2034m02\tin the trail" in text
    assert "Events of 2034-09 wait in the default partition" in text
    assert "2034-02 wait" not in text


def _assert_refused(table: str) -> None:
    refused = (f"UPDATE {table} SET outcome = 'failure'", f"DELETE FROM {table}")  # noqa: S608
    for sql in refused:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)


def test_postgresql_refuses_to_change_or_delete_an_event_through_the_trail_or_a_partition():
    months_ensure([dt.date(2031, 5, 1)])
    write(at(2031, 5, 2))
    write(at(2040, 1, 1))  # in the default partition

    for table in (TABLE, "audit_auditevent_y2031m05", DEFAULT_PARTITION):
        _assert_refused(table)
    assert AuditEvent.objects.filter(outcome="success").count() == 2


def test_the_admin_and_the_report_read_a_patients_events_across_partitions(admin_client):
    months_ensure([dt.date(2031, 1, 1), dt.date(2031, 2, 1)])
    patient = uuid.uuid4()
    moments = [at(2031, 1, 5), at(2031, 2, 5), at(2041, 3, 5)]  # the last in the default
    events = [
        write(moment, record_type="entry", record_id=f"r{i}", patient_id=str(patient))
        for i, moment in enumerate(moments)
    ]
    write(at(2031, 1, 6), record_type="entry", record_id="other", patient_id=str(uuid.uuid4()))
    assert len({where(event) for event in events}) == 3

    out = io.StringIO()
    call_command("audit_report", "--patient", str(patient), stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split("\t")[4] for line in lines[1:-1]] == ["entry:r0", "entry:r1", "entry:r2"]
    assert lines[-1] == f"3 events for patient {patient}"

    page = admin_client.get("/admin/audit/auditevent/", {"patient_id": str(patient)})
    assert page.status_code == 200
    shown = page.content.decode()
    assert all(f"r{i}" in shown for i in range(3)) and "other" not in shown
    detail = admin_client.get(f"/admin/audit/auditevent/{events[0].pk}/change/")
    assert detail.status_code == 200 and "r0" in detail.content.decode()
