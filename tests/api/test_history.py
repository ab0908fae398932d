"""An edited or deleted entry or treatment keeps its earlier versions."""

import datetime as dt
import uuid

import pytest
import time_machine

from audit.models import RecordRevision
from tests.factories import EntryFactory, TreatmentFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def test_a_clinician_sees_what_the_patient_changed_and_when(cast, api):
    entry = EntryFactory(patient=cast.patient_a, headache=8, note="bad day")
    patient = api(cast.patient_a.user)
    with time_machine.travel(NOW, tick=False):
        patient.patch(f"/api/v1/entries/{entry.uuid}/", {"headache": 3}, format="json")
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        patient.patch(f"/api/v1/entries/{entry.uuid}/", {"note": "better"}, format="json")

    response = api(cast.clinician_on).get(f"/api/v1/entries/{entry.uuid}/history/")

    assert response.status_code == 200
    body = response.json()
    assert body["current"]["headache"] == 3 and body["current"]["note"] == "better"
    newest, oldest = body["versions"]
    assert (newest["record"]["headache"], newest["record"]["note"]) == (3, "bad day")
    assert (oldest["record"]["headache"], oldest["record"]["note"]) == (8, "bad day")
    assert oldest["changed_at"] == "2026-03-10T12:00:00Z"
    assert oldest["changed_by"] == {"id": cast.patient_a.user.pk, "role": "patient"}
    assert oldest["record"]["recorded_at"] == entry.recorded_at.isoformat().replace("+00:00", "Z")


def test_a_deleted_treatment_keeps_its_history_for_the_care_team(cast, api):
    treatment = TreatmentFactory(patient=cast.patient_a, volume_ml=20)
    api(cast.patient_a.user).delete(f"/api/v1/patches/{treatment.uuid}/")

    body = api(cast.clinician_on).get(f"/api/v1/patches/{treatment.uuid}/history/").json()

    assert body["current"] is None
    (version,) = body["versions"]
    assert version["change"] == "delete"
    assert version["record"]["volume_ml"] == 20
    assert api(cast.clinician_on).get(f"/api/v1/patches/{treatment.uuid}/").status_code == 404


def test_sync_updates_and_deletes_keep_history_in_one_insert_each(
    cast, api, django_assert_max_num_queries
):
    changed = EntryFactory.create_batch(3, patient=cast.patient_a, headache=9)
    gone = EntryFactory(patient=cast.patient_a)
    body = {
        "entries": [
            {
                "id": str(e.uuid),
                "recorded_at": e.recorded_at.isoformat(),
                "posture": e.posture,
                "headache": 2,
            }
            for e in changed
        ],
        "deleted": [{"type": "entry", "id": str(gone.uuid)}],
    }

    response = api(cast.patient_a.user).post("/api/v1/sync/", body, format="json")

    assert [r["status"] for r in response.json()["entries"]] == ["updated"] * 3
    kept = RecordRevision.objects.order_by("id")
    assert [(r.change, r.values["headache"]) for r in kept if r.change == "update"] == [
        ("update", 9)
    ] * 3
    assert kept.get(change="delete").record_uuid == gone.uuid
    assert {r.changed_by_id for r in kept} == {cast.patient_a.user.pk}


def test_an_unchanged_write_keeps_no_version(cast, api):
    entry = EntryFactory(patient=cast.patient_a, headache=4)

    api(cast.patient_a.user).patch(f"/api/v1/entries/{entry.uuid}/", {"headache": 4}, format="json")

    assert not RecordRevision.objects.exists()


def test_history_of_another_patients_record_is_not_found(cast, api):
    entry = EntryFactory(patient=cast.patient_a)

    assert api(cast.clinician_off).get(f"/api/v1/entries/{entry.uuid}/history/").status_code == 404
    assert (
        api(cast.patient_b.user).get(f"/api/v1/entries/{uuid.uuid4()}/history/").status_code == 404
    )
