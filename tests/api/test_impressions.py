"""PGIC answers: 1 to 7 per treatment and checkpoint, a diary record like the others."""

import datetime as dt
import uuid

import pytest
import time_machine

from audit.models import AuditEvent
from diary.models import Impression
from tests.factories import ImpressionFactory, TreatmentFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
URL = "/api/v1/impressions/"


def impression_body(about, **overrides):
    body = {
        "id": str(uuid.uuid4()),
        "treatment": str(about.uuid),
        "answered_at": "2026-03-10T09:00:00+01:00",
        "checkpoint": "72h",
        "score": 2,
    }
    return {**body, **overrides}


@pytest.fixture
def treatment(cast):
    return TreatmentFactory(patient=cast.patient_a, performed_at=NOW - dt.timedelta(days=3))


@time_machine.travel(NOW, tick=False)
def test_patient_answers_the_pgic(cast, api, treatment):
    response = api(cast.patient_a.user).post(URL, impression_body(treatment), format="json")

    assert response.status_code == 201
    data = response.json()
    assert (data["treatment"], data["checkpoint"], data["score"]) == (
        str(treatment.uuid),
        "72h",
        2,
    )
    assert data["answered_at"] == "2026-03-10T08:00:00Z"
    assert data["recorded_by"] == cast.patient_a.user.pk
    assert AuditEvent.objects.filter(action="create", record_type="impression").count() == 1


@time_machine.travel(NOW, tick=False)
def test_retried_answer_is_not_duplicated(cast, api, treatment):
    client = api(cast.patient_a.user)
    body = impression_body(treatment)
    statuses = [client.post(URL, body, format="json").status_code for _ in range(3)]

    assert statuses == [201, 200, 200]
    assert Impression.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_a_second_answer_for_the_checkpoint_is_a_conflict(cast, api, treatment):
    client = api(cast.patient_a.user)
    first = client.post(URL, impression_body(treatment, score=3), format="json").json()

    response = client.post(URL, impression_body(treatment, score=1), format="json")
    other_time = client.post(URL, impression_body(treatment, checkpoint="other"), format="json")
    seven_days = client.post(URL, impression_body(treatment, checkpoint="7d"), format="json")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "impression_exists"
    assert (error["current"]["id"], error["current"]["score"]) == (first["id"], 3)
    assert (other_time.status_code, seven_days.status_code) == (201, 201)


@time_machine.travel(NOW, tick=False)
def test_an_answer_about_someone_elses_treatment_is_refused(cast, api):
    theirs = TreatmentFactory(patient=cast.patient_b)
    gone = TreatmentFactory(patient=cast.patient_a, deleted_at=NOW)
    client = api(cast.patient_a.user)

    for treatment in (theirs, gone):
        response = client.post(URL, impression_body(treatment), format="json")
        assert response.status_code == 400
        assert set(response.json()["error"]["fields"]) == {"treatment"}
    assert not Impression.objects.exists()


INVALID = [
    ("score 0", {"score": 0}, "score"),
    ("score 8", {"score": 8}, "score"),
    ("unknown checkpoint", {"checkpoint": "24h"}, "checkpoint"),
    ("answered tomorrow", {"answered_at": "2026-03-11T12:00:00Z"}, "answered_at"),
    ("no treatment", {"treatment": None}, "treatment"),
    ("treatment not an id", {"treatment": "the first one"}, "treatment"),
]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("case", "change", "field"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_answer_is_refused_with_the_field_named(cast, api, treatment, case, change, field):
    response = api(cast.patient_a.user).post(
        URL, impression_body(treatment, **change), format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {field}


@time_machine.travel(NOW, tick=False)
def test_a_clinician_records_an_answer_given_in_clinic(cast, api, treatment):
    url = f"/api/v1/patients/{cast.patient_a.pk}/impressions/"
    response = api(cast.clinician_on).post(url, impression_body(treatment), format="json")

    assert response.status_code == 201
    stored = Impression.objects.get(uuid=response.json()["id"])
    assert (stored.patient, stored.recorded_by) == (cast.patient_a, cast.clinician_on)


def test_history_keeps_the_earlier_score(cast, api, treatment):
    answer = ImpressionFactory(treatment=treatment, score=4)
    api(cast.patient_a.user).patch(f"{URL}{answer.uuid}/", {"score": 2}, format="json")
    api(cast.patient_a.user).delete(f"{URL}{answer.uuid}/")

    body = api(cast.clinician_on).get(f"{URL}{answer.uuid}/history/").json()

    assert body["current"] is None
    deleted, updated = body["versions"]
    assert (deleted["change"], deleted["record"]["score"]) == ("delete", 2)
    assert (updated["change"], updated["record"]["score"]) == ("update", 4)
    assert updated["record"]["treatment"] == str(treatment.uuid)


def test_filters_by_treatment_and_checkpoint(cast, api, treatment):
    ImpressionFactory(treatment=treatment, checkpoint="72h")
    wanted = ImpressionFactory(treatment=treatment, checkpoint="7d")
    ImpressionFactory(treatment=TreatmentFactory(patient=cast.patient_a), checkpoint="7d")

    response = api(cast.clinician_on).get(
        URL, {"treatment": str(treatment.uuid), "checkpoint": "7d"}
    )

    assert [r["id"] for r in response.json()["results"]] == [str(wanted.uuid)]


def test_listing_answers_costs_the_same_for_one_or_many(cast, api, django_assert_num_queries):
    client = api(cast.clinician_on)
    ImpressionFactory(treatment=TreatmentFactory(patient=cast.patient_a))
    client.get(URL)
    with django_assert_num_queries(8) as one:
        client.get(URL)
    for _ in range(10):
        ImpressionFactory(treatment=TreatmentFactory(patient=cast.patient_a), checkpoint="7d")
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(client.get(URL).json()["results"]) == 11
