"""No-response checkpoints judged when due: stored, claimed once, re-claimed after a crash."""

import datetime as dt
import threading

import pytest
import time_machine
from django.conf import settings

from config.celery import BEAT_START_TASKS
from diary import tasks
from diary.models import Flag, TreatmentFollowUp
from diary.services.checkpoints import checkpoints_claim, checkpoints_judge
from diary.services.evaluation import patient_evaluate
from diary.signals import flag_raised
from tests.factories import EntryFactory, PatientFactory, TreatmentFactory
from tests.notifications.test_alerts import run_together  # each on its own connection

pytestmark = pytest.mark.django_db

PATCH_AT = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
DUE_72H = PATCH_AT + dt.timedelta(hours=72)
LEASE = settings.CHECKPOINT_LEASE


def no_response_story(patient=None, *, per_day=(8, 20), days=3):
    """A week of 8/10 standing before a patch at PATCH_AT (UTC), and 8/10 after it:
    with entries at 08:00 and 20:00, five by the 72 h mark."""
    patient = patient or PatientFactory(timezone="UTC")
    treatment = TreatmentFactory(patient=patient, performed_at=PATCH_AT)
    start = PATCH_AT.replace(hour=0) - dt.timedelta(days=7)
    for day in range(7 + days):
        for hour in per_day:
            at = start + dt.timedelta(days=day, hours=hour)
            if at < PATCH_AT + dt.timedelta(days=days):
                EntryFactory(patient=patient, recorded_at=at, headache=8, posture="standing")
    return patient, treatment


def due_at(treatment):
    return TreatmentFollowUp.objects.get(treatment=treatment).next_checkpoint_at


# --- The due time, stored by every evaluation -------------------------------------------


def test_an_evaluation_stores_the_72_hour_checkpoint():
    patient, treatment = no_response_story(days=2)

    with time_machine.travel(PATCH_AT + dt.timedelta(hours=30), tick=False):
        patient_evaluate(patient_id=patient.pk)

    assert due_at(treatment) == DUE_72H


def test_a_low_logger_waits_for_the_7_day_checkpoint_after_72_hours():
    patient, treatment = no_response_story(per_day=(12,), days=2)  # two entries by 72 h

    with time_machine.travel(DUE_72H + dt.timedelta(minutes=1), tick=False):
        patient_evaluate(patient_id=patient.pk)

    # The end of the patient's local day 7 (UTC here).
    assert due_at(treatment) == dt.datetime(2026, 3, 18, 0, 0, tzinfo=dt.UTC)


def test_a_next_treatment_leaves_nothing_to_wait_for():
    patient, treatment = no_response_story(days=1)
    TreatmentFactory(patient=patient, performed_at=PATCH_AT + dt.timedelta(days=1))

    with time_machine.travel(PATCH_AT + dt.timedelta(days=1, hours=1), tick=False):
        patient_evaluate(patient_id=patient.pk)

    assert due_at(treatment) is None


# --- Claimed and judged when due ---------------------------------------------------------


def test_nothing_is_claimed_before_it_is_due():
    patient, _ = no_response_story()
    patient_evaluate(patient_id=patient.pk, now=PATCH_AT + dt.timedelta(hours=30))

    assert checkpoints_claim(now=DUE_72H - dt.timedelta(seconds=1)) == {}


def test_a_due_checkpoint_is_judged_once_and_then_waits_for_nothing():
    patient, treatment = no_response_story()
    patient_evaluate(patient_id=patient.pk, now=PATCH_AT + dt.timedelta(hours=30))
    assert not Flag.objects.exists()

    claimed = checkpoints_claim(now=DUE_72H)
    [result] = checkpoints_judge(treatments=claimed, now=DUE_72H)

    assert claimed == {str(patient.pk): [treatment.pk]}
    assert [flag.kind for flag in result.raised] == ["no_response"]
    assert due_at(treatment) is None
    assert checkpoints_claim(now=DUE_72H + 2 * LEASE) == {}


def test_only_the_due_treatments_are_judged():
    patient, treatment = no_response_story()
    earlier = TreatmentFactory(patient=patient, performed_at=PATCH_AT - dt.timedelta(days=200))
    patient_evaluate(patient_id=patient.pk, now=PATCH_AT + dt.timedelta(hours=30))
    # A mark on the earlier treatment's row, far from the due one's window: a
    # judgement of every treatment would write it back.
    TreatmentFollowUp.objects.filter(treatment=earlier).update(upright_entries_7d=99)

    claimed = checkpoints_claim(now=DUE_72H)
    checkpoints_judge(treatments=claimed, now=DUE_72H)

    assert claimed == {str(patient.pk): [treatment.pk]}
    assert Flag.objects.get().treatment_id == treatment.pk
    assert due_at(treatment) is None
    assert TreatmentFollowUp.objects.get(treatment=earlier).upright_entries_7d == 99


def test_the_task_claims_and_judges_what_is_due():
    patient, treatment = no_response_story()
    patient_evaluate(patient_id=patient.pk, now=PATCH_AT + dt.timedelta(hours=30))

    with time_machine.travel(DUE_72H + dt.timedelta(seconds=30), tick=False):
        assert tasks.judge_due_checkpoints.delay().get() == 1

    assert Flag.objects.get().kind == "no_response"
    assert due_at(treatment) is None


def test_a_deleted_treatment_is_not_claimed_and_stops_waiting():
    patient, treatment = no_response_story()
    patient_evaluate(patient_id=patient.pk, now=PATCH_AT + dt.timedelta(hours=30))
    treatment.deleted_at = PATCH_AT + dt.timedelta(hours=40)
    treatment.save()

    assert checkpoints_claim(now=DUE_72H) == {}
    assert due_at(treatment) is None


def test_a_claim_whose_worker_died_is_claimed_again_after_its_lease():
    patient, treatment = no_response_story()
    patient_evaluate(patient_id=patient.pk, now=PATCH_AT + dt.timedelta(hours=30))
    assert checkpoints_claim(now=DUE_72H) == {str(patient.pk): [treatment.pk]}
    # ... and the worker that was to judge it is killed: nothing is judged.

    assert checkpoints_claim(now=DUE_72H + dt.timedelta(minutes=1)) == {}
    assert checkpoints_claim(now=DUE_72H + LEASE - dt.timedelta(seconds=1)) == {}
    again = checkpoints_claim(now=DUE_72H + LEASE)
    checkpoints_judge(treatments=again, now=DUE_72H + LEASE)

    assert again == {str(patient.pk): [treatment.pk]}
    assert Flag.objects.get().kind == "no_response"
    assert due_at(treatment) is None


# --- Two beat processes at once, on the real PostgreSQL -----------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_beats_judge_each_due_checkpoint_once(postgres_only):
    stories = [no_response_story() for _ in range(12)]
    patients = [patient for patient, _ in stories]
    for patient in patients:
        patient_evaluate(patient_id=patient.pk, now=PATCH_AT + dt.timedelta(hours=30))
    judged: list[tuple[str, int]] = []
    notified: list[str] = []
    lock = threading.Lock()

    def on_flag(sender, flag_id, **kwargs):
        with lock:
            notified.append(str(flag_id))

    def beat():
        # One beat run: claim small slices until nothing is due, judging each at once.
        while claimed := checkpoints_claim(now=DUE_72H, limit=2):
            checkpoints_judge(treatments=claimed, now=DUE_72H)
            with lock:
                judged.extend((p, pk) for p, pks in claimed.items() for pk in pks)

    flag_raised.connect(on_flag, weak=False)
    try:
        run_together(beat, beat)
    finally:
        flag_raised.disconnect(on_flag)

    # Each once, none missed.
    assert sorted(judged) == sorted((str(p.pk), t.pk) for p, t in stories)
    flags = list(Flag.objects.values_list("patient_id", "kind"))
    assert sorted(flags) == sorted((p.pk, "no_response") for p in patients)
    assert len(notified) == len(patients) == len(set(notified))
    assert not TreatmentFollowUp.objects.filter(next_checkpoint_at__isnull=False).exists()


# --- The schedule --------------------------------------------------------------------------


def test_checkpoints_are_claimed_every_minute_and_the_full_sweep_runs_daily():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["judge-due-checkpoints"]["task"] == "diary.tasks.judge_due_checkpoints"
    assert schedule["judge-due-checkpoints"]["schedule"] == 60
    assert schedule["sweep-relapses"]["schedule"] == 24 * 3600
    assert "diary.tasks.judge_due_checkpoints" in BEAT_START_TASKS
    assert "diary.tasks.sweep_relapses" in BEAT_START_TASKS


def test_the_daily_sweep_fills_checkpoints_of_rows_judged_before_they_were_stored():
    patient, treatment = no_response_story(days=1)
    now = PATCH_AT + dt.timedelta(days=1, hours=1)
    patient_evaluate(patient_id=patient.pk, now=now)
    TreatmentFollowUp.objects.update(next_checkpoint_at=None)  # as after the migration

    with time_machine.travel(now, tick=False):
        tasks.sweep_relapses.delay().get()

    assert due_at(treatment) == DUE_72H
