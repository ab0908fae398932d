"""The bulk writers of the sync and audit paths store exactly what they are given.

They run on whichever database the tests use: COPY and unnest on PostgreSQL,
bulk_create on SQLite.
"""

import datetime as dt
import uuid

import pytest
import time_machine

from audit.models import AuditEvent
from config.bulk_insert import insert_fanned_out, insert_rows

pytestmark = pytest.mark.django_db

# Text that an array literal or COPY's text format must escape or quote.
AWKWARD = ["a,b", 'q"uote', "back\\slash", "{br}", " spaced ", "NULL", "", "é€\ttab\nline"]


def test_fanned_out_rows_keep_each_value_exactly_and_share_the_rest():
    patient_id = uuid.uuid4()
    shared = {
        "action": "create",
        "record_type": "entry",
        "patient_id": patient_id,
        "outcome": "success",
        "detail": {"note": 'with "quotes"'},
        "ip": None,
    }

    insert_fanned_out(AuditEvent, shared, "record_id", AWKWARD)

    events = AuditEvent.objects.filter(patient_id=patient_id)
    assert sorted(e.record_id for e in events) == sorted(AWKWARD)
    assert {(e.action, e.record_type, e.outcome, e.ip) for e in events} == {
        ("create", "entry", "success", None)
    }
    assert all(e.detail == {"note": 'with "quotes"'} for e in events)


def test_fanned_out_values_that_are_not_text_are_stored_too():
    patient_id = uuid.uuid4()
    shared = {"action": "read", "patient_id": patient_id, "outcome": "success"}

    insert_fanned_out(AuditEvent, shared, "status_code", [200, 404])

    stored = AuditEvent.objects.filter(patient_id=patient_id).values_list("status_code", flat=True)
    assert sorted(stored) == [200, 404]


def test_rows_take_their_own_values_and_the_fields_defaults_for_the_rest():
    patient_id = uuid.uuid4()
    moment = dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC)
    rows = [
        {"action": "create", "record_id": text, "patient_id": patient_id, "outcome": "success"}
        for text in AWKWARD
    ]
    rows[0] |= {"occurred_at": moment, "detail": {"k": ["v", None]}, "ip": "10.0.0.1"}

    insert_rows(AuditEvent, rows)

    events = {e.record_id: e for e in AuditEvent.objects.filter(patient_id=patient_id)}
    assert sorted(events) == sorted(AWKWARD)
    first = events[AWKWARD[0]]
    assert (first.occurred_at, first.detail, first.ip) == (moment, {"k": ["v", None]}, "10.0.0.1")
    other = events[AWKWARD[1]]
    assert (other.detail, other.ip, other.actor_role) == ({}, None, "")
    assert other.occurred_at > moment  # the field's default: now


@time_machine.travel(dt.datetime(2026, 3, 2, 7, 0, 0, 250, tzinfo=dt.UTC), tick=False)
def test_diary_rows_keep_their_moments_ids_and_shared_values():
    from zoneinfo import ZoneInfo

    from diary.models import SymptomEntry
    from tests.factories import PatientFactory

    patient = PatientFactory()
    zurich = ZoneInfo("Europe/Zurich")
    now = dt.datetime(2026, 3, 2, 7, 0, 0, 250, tzinfo=dt.UTC)
    rows = [
        {
            "uuid": uuid.uuid4(),
            "patient_id": patient.pk,  # one object for every row, as a sync batch has
            "recorded_at": dt.datetime(2026, 3, 1, 8, minute, 5, 123456, tzinfo=zurich),
            "posture": "lying",
            "headache": minute % 11,
            "deleted_at": None,
            "symptoms": ["nausea"],
        }
        for minute in range(3)
    ]

    insert_rows(SymptomEntry, rows)

    stored = {e.uuid: e for e in SymptomEntry.objects.filter(patient=patient)}
    assert set(stored) == {row["uuid"] for row in rows}
    for row in rows:
        entry = stored[row["uuid"]]
        assert entry.recorded_at == row["recorded_at"]  # the same instant, to the microsecond
        assert (entry.created_at, entry.updated_at) == (now, now)  # one shared object
        assert (entry.deleted_at, entry.headache, entry.symptoms) == (
            None,
            row["headache"],
            ["nausea"],
        )
