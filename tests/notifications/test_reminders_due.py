"""GET /api/v1/reminders/due/: what the phone should ask for now, and the
+72 h / +7 d push that also asks for the PGIC (one push, not two)."""

import datetime as dt

import pytest
import time_machine

from notifications.models import Device, PushMessage
from notifications.services.reminders import (
    checkins_schedule,
    reminder_preference_update,
    reminder_send,
    reminders_due,
    reminders_open,
)
from tests.factories import EntryFactory, ImpressionFactory, TreatmentFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/reminders/due/"
PERFORMED = dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC)  # 10:00 in Zurich


def at(hours: float) -> dt.datetime:
    return PERFORMED + dt.timedelta(hours=hours)


@pytest.fixture
def treatment(cast):
    return TreatmentFactory(patient=cast.patient_a, performed_at=PERFORMED)


def test_nothing_is_due_before_the_first_checkin(cast, treatment):
    assert reminders_open(patient=cast.patient_a, now=at(5.9)) == {
        "checkins": [],
        "daily": {"enabled": False, "due": False},
    }


def test_a_checkin_is_listed_from_its_due_time_for_24_hours(cast, treatment):
    def listed_at(hours):
        return [
            c["checkpoint"]
            for c in reminders_open(patient=cast.patient_a, now=at(hours))["checkins"]
        ]

    listed = {hours: listed_at(hours) for hours in (6, 23, 24, 29.9, 30, 72, 96)}

    assert listed == {
        6: ["6h"],
        23: ["6h"],
        24: ["6h", "24h"],
        29.9: ["6h", "24h"],
        30: ["24h"],
        72: ["72h"],
        96: [],
    }


def test_an_upright_and_a_lying_rating_answer_the_ratings(cast, treatment):
    EntryFactory(patient=cast.patient_a, recorded_at=at(6.5), posture="standing")
    half = reminders_open(patient=cast.patient_a, now=at(7))["checkins"]
    EntryFactory(patient=cast.patient_a, recorded_at=at(7), posture="lying")
    answered = reminders_open(patient=cast.patient_a, now=at(7.5))["checkins"]
    # An entry before the due time does not count for it.
    EntryFactory(patient=cast.patient_a, recorded_at=at(5), posture="lying")

    assert [(c["checkpoint"], c["ratings_due"], c["pgic_due"]) for c in half] == [
        ("6h", True, False)
    ]
    assert answered == []


def test_the_72h_checkin_asks_for_the_pgic_until_it_is_answered(cast, treatment):
    EntryFactory(patient=cast.patient_a, recorded_at=at(72.5), posture="sitting")
    EntryFactory(patient=cast.patient_a, recorded_at=at(72.6), posture="lying")
    before = reminders_open(patient=cast.patient_a, now=at(73))["checkins"]
    ImpressionFactory(treatment=treatment, checkpoint="72h")
    after = reminders_open(patient=cast.patient_a, now=at(73))["checkins"]

    assert [(c["checkpoint"], c["ratings_due"], c["pgic_due"]) for c in before] == [
        ("72h", False, True)
    ]
    assert before[0]["treatment"] == treatment.uuid
    assert before[0]["due_at"] == at(72)
    assert after == []


def test_the_daily_reminder_is_due_when_on_and_nothing_logged(cast):
    reminder_preference_update(patient=cast.patient_a, values={"daily_enabled": True})
    now = dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC)

    due = reminders_open(patient=cast.patient_a, now=now)["daily"]
    EntryFactory(patient=cast.patient_a, recorded_at=now - dt.timedelta(hours=2))
    logged = reminders_open(patient=cast.patient_a, now=now)["daily"]

    assert due == {"enabled": True, "due": True}
    assert logged == {"enabled": True, "due": False}


def test_the_endpoint_answers_the_shape_the_phone_reads(cast, api, treatment):
    with time_machine.travel(at(72.5), tick=False):
        response = api(cast.patient_a.user).get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "checkins": [
            {
                "treatment": str(treatment.uuid),
                "checkpoint": "72h",
                "due_at": "2026-03-13T09:00:00Z",
                "ratings_due": True,
                "pgic_due": True,
            }
        ],
        "daily": {"enabled": False, "due": False},
    }


def test_another_patients_treatments_are_not_listed(cast, api, treatment):
    with time_machine.travel(at(6.5), tick=False):
        body = api(cast.patient_b.user).get(URL).json()

    assert body["checkins"] == []


@pytest.mark.parametrize("role", ["clinician_on", "coordinator"])
def test_staff_have_no_reminders(cast, api, role):
    response = api(cast.user(role)).get(URL)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_answer_costs_the_same_for_one_treatment_or_many(cast, api, django_assert_num_queries):
    TreatmentFactory(patient=cast.patient_a, performed_at=PERFORMED)
    client = api(cast.patient_a.user)
    with time_machine.travel(at(73), tick=False):
        client.get(URL)
        with django_assert_num_queries(8) as one:
            client.get(URL)
        for hours in (1, 2, 3, 4):
            TreatmentFactory(
                patient=cast.patient_a, performed_at=PERFORMED + dt.timedelta(hours=hours)
            )
        with django_assert_num_queries(len(one.captured_queries)):
            assert len(client.get(URL).json()["checkins"]) == 5


def test_the_72h_and_7d_pushes_also_ask_for_the_pgic_once(cast, treatment):
    Device.objects.create(user=cast.patient_a.user, platform="ios", token="phone-a")
    now = PERFORMED
    while now <= at(8 * 24):
        checkins_schedule(now=now)
        for reminder_id in reminders_due(now=now):
            reminder_send(reminder_id=reminder_id, now=now)
        now += dt.timedelta(minutes=30)

    pushes = [
        (p.data.get("checkpoint"), p.data.get("pgic"), p.body) for p in PushMessage.objects.all()
    ]
    assert len(pushes) == 5, "one push per check-in, the PGIC included in two of them"
    assert [(c, q) for c, q, _ in pushes] == [
        (None, None),
        (None, None),
        (None, None),
        ("72h", "true"),
        ("7d", "true"),
    ]
    assert all("how you feel since your treatment" in body for c, _, body in pushes if c)
