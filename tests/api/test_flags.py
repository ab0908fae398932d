import datetime as dt

import pytest
import time_machine

from diary.models import FlagStatus
from tests.factories import FlagFactory, TreatmentFactory

pytestmark = pytest.mark.django_db


def test_open_flags_come_first_then_newest(cast, api):
    treatments = TreatmentFactory.create_batch(3, patient=cast.patient_a)
    resolved = FlagFactory(treatment=treatments[0], status=FlagStatus.RESOLVED)
    old_open = FlagFactory(
        treatment=treatments[1], detected_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    new_open = FlagFactory(treatment=treatments[2])

    results = api(cast.clinician_on).get("/api/v1/flags/").json()["results"]

    assert [f["id"] for f in results] == [str(new_open.pk), str(old_open.pk), str(resolved.pk)]


def test_flag_names_its_patient_treatment_and_evidence(cast, api):
    flag = FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a))
    body = api(cast.coordinator).get(f"/api/v1/flags/{flag.pk}/").json()

    assert body["patient"] == str(cast.patient_a.pk)
    assert body["patch"] == str(flag.treatment.uuid)
    assert (body["kind"], body["status"]) == ("relapse", "open")
    assert body["evidence"] == flag.evidence


@pytest.mark.parametrize(
    ("query", "expected"),
    [({"status": "open"}, {"open"}), ({"kind": "no_response"}, {"no_response"})],
)
def test_flags_filter_by_status_and_kind(cast, api, query, expected):
    treatment = TreatmentFactory(patient=cast.patient_a)
    FlagFactory(treatment=treatment, kind="relapse", status=FlagStatus.RESOLVED)
    FlagFactory(treatment=treatment, kind="no_response", status=FlagStatus.OPEN)

    results = api(cast.clinician_on).get("/api/v1/flags/", query).json()["results"]

    key = next(iter(query))
    assert {f[key] for f in results} == expected


def test_flags_filter_by_patient(cast, api):
    FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a))
    FlagFactory(treatment=TreatmentFactory(patient=cast.patient_b))
    results = (
        api(cast.coordinator)
        .get("/api/v1/flags/", {"patient": str(cast.patient_b.pk)})
        .json()["results"]
    )
    assert {f["patient"] for f in results} == {str(cast.patient_b.pk)}


@pytest.mark.parametrize("query", [{"status": "closed"}, {"kind": "x"}, {"patient": "42"}])
def test_bad_flag_filters_are_a_400(cast, api, query):
    assert api(cast.coordinator).get("/api/v1/flags/", query).status_code == 400


@time_machine.travel(dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC), tick=False)
def test_acknowledge_records_who_and_when_and_is_idempotent(cast, api):
    flag = FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a))
    client = api(cast.clinician_on)

    first = client.post(f"/api/v1/flags/{flag.pk}/acknowledge/").json()
    with time_machine.travel(dt.datetime(2026, 3, 10, 10, tzinfo=dt.UTC)):
        again = api(cast.coordinator).post(f"/api/v1/flags/{flag.pk}/acknowledge/").json()

    assert first["status"] == "acknowledged"
    assert first["acknowledged_by"] == cast.clinician_on.pk
    assert first["acknowledged_at"] == "2026-03-10T09:00:00Z"
    assert (again["acknowledged_by"], again["acknowledged_at"]) == (
        cast.clinician_on.pk,
        "2026-03-10T09:00:00Z",
    )


def test_resolve_keeps_the_note_and_counts_as_acknowledged(cast, api):
    flag = FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a))
    body = (
        api(cast.clinician_on)
        .post(f"/api/v1/flags/{flag.pk}/resolve/", {"note": "Second patch booked."}, format="json")
        .json()
    )

    assert (body["status"], body["resolution_note"]) == ("resolved", "Second patch booked.")
    assert body["resolved_by"] == body["acknowledged_by"] == cast.clinician_on.pk


def test_a_resolved_flag_cannot_be_resolved_or_acknowledged_again(cast, api):
    flag = FlagFactory(
        treatment=TreatmentFactory(patient=cast.patient_a), status=FlagStatus.RESOLVED
    )
    client = api(cast.clinician_on)
    for action in ("resolve", "acknowledge"):
        response = client.post(f"/api/v1/flags/{flag.pk}/{action}/", {}, format="json")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "flag_resolved"


def test_resolution_note_is_limited(cast, api):
    flag = FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a))
    response = api(cast.clinician_on).post(
        f"/api/v1/flags/{flag.pk}/resolve/", {"note": "x" * 2001}, format="json"
    )
    assert response.status_code == 400
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


def test_flag_list_queries_do_not_grow(cast, api, django_assert_num_queries):
    for _ in range(5):
        FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a))
    # savepoint, user, count, page (with treatments), release; then the audit
    # trail's INSERT (within its own savepoint and release in a test)
    with django_assert_num_queries(5 + 3):
        api(cast.coordinator).get("/api/v1/flags/")
