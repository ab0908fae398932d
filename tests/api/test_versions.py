"""v1.1 editing from two places: version, ETag, If-Match and sync base_version."""

import datetime as dt
import uuid

import pytest
import time_machine

from diary.models import SymptomEntry, Treatment
from tests.factories import EntryFactory, TreatmentFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
travel = time_machine.travel(NOW, tick=False)


def made(cast, **fields):
    return EntryFactory(patient=cast.patient_a, recorded_at=NOW - dt.timedelta(hours=1), **fields)


@pytest.fixture
def alice(cast, api):
    return api(cast.patient_a.user)


@pytest.fixture
def stored(cast, alice):
    body = {"recorded_at": "2026-03-09T08:00:00+01:00", "posture": "sitting", "headache": 6}
    with travel:
        return alice.post("/api/v1/entries/", body, format="json")


def test_a_record_answers_its_version_as_etag(alice, stored):
    body = stored.json()
    assert isinstance(body["version"], int)
    assert stored["ETag"] == f'"{body["version"]}"'

    read = alice.get(f"/api/v1/entries/{body['id']}/")
    assert read["ETag"] == stored["ETag"]
    assert read.json()["version"] == body["version"]


def test_every_change_moves_the_version_on(alice, stored):
    entry_id, before = stored.json()["id"], stored.json()["version"]

    changed = alice.patch(f"/api/v1/entries/{entry_id}/", {"headache": 3}, format="json")

    assert changed.json()["version"] > before
    assert changed["ETag"] == f'"{changed.json()["version"]}"'


def test_if_match_with_the_current_etag_writes(alice, stored):
    entry_id = stored.json()["id"]

    response = alice.patch(
        f"/api/v1/entries/{entry_id}/",
        {"headache": 2},
        format="json",
        HTTP_IF_MATCH=stored["ETag"],
    )

    assert response.status_code == 200
    assert SymptomEntry.objects.get(uuid=entry_id).headache == 2


def test_a_stale_if_match_is_412_with_the_current_record_and_writes_nothing(alice, stored):
    entry_id, stale = stored.json()["id"], stored["ETag"]
    elsewhere = alice.patch(f"/api/v1/entries/{entry_id}/", {"headache": 9}, format="json")

    response = alice.patch(
        f"/api/v1/entries/{entry_id}/", {"headache": 1}, format="json", HTTP_IF_MATCH=stale
    )

    assert response.status_code == 412
    error = response.json()["error"]
    assert error["code"] == "precondition_failed"
    assert error["current"] == elsewhere.json()
    assert response["ETag"] == elsewhere["ETag"]
    assert SymptomEntry.objects.get(uuid=entry_id).headache == 9


def test_a_stale_if_match_on_delete_is_412_and_keeps_the_record(alice, stored):
    entry_id, stale = stored.json()["id"], stored["ETag"]
    alice.patch(f"/api/v1/entries/{entry_id}/", {"headache": 9}, format="json")

    response = alice.delete(f"/api/v1/entries/{entry_id}/", HTTP_IF_MATCH=stale)
    current = alice.get(f"/api/v1/entries/{entry_id}/")
    deleted = alice.delete(f"/api/v1/entries/{entry_id}/", HTTP_IF_MATCH=current["ETag"])

    assert response.status_code == 412
    assert response.json()["error"]["current"]["headache"] == 9
    assert deleted.status_code == 204
    assert SymptomEntry.objects.get(uuid=entry_id).is_deleted


@pytest.mark.parametrize("header", ["*", None])
def test_without_a_usable_if_match_the_write_goes_through_as_in_v1(alice, stored, header):
    entry_id = stored.json()["id"]
    alice.patch(f"/api/v1/entries/{entry_id}/", {"headache": 9}, format="json")
    extra = {"HTTP_IF_MATCH": header} if header else {}

    response = alice.patch(f"/api/v1/entries/{entry_id}/", {"headache": 1}, format="json", **extra)

    assert response.status_code == 200


def test_a_clinician_editing_a_patch_the_patient_changed_gets_412(cast, api):
    treatment = TreatmentFactory(patient=cast.patient_a, note="first")
    clinician = api(cast.clinician_on)
    url = f"/api/v1/patches/{treatment.uuid}/"
    etag = clinician.get(url)["ETag"]
    api(cast.patient_a.user).patch(url, {"note": "by the patient"}, format="json")

    response = clinician.patch(url, {"note": "by the clinician"}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 412
    assert response.json()["error"]["current"]["note"] == "by the patient"
    assert Treatment.objects.get(pk=treatment.pk).note == "by the patient"


# --- Sync base_version ---------------------------------------------------------------


def sync(client, **sections):
    with travel:
        return client.post("/api/v1/sync/", sections, format="json").json()


def entry_item(record, **changes):
    return {
        "id": str(record.uuid),
        "recorded_at": record.recorded_at.isoformat(),
        "posture": record.posture,
        "headache": record.headache,
        **changes,
    }


def test_a_stale_base_version_is_a_conflict_with_the_stored_record(cast, alice):
    record = made(cast, headache=4, version=7)
    fresh = made(cast, headache=4, version=7)

    result = sync(
        alice,
        entries=[
            entry_item(record, headache=8, base_version=6),  # the record moved on to 7
            entry_item(fresh, headache=8, base_version=7),
            {
                **entry_item(EntryFactory.build(patient=cast.patient_a, recorded_at=NOW)),
                "id": str(uuid.uuid4()),
            },
        ],
    )

    stale, ok, new = result["entries"]
    assert stale["status"] == "conflict"
    assert stale["error"]["code"] == "conflict"
    assert stale["error"]["current"]["headache"] == 4
    assert stale["error"]["current"]["version"] == 7
    assert (ok["status"], new["status"]) == ("updated", "created")
    record.refresh_from_db()
    assert (record.headache, record.version) == (4, 7)  # nothing overwritten


def test_a_stale_base_version_on_a_deletion_keeps_the_record(cast, alice):
    record = made(cast, version=5)

    result = sync(alice, deleted=[{"type": "entry", "id": str(record.uuid), "base_version": 4}])

    assert result["deleted"][0]["status"] == "conflict"
    assert result["deleted"][0]["error"]["current"]["id"] == str(record.uuid)
    record.refresh_from_db()
    assert not record.is_deleted


def test_a_stale_base_version_with_nothing_to_change_is_unchanged(cast, alice):
    record = made(cast, version=5)

    result = sync(alice, entries=[entry_item(record, base_version=1)])

    assert result["entries"][0]["status"] == "unchanged"


def test_a_batch_with_a_conflict_is_answered_the_same_when_sent_again(cast, alice):
    record = made(cast, version=5)
    batch = {"entries": [entry_item(record, headache=1, base_version=2)]}

    first, again = sync(alice, **batch), sync(alice, **batch)

    assert first == again
    assert first["entries"][0]["status"] == "conflict"


@pytest.mark.parametrize("base_version", ["7", -1, 1.5, None])
def test_a_malformed_base_version_is_a_field_error_of_that_item(cast, alice, base_version):
    record = made(cast)

    result = sync(alice, entries=[entry_item(record, headache=1, base_version=base_version)])

    assert result["entries"][0]["error"]["field_codes"] == {"base_version": ["invalid"]}
