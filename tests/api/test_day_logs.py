"""Day logs: one per patient and local day, a diary record like the others."""

import datetime as dt
import uuid

import pytest
import time_machine

from audit.models import AuditEvent
from diary.models import DayLog
from tests.factories import DayLogFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
URL = "/api/v1/day-logs/"


def day_log_body(**overrides):
    body = {
        "id": str(uuid.uuid4()),
        "date": "2026-03-09",
        "upright_hours": 3.5,
        "longest_upright_minutes": 40,
        "bed_rest_hours": 18,
        "fluids_l": 2.5,
        "caffeine_mg": 300,
        "binder": True,
        "medications": [{"name": "acetazolamide", "dose": "250 mg"}, {"name": "paracetamol"}],
        "note": "Mostly in bed.",
    }
    return {**body, **overrides}


@time_machine.travel(NOW, tick=False)
def test_patient_logs_a_day(cast, api):
    response = api(cast.patient_a.user).post(URL, day_log_body(), format="json")

    assert response.status_code == 201
    data = response.json()
    assert data["date"] == "2026-03-09"
    assert (data["upright_hours"], data["bed_rest_hours"], data["fluids_l"]) == (3.5, 18, 2.5)
    assert data["medications"] == [
        {"name": "acetazolamide", "dose": "250 mg", "note": ""},
        {"name": "paracetamol", "dose": "", "note": ""},
    ]
    assert data["patient"] == str(cast.patient_a.pk)
    assert AuditEvent.objects.filter(
        action="create", record_type="day_log", record_id=data["id"]
    ).exists()


@time_machine.travel(NOW, tick=False)
def test_retried_day_log_create_is_not_duplicated(cast, api):
    client = api(cast.patient_a.user)
    body = day_log_body()
    statuses = [client.post(URL, body, format="json").status_code for _ in range(3)]

    assert statuses == [201, 200, 200]
    assert DayLog.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_a_second_log_for_the_same_day_is_a_conflict_with_the_stored_one(cast, api):
    client = api(cast.patient_a.user)
    first = client.post(URL, day_log_body(upright_hours=2), format="json").json()

    response = client.post(URL, day_log_body(upright_hours=5), format="json")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "day_exists"
    assert error["current"]["id"] == first["id"]
    assert error["current"]["upright_hours"] == 2
    assert DayLog.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_another_patient_may_log_the_same_day(cast, api):
    api(cast.patient_a.user).post(URL, day_log_body(), format="json")
    response = api(cast.patient_b.user).post(URL, day_log_body(), format="json")

    assert response.status_code == 201


@time_machine.travel(NOW, tick=False)
def test_moving_a_log_onto_a_logged_day_is_a_conflict(cast, api):
    DayLogFactory(patient=cast.patient_a, date=dt.date(2026, 3, 8))
    moved = DayLogFactory(patient=cast.patient_a, date=dt.date(2026, 3, 9))

    response = api(cast.patient_a.user).patch(
        f"{URL}{moved.uuid}/", {"date": "2026-03-08"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "day_exists"
    moved.refresh_from_db()
    assert moved.date == dt.date(2026, 3, 9)


@time_machine.travel(NOW, tick=False)
def test_a_deleted_log_frees_its_day(cast, api):
    client = api(cast.patient_a.user)
    first = client.post(URL, day_log_body(), format="json").json()
    assert client.delete(f"{URL}{first['id']}/").status_code == 204

    response = client.post(URL, day_log_body(), format="json")

    assert response.status_code == 201


INVALID = [
    ("more than a day upright", {"upright_hours": 24.5}, "upright_hours"),
    ("negative hours", {"bed_rest_hours": -1}, "bed_rest_hours"),
    ("over a day", {"upright_hours": 10, "bed_rest_hours": 15}, "bed_rest_hours"),
    ("longest over upright", {"longest_upright_minutes": 300}, "longest_upright_minutes"),
    ("unknown medication", {"medications": [{"name": "aspirin"}]}, "medications"),
    ("medication without a name", {"medications": [{"dose": "1 g"}]}, "medications"),
    ("too much caffeine", {"caffeine_mg": 50000}, "caffeine_mg"),
    ("a day after tomorrow", {"date": "2026-03-12"}, "date"),
    ("not a date", {"date": "yesterday"}, "date"),
    ("no date", {"date": None}, "date"),
    ("binder not a boolean", {"binder": "sometimes"}, "binder"),
]  # fmt: skip


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("case", "change", "field"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_day_log_is_refused_with_the_field_named(cast, api, case, change, field):
    response = api(cast.patient_a.user).post(URL, day_log_body(**change), format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {field}
    assert not DayLog.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_list_filters_by_local_day(cast, api):
    for day in (7, 8, 9):
        DayLogFactory(patient=cast.patient_a, date=dt.date(2026, 3, day))

    response = api(cast.clinician_on).get(URL, {"from": "2026-03-08", "to": "2026-03-09"})

    assert [r["date"] for r in response.json()["results"]] == ["2026-03-09", "2026-03-08"]


def test_a_clinician_sees_the_history_of_a_changed_log(cast, api):
    log = DayLogFactory(patient=cast.patient_a, upright_hours=2)
    patient = api(cast.patient_a.user)
    patient.patch(f"{URL}{log.uuid}/", {"upright_hours": 6}, format="json")

    body = api(cast.clinician_on).get(f"{URL}{log.uuid}/history/").json()

    assert body["current"]["upright_hours"] == 6
    (version,) = body["versions"]
    assert version["record"]["upright_hours"] == 2
    assert version["record"]["date"] == log.date.isoformat()
    assert version["changed_by"] == {"id": cast.patient_a.user.pk, "role": "patient"}
    actions = set(
        AuditEvent.objects.filter(record_type="day_log", record_id=str(log.uuid)).values_list(
            "action", flat=True
        )
    )
    assert actions == {"update", "read"}


def test_listing_logs_costs_the_same_for_one_or_many(cast, api, django_assert_num_queries):
    client = api(cast.clinician_on)
    DayLogFactory(patient=cast.patient_a, date=dt.date(2026, 1, 1))
    client.get(URL)  # warm-up: the login's first use
    with django_assert_num_queries(8) as one:
        client.get(URL)
    for day in range(2, 30):
        DayLogFactory(patient=cast.patient_a, date=dt.date(2026, 1, day))
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(client.get(URL).json()["results"]) == 29


@time_machine.travel(NOW, tick=False)
def test_an_id_of_another_patients_log_is_refused_not_shadowed(cast, api):
    theirs = DayLogFactory(patient=cast.patient_b)

    response = api(cast.patient_a.user).post(URL, day_log_body(id=str(theirs.uuid)), format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "id_taken"
    assert DayLog.objects.get().patient == cast.patient_b


def test_a_change_made_to_an_old_copy_is_refused_with_the_stored_log(cast, api):
    log = DayLogFactory(patient=cast.patient_a, upright_hours=2)
    client = api(cast.patient_a.user)
    etag = client.get(f"{URL}{log.uuid}/")["ETag"]
    client.patch(f"{URL}{log.uuid}/", {"upright_hours": 3}, format="json")

    stale = client.patch(
        f"{URL}{log.uuid}/", {"upright_hours": 9}, format="json", headers={"If-Match": etag}
    )

    assert stale.status_code == 412
    assert stale.json()["error"]["current"]["upright_hours"] == 3
