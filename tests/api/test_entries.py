import datetime as dt
import uuid

import pytest
import time_machine

from diary.models import SymptomEntry
from tests.factories import EntryFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def entry_body(**overrides):
    body = {"recorded_at": "2026-03-10T08:30:00+01:00", "posture": "standing", "headache": 7}
    return {**body, **overrides}


@pytest.fixture
def alice(cast, api):
    return api(cast.patient_a.user)


@time_machine.travel(NOW, tick=False)
def test_created_entry_is_answered_in_utc_and_keeps_the_phones_offset(cast, alice):
    response = alice.post("/api/v1/entries/", entry_body(), format="json")

    assert response.status_code == 201
    assert response.json()["recorded_at"] == "2026-03-10T07:30:00Z"
    stored = SymptomEntry.objects.get(uuid=response.json()["id"])
    assert stored.recorded_offset_minutes == 60
    assert stored.patient == cast.patient_a


@time_machine.travel(NOW, tick=False)
def test_retried_create_is_not_duplicated(alice):
    entry_id = str(uuid.uuid4())
    first = alice.post("/api/v1/entries/", entry_body(id=entry_id), format="json")
    retry = alice.post("/api/v1/entries/", entry_body(id=entry_id, headache=2), format="json")

    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()  # the stored entry, unchanged by the retry
    assert SymptomEntry.objects.filter(uuid=entry_id).count() == 1


@time_machine.travel(NOW, tick=False)
def test_an_id_is_one_record_across_diaries(cast, api):
    entry_id = str(uuid.uuid4())
    body = entry_body(id=entry_id)
    assert api(cast.patient_a.user).post("/api/v1/entries/", body, format="json").status_code == 201

    other = api(cast.patient_b.user).post("/api/v1/entries/", body, format="json")

    assert other.status_code == 409
    assert other.json()["error"]["code"] == "id_taken"
    assert SymptomEntry.objects.get(uuid=entry_id).patient == cast.patient_a


@time_machine.travel(NOW, tick=False)
def test_create_retried_after_delete_does_not_resurrect_it(alice):
    entry_id = str(uuid.uuid4())
    alice.post("/api/v1/entries/", entry_body(id=entry_id), format="json")
    assert alice.delete(f"/api/v1/entries/{entry_id}/").status_code == 204

    retry = alice.post("/api/v1/entries/", entry_body(id=entry_id), format="json")

    assert retry.status_code == 409
    assert retry.json()["error"]["code"] == "deleted"
    assert alice.get(f"/api/v1/entries/{entry_id}/").status_code == 404


@time_machine.travel(NOW, tick=False)
def test_server_owned_fields_in_the_body_are_ignored(cast, alice):
    body = entry_body(patient=str(cast.patient_b.pk), created_at="2020-01-01T00:00:00Z")
    response = alice.post("/api/v1/entries/", body, format="json")

    assert response.json()["patient"] == str(cast.patient_a.pk)
    assert response.json()["created_at"].startswith("2026-03-10")


INVALID = [
    ("headache above 10", {"headache": 11}, "headache"),
    ("negative headache", {"headache": -1}, "headache"),
    ("headache not a number", {"headache": "bad"}, "headache"),
    ("unknown posture", {"posture": "walking"}, "posture"),
    ("time without offset", {"recorded_at": "2026-03-10T08:30:00"}, "recorded_at"),
    ("time not a date", {"recorded_at": "yesterday"}, "recorded_at"),
    ("time 11 minutes ahead", {"recorded_at": "2026-03-10T12:11:00Z"}, "recorded_at"),
    ("negative minutes in posture", {"minutes_in_posture": -5}, "minutes_in_posture"),
    ("onset while lying", {"posture": "lying", "onset_minutes": 5}, "onset_minutes"),
    ("relief while standing", {"relief_minutes": 5}, "relief_minutes"),
    ("negative onset", {"onset_minutes": -1}, "onset_minutes"),
    ("unknown symptom", {"symptoms": ["nausea", "hiccups"]}, "symptoms"),
    ("symptoms not a list", {"symptoms": "nausea"}, "symptoms"),
    ("note too long", {"note": "x" * 2001}, "note"),
    ("id not a uuid", {"id": "42"}, "id"),
    ("missing headache", {"headache": None}, "headache"),
]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("case", "change", "field"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_entry_is_refused_with_the_field_named(alice, case, change, field):
    body = {k: v for k, v in entry_body(**change).items() if v is not None}
    response = alice.post("/api/v1/entries/", body, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"], error
    assert SymptomEntry.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_time_within_ten_minutes_ahead_is_accepted(alice):
    body = entry_body(recorded_at="2026-03-10T12:09:00Z")
    assert alice.post("/api/v1/entries/", body, format="json").status_code == 201


@time_machine.travel(NOW, tick=False)
def test_valid_optional_fields_are_stored(alice):
    body = entry_body(
        minutes_in_posture=30,
        onset_minutes=10,
        symptoms=["tinnitus", "nausea", "nausea"],
        note="after the school run",
    )
    data = alice.post("/api/v1/entries/", body, format="json").json()

    assert data["onset_minutes"] == 10
    assert data["symptoms"] == ["nausea", "tinnitus"]  # de-duplicated, in the contract's order
    assert data["note"] == "after the school run"


@time_machine.travel(NOW, tick=False)
def test_list_is_newest_first_and_filters_by_time(cast, alice):
    for day in (1, 5, 9):
        EntryFactory(
            patient=cast.patient_a, recorded_at=dt.datetime(2026, 3, day, 9, tzinfo=dt.UTC)
        )

    everything = alice.get("/api/v1/entries/").json()
    window = alice.get(
        "/api/v1/entries/", {"from": "2026-03-02T00:00:00+00:00", "to": "2026-03-09T09:00:00Z"}
    ).json()

    assert [e["recorded_at"][:10] for e in everything["results"]] == [
        "2026-03-09",
        "2026-03-05",
        "2026-03-01",
    ]
    assert [e["recorded_at"][:10] for e in window["results"]] == ["2026-03-09", "2026-03-05"]


def test_bad_filter_value_is_a_400(alice):
    response = alice.get("/api/v1/entries/", {"from": "not-a-date"})
    assert response.status_code == 400
    assert "from" in response.json()["error"]["fields"]


def test_list_is_paginated(cast, alice):
    EntryFactory.create_batch(3, patient=cast.patient_a)
    page = alice.get("/api/v1/entries/", {"page_size": 2}).json()

    assert page["count"] == 3 and len(page["results"]) == 2
    assert page["next"] and page["previous"] is None
    assert len(alice.get(page["next"]).json()["results"]) == 1


@time_machine.travel(NOW, tick=False)
def test_partial_update_changes_only_given_fields(cast, alice):
    entry = EntryFactory(patient=cast.patient_a, headache=5, note="before")
    response = alice.patch(f"/api/v1/entries/{entry.uuid}/", {"headache": 8}, format="json")

    assert response.status_code == 200
    entry.refresh_from_db()
    assert (entry.headache, entry.note) == (8, "before")


def test_partial_update_checks_posture_rules_against_the_stored_entry(cast, alice):
    entry = EntryFactory(patient=cast.patient_a, posture="standing", onset_minutes=5)
    response = alice.patch(f"/api/v1/entries/{entry.uuid}/", {"posture": "lying"}, format="json")

    assert response.status_code == 400
    assert "onset_minutes" in response.json()["error"]["fields"]


def test_update_cannot_change_the_id(cast, alice):
    entry = EntryFactory(patient=cast.patient_a)
    alice.patch(f"/api/v1/entries/{entry.uuid}/", {"id": str(uuid.uuid4())}, format="json")
    assert SymptomEntry.objects.filter(uuid=entry.uuid).exists()


def test_put_is_not_allowed(cast, alice):
    entry = EntryFactory(patient=cast.patient_a)
    response = alice.put(f"/api/v1/entries/{entry.uuid}/", entry_body(), format="json")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_delete_leaves_a_tombstone(cast, alice):
    entry = EntryFactory(patient=cast.patient_a)
    assert alice.delete(f"/api/v1/entries/{entry.uuid}/").status_code == 204

    entry.refresh_from_db()
    assert entry.deleted_at is not None
    assert alice.get("/api/v1/entries/").json()["count"] == 0
    assert alice.delete(f"/api/v1/entries/{entry.uuid}/").status_code == 404


def test_every_write_moves_the_diary_version(cast, alice):
    entry = EntryFactory(patient=cast.patient_a)
    versions = []
    for request in (
        lambda: alice.patch(f"/api/v1/entries/{entry.uuid}/", {"headache": 1}, format="json"),
        lambda: alice.delete(f"/api/v1/entries/{entry.uuid}/"),
    ):
        request()
        entry.refresh_from_db()
        versions.append(entry.version)
    assert versions[0] < versions[1]


def test_unchanged_patch_does_not_move_the_version(cast, alice):
    entry = EntryFactory(patient=cast.patient_a, headache=4, version=3)
    alice.patch(f"/api/v1/entries/{entry.uuid}/", {"headache": 4}, format="json")
    entry.refresh_from_db()
    assert entry.version == 3


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"minutes_in_posture": 10**10}, "minutes_in_posture"),
        ({"onset_minutes": 10**6}, "onset_minutes"),
        ({"recorded_at": "2026-03-10T08:30:00+20:00"}, "recorded_at"),
    ],
    ids=["minutes beyond any integer", "onset of two years", "offset of 20 hours"],
)
def test_values_the_database_cannot_hold_are_a_400_not_a_500(alice, change, field):
    response = alice.post("/api/v1/entries/", entry_body(**change), format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
