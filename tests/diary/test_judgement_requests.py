"""Which writes ask for a judgement: only those the judgement reads (issue 18).

A write outside every treatment's baseline look-back and follow-up window (the
patient's judged span), a day log, a PGIC answer or a change of what the
judgement never reads sets no outbox mark and queues nothing.
"""

import datetime as dt
import uuid

import pytest
import time_machine

from diary import tasks
from diary.models import DayLog, Impression, Patient, SymptomEntry, Treatment, TreatmentFollowUp
from diary.services.evaluation import patient_evaluate
from diary.services.records import record_create, record_delete, record_update

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
PATCH_AT = NOW - dt.timedelta(days=10)
# The default thresholds: 30 days of look-back, 90 days of window.
BEFORE_ALL = PATCH_AT - dt.timedelta(days=31)
AFTER_ALL = PATCH_AT + dt.timedelta(days=91)
IN_WINDOW = PATCH_AT + dt.timedelta(days=2)


@pytest.fixture
def enqueued(monkeypatch):
    calls = []
    monkeypatch.setattr(tasks.evaluate_pending, "delay", calls.append)
    return calls


@pytest.fixture
def judged(cast, enqueued):
    """A patient with one treatment, judged: nothing pending."""
    patient = cast.patient_a
    treatment, _ = record_create(
        model=Treatment,
        patient=patient,
        values={"performed_at": PATCH_AT, "kind": "epidural_blood_patch"},
    )
    patient_evaluate(patient_id=patient.pk, now=NOW)
    enqueued.clear()
    return patient, treatment


def entry(patient, moment, headache=5):
    record, _ = record_create(
        model=SymptomEntry,
        patient=patient,
        values={"recorded_at": moment, "posture": "standing", "headache": headache},
    )
    return record


def pending(patient):
    row = Patient.objects.get(pk=patient.pk)
    return (
        row.evaluation_requested_at,
        row.evaluation_moments_from,
        row.evaluation_moments_until,
    )


NOTHING = (None, None, None)


def test_ratings_outside_every_window_ask_for_nothing(
    judged, enqueued, django_capture_on_commit_callbacks
):
    patient, _ = judged
    with django_capture_on_commit_callbacks(execute=True):
        early = entry(patient, BEFORE_ALL)
        late = entry(patient, AFTER_ALL)
        record_update(record=early, values={"recorded_at": BEFORE_ALL - dt.timedelta(days=3)})
        record_update(record=late, values={"headache": 9})
        record_delete(record=late)
    assert pending(patient) == NOTHING
    assert enqueued == []


def test_what_the_judgement_never_reads_asks_for_nothing(
    judged, enqueued, django_capture_on_commit_callbacks
):
    patient, treatment = judged
    inside = SymptomEntry.objects.create(
        patient=patient, recorded_at=IN_WINDOW, posture="standing", headache=4
    )
    with django_capture_on_commit_callbacks(execute=True):
        record_update(record=inside, values={"note": "After a walk.", "triggers": ["walking"]})
        record_update(record=treatment, values={"levels": ["L2/L3"], "volume_ml": 25})
        record_create(
            model=DayLog,
            patient=patient,
            values={"date": IN_WINDOW.date(), "upright_hours": 3},
        )
        record_create(
            model=Impression,
            patient=patient,
            values={
                "treatment_uuid": treatment.uuid,
                "checkpoint": "72h",
                "score": 2,
                "answered_at": IN_WINDOW,
            },
        )
    assert pending(patient) == NOTHING
    assert enqueued == []


def test_a_sync_batch_outside_every_window_asks_for_nothing(
    judged, api, enqueued, django_capture_on_commit_callbacks
):
    patient, _ = judged
    body = {
        "entries": [
            {
                "id": str(uuid.uuid4()),
                "recorded_at": (AFTER_ALL + dt.timedelta(hours=i)).isoformat(),
                "posture": "sitting",
                "headache": 6,
            }
            for i in range(20)
        ]
    }
    with (
        time_machine.travel(AFTER_ALL + dt.timedelta(days=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = api(patient.user).post("/api/v1/sync/", body, format="json")
    assert response.status_code == 200, response.content
    assert pending(patient) == NOTHING
    assert enqueued == []


def test_a_patient_without_treatment_costs_no_job_once_judged(
    cast, enqueued, django_capture_on_commit_callbacks
):
    patient = cast.patient_b
    patient_evaluate(patient_id=patient.pk, now=NOW)  # nothing to judge, and now known
    with django_capture_on_commit_callbacks(execute=True):
        entry(patient, NOW)
    assert pending(patient) == NOTHING
    assert enqueued == []


@time_machine.travel(NOW, tick=False)
def test_a_burst_inside_a_window_is_one_job_covering_every_moment(
    judged, enqueued, django_capture_on_commit_callbacks
):
    patient, _ = judged
    moved = SymptomEntry.objects.create(  # in the look-back
        patient=patient, recorded_at=PATCH_AT - dt.timedelta(days=20), posture="lying", headache=3
    )
    with django_capture_on_commit_callbacks(execute=True):
        entry(patient, IN_WINDOW)
        record_update(record=moved, values={"recorded_at": PATCH_AT + dt.timedelta(days=40)})
        entry(patient, BEFORE_ALL)  # outside: widens nothing
    assert enqueued == [str(patient.pk)]
    assert pending(patient) == (
        NOW,
        PATCH_AT - dt.timedelta(days=20),
        PATCH_AT + dt.timedelta(days=40),
    )

    patient_evaluate(patient_id=patient.pk, now=NOW, only_pending=True)
    assert pending(patient) == NOTHING


@time_machine.travel(NOW, tick=False)
def test_a_treatment_write_always_asks(judged, enqueued, django_capture_on_commit_callbacks):
    patient, treatment = judged
    far_back = PATCH_AT - dt.timedelta(days=400)
    with django_capture_on_commit_callbacks(execute=True):
        record_update(record=treatment, values={"performed_at": far_back})
    requested_at, since, until = pending(patient)
    assert (requested_at, since) == (NOW, far_back)
    assert until >= PATCH_AT + dt.timedelta(days=90)  # the window after its old moment
    assert enqueued == [str(patient.pk)]


@time_machine.travel(NOW, tick=False)
def test_a_change_of_time_zone_asks_for_every_treatment(
    judged, api, enqueued, django_capture_on_commit_callbacks
):
    patient, _ = judged
    with django_capture_on_commit_callbacks(execute=True):
        response = api(patient.user).patch(
            "/api/v1/me/profile/", {"timezone": "America/New_York"}, format="json"
        )
    assert response.status_code == 200, response.content
    requested_at, since, until = pending(patient)
    assert requested_at == NOW
    assert since < PATCH_AT - dt.timedelta(days=365) and until > NOW + dt.timedelta(days=365)


LATER = AFTER_ALL + dt.timedelta(days=1)


@time_machine.travel(LATER, tick=False)
def test_a_sync_moving_or_deleting_a_rating_out_of_a_window_asks_with_its_old_moment(
    judged, api, enqueued, django_capture_on_commit_callbacks
):
    """The stored moment (read under the lock) is what the judgement read: a batch
    that only sends moments outside every window still asks for it."""
    patient, _ = judged
    moved, gone = (
        SymptomEntry.objects.create(
            patient=patient, recorded_at=moment, posture="standing", headache=8
        )
        for moment in (IN_WINDOW, PATCH_AT - dt.timedelta(days=5))
    )
    body = {
        "entries": [
            {
                "id": str(moved.uuid),
                "recorded_at": AFTER_ALL.isoformat(),
                "posture": "standing",
                "headache": 8,
            }
        ],
        "deleted": [{"type": "entry", "id": str(gone.uuid)}],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api(patient.user).post("/api/v1/sync/", body, format="json")
    assert response.status_code == 200, response.content
    assert [i["status"] for i in response.json()["entries"]] == ["updated"]
    assert pending(patient) == (LATER, PATCH_AT - dt.timedelta(days=5), IN_WINDOW)
    assert enqueued == [str(patient.pk)]


@time_machine.travel(NOW, tick=False)
def test_a_request_of_the_previous_release_is_not_narrowed_by_a_write(
    judged, enqueued, django_capture_on_commit_callbacks
):
    """A mark without moments (a web worker of the previous release, still writing
    during a deploy) asks for every treatment; a write of this release keeps it so."""
    patient, _ = judged
    old, _ = record_create(  # a treatment whose window no moment below reaches
        model=Treatment,
        patient=patient,
        values={"performed_at": PATCH_AT - dt.timedelta(days=300), "kind": "epidural_blood_patch"},
    )
    patient_evaluate(patient_id=patient.pk, now=NOW)
    TreatmentFollowUp.objects.filter(treatment=old).delete()
    marked_at = NOW - dt.timedelta(minutes=1)
    Patient.objects.filter(pk=patient.pk).update(evaluation_requested_at=marked_at)

    with django_capture_on_commit_callbacks(execute=True):
        entry(patient, IN_WINDOW)
    assert pending(patient) == (marked_at, None, None)

    patient_evaluate(patient_id=patient.pk, now=NOW, only_pending=True)
    assert pending(patient) == NOTHING
    assert TreatmentFollowUp.objects.filter(treatment=old).exists()  # every treatment judged
