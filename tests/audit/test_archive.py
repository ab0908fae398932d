"""Archiving old months of the trail: detach, a file that reads back, drop only when verified."""

import datetime as dt
import gzip
import hashlib
import io
import json
import stat
import uuid

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit.archive import archive_paths, archive_rows
from audit.models import AuditEvent
from audit.partitions import TABLE, months_ensure, partitions_list
from audit.services import AuditScope, PendingEvent, audit_write

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("postgres_only")]

JANUARY, FEBRUARY, MARCH = dt.date(2020, 1, 1), dt.date(2020, 2, 1), dt.date(2020, 3, 1)
PATIENT = uuid.uuid4()


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def mid_april_2020():
    with time_machine.travel(dt.datetime(2020, 4, 15, 9, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def trail():
    """Events in January, February and March 2020, awkward values included."""
    months_ensure([JANUARY, FEBRUARY, MARCH])
    scope = AuditScope(ip="198.51.100.7", user_agent='Diary "beta", v2\nline two', request="GET /x")
    scope.events = [
        PendingEvent(
            action="read",
            record_type="entry",
            record_id="e1",
            patient_id=str(PATIENT),
            actor_id=7,
            actor_username="dr_on",
            actor_role="clinician",
            occurred_at=at(2020, 1, 5, 10, 0, 0, 123456),
            detail={"format": "csv", "from": "2020-01-01", "note": 'a "quoted", thing'},
        ),
        # No actor, no patient, an empty record id: NULLs and empty strings apart.
        PendingEvent(
            action="login_failed", actor_username="mallory", occurred_at=at(2020, 1, 31, 23, 59)
        ),
        PendingEvent(
            action="create",
            record_type="entry",
            patient_id=str(PATIENT),
            record_ids=("b1", "b2"),
            occurred_at=at(2020, 2, 10, 8),
        ),
        PendingEvent(action="read", patient_id=str(PATIENT), occurred_at=at(2020, 3, 2)),
    ]
    audit_write(scope, default_outcome="success", status_code=200)
    audit_write(
        AuditScope(events=[PendingEvent(action="login", occurred_at=at(2020, 1, 20))]),
        default_outcome="failure",
    )  # no ip, no status code
    return {
        month: list(
            AuditEvent.objects.filter(
                occurred_at__year=2020, occurred_at__month=month.month
            ).order_by("occurred_at", "id")
        )
        for month in (JANUARY, FEBRUARY, MARCH)
    }


def archive(directory, *args) -> str:
    out = io.StringIO()
    call_command("audit_archive", "--before", "2020-03", "--to", str(directory), *args, stdout=out)
    return out.getvalue()


def tables() -> dict[str, bool]:
    return {p.name: p.attached for p in partitions_list() if p.month and p.month.year == 2020}


def as_text(event: AuditEvent) -> dict:
    """An event as its archive row should read back."""
    return {
        "id": str(event.pk),
        "occurred_at": event.occurred_at,
        "actor_id": None if event.actor_id is None else str(event.actor_id),
        "actor_username": event.actor_username,
        "actor_role": event.actor_role,
        "action": event.action,
        "record_type": event.record_type,
        "record_id": event.record_id,
        "patient_id": None if event.patient_id is None else str(event.patient_id),
        "ip": event.ip,
        "user_agent": event.user_agent,
        "request": event.request,
        "status_code": None if event.status_code is None else str(event.status_code),
        "outcome": event.outcome,
        "detail": event.detail,
    }


def read_back(row: dict) -> dict:
    return row | {
        "occurred_at": dt.datetime.fromisoformat(row["occurred_at"]),
        "detail": json.loads(row["detail"]),
    }


def test_archiving_takes_the_months_before_the_cutoff_out_into_files_that_read_back(
    trail, tmp_path
):
    out = archive(tmp_path)

    assert list(AuditEvent.objects.filter(occurred_at__year=2020)) == trail[MARCH]
    assert tables() == {
        "audit_auditevent_y2020m01": False,
        "audit_auditevent_y2020m02": False,
        "audit_auditevent_y2020m03": True,
    }
    assert "2 months archived before 2020-03" in out
    for month in (JANUARY, FEBRUARY):
        data, manifest_path, checksum = archive_paths(tmp_path, month)
        for path in (data, manifest_path, checksum):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        digest = hashlib.sha256(data.read_bytes()).hexdigest()
        assert checksum.read_text() == f"{digest}  {data.name}\n"  # as sha256sum -c reads it
        manifest = json.loads(manifest_path.read_text())
        events = trail[month]
        assert (manifest["month"], manifest["rows"], manifest["sha256"]) == (
            f"{month:%Y-%m}",
            len(events),
            digest,
        )
        assert (manifest["first_id"], manifest["last_id"]) == (
            min(e.pk for e in events),
            max(e.pk for e in events),
        )
        assert [read_back(row) for row in archive_rows(manifest_path)] == [
            as_text(e) for e in events
        ]
    assert len(trail[JANUARY]) == 3 and len(trail[FEBRUARY]) == 2


def test_a_detached_month_still_refuses_changes_until_it_is_dropped(trail, tmp_path):
    archive(tmp_path)

    for sql in (
        "UPDATE audit_auditevent_y2020m01 SET outcome = 'failure'",
        "DELETE FROM audit_auditevent_y2020m01",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)


def test_a_month_is_dropped_only_when_asked_and_after_its_file_was_verified_again(trail, tmp_path):
    archive(tmp_path)
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert set(tables()) == {f"{TABLE}_y2020m0{m}" for m in (1, 2, 3)}

    out = archive(tmp_path, "--drop")

    assert out.count("kept (already verified)\ttable dropped") == 2
    assert tables() == {"audit_auditevent_y2020m03": True}
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files
    assert "0 months archived" in archive(tmp_path, "--drop")  # nothing left to do


def _rewrite(data, change) -> None:
    with gzip.open(data, "rt", encoding="utf-8", newline="") as file:
        text = file.read()
    data.write_bytes(gzip.compress(change(text).encode()))


@pytest.mark.parametrize("manifest_too", [False, True], ids=["file", "file-and-checksum"])
def test_a_file_that_no_longer_holds_the_month_keeps_the_table(trail, tmp_path, manifest_too):
    archive(tmp_path)
    data, manifest_path, _ = archive_paths(tmp_path, JANUARY)
    _rewrite(data, lambda text: text.replace("dr_on", "dr_xx"))
    if manifest_too:  # a consistent forgery: only the comparison with the table sees it
        manifest = json.loads(manifest_path.read_text())
        manifest["sha256"] = hashlib.sha256(data.read_bytes()).hexdigest()
        manifest_path.write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="table audit_auditevent_y2020m01 is kept"):
        archive(tmp_path, "--drop")

    assert "audit_auditevent_y2020m01" in tables()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_auditevent_y2020m01")
        assert cursor.fetchone()[0] == 3


def test_the_current_month_is_never_archived(trail, tmp_path):
    with pytest.raises(CommandError, match="current month"):
        call_command("audit_archive", "--before", "2020-05", "--to", str(tmp_path))
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("audit_archive", "--before", "March", "--to", str(tmp_path))

    call_command(
        "audit_archive", "--before", "2020-04", "--to", str(tmp_path), stdout=io.StringIO()
    )
    assert tables()["audit_auditevent_y2020m03"] is False


def test_earlier_events_waiting_in_the_default_partition_are_archived_with_their_month(
    trail, tmp_path
):
    audit_write(
        AuditScope(events=[PendingEvent(action="login", occurred_at=at(2019, 12, 24, 18))]),
        default_outcome="success",
    )  # no December partition: it waits in the default one

    archive(tmp_path, "--drop")

    manifest = archive_paths(tmp_path, dt.date(2019, 12, 1))[1]
    assert [row["occurred_at"] for row in archive_rows(manifest)] == ["2019-12-24 18:00:00+00"]
    assert not AuditEvent.objects.filter(occurred_at__year=2019).exists()


def test_a_restored_month_is_back_in_the_trail_as_it_was(trail, tmp_path):
    archive(tmp_path, "--drop")
    manifest = archive_paths(tmp_path, JANUARY)[1]
    out = io.StringIO()

    call_command("audit_restore", str(manifest), stdout=out)

    assert out.getvalue() == "3 events back in the trail (audit_auditevent_y2020m01)\n"
    restored = list(AuditEvent.objects.filter(occurred_at__month=1).order_by("occurred_at", "id"))
    assert [as_text(e) for e in restored] == [as_text(e) for e in trail[JANUARY]]
    assert tables()["audit_auditevent_y2020m01"] is True
    report = io.StringIO()
    call_command("audit_report", "--patient", str(PATIENT), stdout=report)
    assert report.getvalue().splitlines()[-1] == f"2 events for patient {PATIENT}"  # Jan + Mar
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent_y2020m01")
    # Archived again, the month gives the very same bytes.
    again = tmp_path / "again"
    call_command(
        "audit_archive", "--before", "2020-02", "--to", str(again), "--drop", stdout=io.StringIO()
    )
    assert (again / "audit_auditevent_y2020m01.csv.gz").read_bytes() == (
        tmp_path / "audit_auditevent_y2020m01.csv.gz"
    ).read_bytes()


def test_restore_checks_the_file_first_and_refuses_a_month_still_in_the_database(trail, tmp_path):
    archive(tmp_path)
    manifest = archive_paths(tmp_path, JANUARY)[1]
    out = io.StringIO()

    call_command("audit_restore", str(manifest), "--check", stdout=out)
    assert out.getvalue() == "audit_auditevent_y2020m01.csv.gz: 3 events, checksum ok\n"
    with pytest.raises(CommandError, match="already in the database"):
        call_command("audit_restore", str(manifest))

    _rewrite(archive_paths(tmp_path, JANUARY)[0], lambda text: text)  # other gzip bytes
    with pytest.raises(CommandError, match="SHA-256"):
        call_command("audit_restore", str(manifest), "--check")
