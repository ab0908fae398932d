import datetime as dt
import uuid

import pytest
import time_machine
from django.db import IntegrityError, transaction

from diary.models import Treatment
from tests.factories import EntryFactory, TreatmentFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def patch_body(**overrides):
    body = {
        "performed_at": "2026-03-09T14:00:00+01:00",
        "kind": "epidural_blood_patch",
        "approach": "targeted",
        "levels": ["C6/C7"],
        "volume_ml": 15.5,
    }
    return {**body, **overrides}


@time_machine.travel(NOW, tick=False)
def test_patient_records_a_patch(cast, api):
    response = api(cast.patient_a.user).post("/api/v1/patches/", patch_body(), format="json")

    assert response.status_code == 201
    data = response.json()
    assert data["performed_at"] == "2026-03-09T13:00:00Z"
    assert (data["levels"], data["volume_ml"]) == (["C6/C7"], 15.5)
    assert data["recorded_by"] == cast.patient_a.user.pk


@time_machine.travel(NOW, tick=False)
def test_clinician_on_the_care_team_records_a_patch_for_the_patient(cast, api):
    url = f"/api/v1/patients/{cast.patient_a.pk}/patches/"
    response = api(cast.clinician_on).post(url, patch_body(), format="json")

    assert response.status_code == 201
    treatment = Treatment.objects.get(uuid=response.json()["id"])
    assert (treatment.patient, treatment.recorded_by) == (cast.patient_a, cast.clinician_on)


@time_machine.travel(NOW, tick=False)
def test_retried_patch_create_is_not_duplicated(cast, api):
    client = api(cast.patient_a.user)
    body = patch_body(id=str(uuid.uuid4()))
    statuses = [client.post("/api/v1/patches/", body, format="json").status_code for _ in range(3)]

    assert statuses == [201, 200, 200]
    assert Treatment.objects.count() == 1


INVALID = [
    ("unknown kind", {"kind": "acupuncture"}, "kind"),
    ("unknown approach", {"approach": "lumbar"}, "approach"),
    ("non-adjacent level", {"levels": ["L3/L5"]}, "levels"),
    ("level out of the spine", {"levels": ["L6/S1"]}, "levels"),
    ("levels not a list", {"levels": "L3/L4"}, "levels"),
    ("volume zero", {"volume_ml": 0}, "volume_ml"),
    ("volume negative", {"volume_ml": -3}, "volume_ml"),
    ("volume over 100", {"volume_ml": 100.5}, "volume_ml"),
    ("volume not a number", {"volume_ml": "lots"}, "volume_ml"),
    ("performed tomorrow", {"performed_at": "2026-03-11T12:00:00Z"}, "performed_at"),
    ("performed without offset", {"performed_at": "2026-03-09T14:00:00"}, "performed_at"),
    ("note too long", {"note": "x" * 2001}, "note"),
]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("case", "change", "field"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_patch_is_refused_with_the_field_named(cast, api, case, change, field):
    response = api(cast.patient_a.user).post(
        "/api/v1/patches/", patch_body(**change), format="json"
    )

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert Treatment.objects.count() == 0


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("volume", [0.1, 100, None])
def test_volume_bounds_are_inclusive_of_100_and_allow_unknown(cast, api, volume):
    response = api(cast.patient_a.user).post(
        "/api/v1/patches/", patch_body(volume_ml=volume), format="json"
    )
    assert response.status_code == 201
    assert response.json()["volume_ml"] == volume


@time_machine.travel(NOW, tick=False)
def test_surgical_repair_needs_no_approach_or_levels(cast, api):
    body = {"performed_at": "2026-03-01T09:00:00Z", "kind": "surgical_repair"}
    response = api(cast.patient_a.user).post("/api/v1/patches/", body, format="json")

    assert response.status_code == 201
    assert (response.json()["approach"], response.json()["levels"]) == (None, [])


def test_volume_range_is_a_database_constraint_too(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        TreatmentFactory(patient=cast.patient_a, volume_ml=150)


def test_headache_range_is_a_database_constraint_too(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        EntryFactory(patient=cast.patient_a, headache=11)


def test_one_row_per_patient_and_client_id_is_a_database_constraint(cast):
    existing = TreatmentFactory(patient=cast.patient_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        TreatmentFactory(patient=cast.patient_a, uuid=existing.uuid)


def test_patch_list_filters_by_performed_at(cast, api):
    for day in (1, 20):
        TreatmentFactory(
            patient=cast.patient_a, performed_at=dt.datetime(2026, 2, day, tzinfo=dt.UTC)
        )
    response = api(cast.clinician_on).get(
        f"/api/v1/patients/{cast.patient_a.pk}/patches/", {"from": "2026-02-10T00:00:00Z"}
    )
    assert [p["performed_at"][:10] for p in response.json()["results"]] == ["2026-02-20"]
