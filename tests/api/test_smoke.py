import pytest

pytestmark = pytest.mark.django_db


def test_patient_creates_and_lists_an_entry(cast, api):
    client = api(cast.patient_a.user)
    body = {"recorded_at": "2026-03-04T07:30:00+01:00", "posture": "standing", "headache": 7}
    created = client.post("/api/v1/entries/", body, format="json")
    assert created.status_code == 201, created.json()
    listed = client.get("/api/v1/entries/").json()
    assert [e["id"] for e in listed["results"]] == [created.json()["id"]]
    assert listed["results"][0]["recorded_at"] == "2026-03-04T06:30:00Z"
