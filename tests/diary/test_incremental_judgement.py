"""A write judges again only what it can change, and that equals judging everything.

The property: after a diary with several treatments has been judged, any
sequence of writes through the services (ratings created, moved, re-scored,
deleted; treatments created, moved, deleted; the patient's time zone changed),
each followed now and then by the jobs, leaves flags and follow-up rows exactly
as a judgement of every treatment at the same moment leaves them. The jobs run
at increasing moments inside the follow-up windows, as in production: the
checkpoint job (what is due by then) and the outbox's job, so the 72 h and 7-day
checkpoints are live and compared, not long past.
"""

import datetime as dt
import uuid

from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from diary.models import Flag, SymptomEntry, Treatment, TreatmentFollowUp
from diary.services.checkpoints import checkpoints_claim, checkpoints_judge
from diary.services.evaluation import patient_evaluate, treatments_evaluate
from diary.services.profiles import profile_update
from diary.services.records import record_create, record_delete, record_update
from tests.factories import PatientFactory

BASE = dt.datetime(2026, 1, 5, 0, 0, tzinfo=dt.UTC)
NOW = BASE + dt.timedelta(days=400)  # past every checkpoint


def at(day: int, hour: int) -> dt.datetime:
    return BASE + dt.timedelta(days=day, hours=hour)


# Scores that make improvements, relapses and rebounds likely: low or high.
scores = st.sampled_from([1, 2, 3, 7, 8, 9])
postures = st.sampled_from(["standing", "sitting", "standing", "lying"])
entry = st.tuples(st.integers(-35, 140), st.integers(0, 23), postures, scores)
# Treatments close enough for one's holding days to fall in the next one's
# baseline, and now and then one far later (a gap between windows).
treatment_day = st.one_of(st.integers(0, 60), st.integers(150, 200))
# The first judgement, in hours after BASE: inside the first windows, mostly.
first_job = st.integers(0, 70 * 24)
# Hours from one job to the next: across a 72 h or 7-day checkpoint now and then.
job = st.tuples(st.just("job"), st.sampled_from([1, 20, 50, 73, 100, 170, 400]))
zones = st.sampled_from(["Europe/Zurich", "Pacific/Auckland", "America/Los_Angeles", "UTC"])
write = st.one_of(
    st.tuples(st.just("add"), entry),
    st.tuples(st.just("move"), st.integers(0, 10_000), st.integers(-40, 260), st.integers(0, 23)),
    st.tuples(st.just("score"), st.integers(0, 10_000), scores),
    st.tuples(st.just("delete"), st.integers(0, 10_000)),
    st.tuples(st.just("add_treatment"), treatment_day, st.integers(0, 23)),
    st.tuples(st.just("move_treatment"), st.integers(0, 10), treatment_day),
    st.tuples(st.just("delete_treatment"), st.integers(0, 10)),
    st.tuples(st.just("zone"), zones),
    job,  # the jobs run here (and always at the end)
)


def _state(patient):
    flags = sorted(
        Flag.objects.filter(patient=patient).values_list(
            "treatment__uuid",
            "kind",
            "proven_at",
            "still_supported",
            "evidence",
            "detected_at",
            "rechecked_at",
        ),
        key=lambda row: row[:2],
    )
    follow_ups = sorted(
        TreatmentFollowUp.objects.filter(patient=patient, treatment__deleted_at=None).values_list(
            "treatment__uuid", *TreatmentFollowUp.JUDGED_FIELDS
        )
    )
    return flags, follow_ups


def _jobs(patient, now: dt.datetime) -> None:
    """What beat and the worker do at `now`: the checkpoints due, the outbox's request."""
    checkpoints_judge(treatments=checkpoints_claim(now=now), now=now)
    patient_evaluate(patient_id=patient.pk, now=now, only_pending=True)


def _as_full_judgement(patient, now: dt.datetime):
    """Assert the stored flags and follow-up rows are what judging every treatment at
    `now` gives: judging everything changes nothing, and from scratch (flags and rows
    deleted) it gives the same rows and the same standing flags; those raised at `now`
    with the same proof and evidence. Both judgements are rolled back."""
    state = _state(patient)
    saved = transaction.savepoint()
    result = patient_evaluate(patient_id=patient.pk, now=now)
    assert (result.raised, result.no_longer_supported) == ([], 0)
    assert _state(patient) == state
    Flag.objects.filter(patient=patient).delete()
    TreatmentFollowUp.objects.filter(patient=patient).delete()
    patient_evaluate(patient_id=patient.pk, now=now)
    fresh_flags, fresh_rows = _state(patient)
    transaction.savepoint_rollback(saved)
    flags, rows = state
    assert rows == fresh_rows
    standing = {(t, kind) for t, kind, _, supported, *_ in flags if supported}
    assert standing == {(t, kind) for t, kind, *_ in fresh_flags}
    # A flag keeps the proof it was raised on: those raised now are the fresh ones.
    fresh = {(t, kind): (proven, evidence) for t, kind, proven, _, evidence, *_ in fresh_flags}
    raised_now = {
        (t, kind): (proven, evidence)
        for t, kind, proven, _, evidence, detected, _ in flags
        if detected == now
    }
    assert raised_now == {key: fresh[key] for key in raised_now}


class TestIncrementalEqualsFull(TestCase):
    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        treatments=st.lists(st.tuples(treatment_day, st.integers(0, 23)), min_size=1, max_size=3),
        entries=st.lists(entry, min_size=10, max_size=60),
        start=first_job,
        writes=st.lists(write, min_size=1, max_size=6),
        last=job,
    )
    # A relapse after a first patch, a second patch two days into it, and edits
    # in the first one's window: the second's baseline rests on the first's holding.
    @example(
        treatments=[(0, 10), (12, 10)],
        entries=[(d, h, "standing", 8) for d in range(-7, 0) for h in (8, 20)]
        + [(d, h, "standing", 2) for d in range(1, 9) for h in (8, 20)]
        + [(d, h, "standing", 8) for d in range(9, 12) for h in (8, 20)]
        + [(d, h, "standing", 2) for d in range(13, 20) for h in (8, 20)],
        start=13 * 24,
        writes=[("score", 20, 8), ("job", 20), ("score", 21, 9), ("move", 3, 100, 8)],
        last=("job", 100),
    )
    # A first patch holding through the second's whole baseline (which takes the
    # first's), then a relapse written early in the first window, further back than
    # the second's look-back: the second is judged against its own days again.
    @example(
        treatments=[(0, 10), (50, 10)],
        entries=[(d, h, "standing", 8) for d in range(-7, 0) for h in (8, 20)]
        + [(d, h, "standing", 2) for d in range(1, 60) for h in (8, 20)],
        start=51 * 24,
        writes=[("score", 23, 9), ("score", 24, 9)],  # day 5 20:00, day 6 08:00
        last=("job", 1),
    )
    # Censoring: the last upright entry, in a gap between windows, moves where the
    # first follow-up ends; written, and (below) deleted.
    @example(
        treatments=[(0, 10), (200, 10)],
        entries=[(d, h, "standing", 8) for d in range(-3, 0) for h in (8, 20)]
        + [(d, 8, "standing", 2) for d in range(1, 50)],
        start=60 * 24,
        writes=[("add", (150, 8, "standing", 5)), ("job", 1)],
        last=("job", 400),
    )
    @example(
        treatments=[(0, 10), (200, 10)],
        entries=[(d, h, "standing", 8) for d in range(-3, 0) for h in (8, 20)]
        + [(d, 8, "standing", 2) for d in range(1, 50)]
        + [(150, 8, "standing", 5)],
        start=60 * 24,
        writes=[("delete", 55)],
        last=("job", 1),
    )
    # A chain: the third patch's baseline is the second's, which is the first's (each
    # holding through the next one's look-back). A write in the third window alone
    # needs the first two judged alongside, on all their days.
    @example(
        treatments=[(0, 10), (40, 10), (80, 10)],
        entries=[(d, h, "standing", 8) for d in range(-7, 0) for h in (8, 20)]
        + [(d, h, "standing", 2) for d in range(1, 91) for h in (8, 20)],
        start=81 * 24,
        writes=[("add", (85, 12, "standing", 2))],
        last=("job", 20),
    )
    # No response to a first patch, its 72 h checkpoint passing between two jobs
    # while a write asks only for the second patch to be judged: the checkpoint
    # job raises the flag, the outbox's job judges the second; then a zone change
    # moves every local day and the 7-day checkpoint of a low logger.
    @example(
        treatments=[(0, 10), (150, 10)],
        entries=[(d, h, "standing", 8) for d in range(-7, 0) for h in (8, 20)]
        + [(d, h, "standing", 8) for d in range(4) for h in (8, 20)],
        start=40,
        writes=[("add", (151, 8, "standing", 2)), ("job", 50)],
        last=("job", 1),
    )
    @example(
        treatments=[(0, 10)],
        entries=[(d, h, "standing", 8) for d in range(-7, 0) for h in (8, 20)]
        + [(1, 20, "standing", 8), (5, 8, "standing", 8), (6, 23, "standing", 8)],
        start=20,
        writes=[("job", 100), ("zone", "Pacific/Auckland"), ("job", 20)],
        last=("job", 100),
    )
    def test_writes_then_jobs_leave_what_judging_everything_leaves(
        self, treatments, entries, start, writes, last
    ):
        patient = PatientFactory(timezone="Europe/Zurich")
        Treatment.objects.bulk_create(
            Treatment(patient=patient, performed_at=at(day, hour), kind="epidural_blood_patch")
            for day, hour in treatments
        )
        SymptomEntry.objects.bulk_create(
            SymptomEntry(patient=patient, recorded_at=at(day, hour), posture=p, headache=s)
            for day, hour, p, s in entries
        )
        now = BASE + dt.timedelta(hours=start)
        patient_evaluate(patient_id=patient.pk, now=now)  # the diary as first judged

        for step in [*writes, last]:
            if step[0] == "job":
                now += dt.timedelta(hours=step[1])
                _jobs(patient, now)
                _as_full_judgement(patient, now)
            else:
                _apply(patient, step)


def _apply(patient, step) -> None:
    kind = step[0]
    entries = list(SymptomEntry.objects.live().filter(patient=patient).order_by("pk"))
    treatments = list(Treatment.objects.live().filter(patient=patient).order_by("pk"))
    if kind == "zone":
        profile_update(user=patient.user, values={"timezone": step[1]})
    elif kind == "add":
        day, hour, posture, score = step[1]
        values = {"recorded_at": at(day, hour), "posture": posture, "headache": score}
        record_create(model=SymptomEntry, patient=patient, values=values, record_uuid=uuid.uuid4())
    elif kind in ("move", "score", "delete") and entries:
        record = entries[step[1] % len(entries)]
        if kind == "move":
            record_update(record=record, values={"recorded_at": at(step[2], step[3])})
        elif kind == "score":
            record_update(record=record, values={"headache": step[2]})
        else:
            record_delete(record=record)
    elif kind == "add_treatment":
        values = {"performed_at": at(step[1], step[2]), "kind": "epidural_blood_patch"}
        record_create(model=Treatment, patient=patient, values=values, record_uuid=uuid.uuid4())
    elif kind in ("move_treatment", "delete_treatment") and treatments:
        record = treatments[step[1] % len(treatments)]
        if kind == "move_treatment":
            moved = at(step[2], record.performed_at.hour)
            record_update(record=record, values={"performed_at": moved})
        else:
            record_delete(record=record)


class TestTreatmentsEvaluate(TestCase):
    def test_judging_some_treatments_leaves_the_others_and_the_outbox_alone(self):
        patient = PatientFactory()
        first, second = Treatment.objects.bulk_create(
            Treatment(patient=patient, performed_at=at(day, 10), kind="epidural_blood_patch")
            for day in (0, 200)
        )
        SymptomEntry.objects.bulk_create(
            SymptomEntry(patient=patient, recorded_at=at(d, h), posture="standing", headache=s)
            for d, s in [*((d, 8) for d in range(-7, 0)), *((d, 2) for d in range(1, 5))]
            for h in (8, 20)
        )
        patient.evaluation_requested_at = NOW
        patient.save(update_fields=["evaluation_requested_at"])

        treatments_evaluate(treatments={patient.pk: [first.pk]}, now=NOW)

        assert set(TreatmentFollowUp.objects.values_list("treatment_id", flat=True)) == {
            first.pk,
            second.pk,  # never judged: no row yet, so judged too
        }
        row = TreatmentFollowUp.objects.get(treatment=first)
        assert row.improved_within_7d is True
        patient.refresh_from_db()
        assert patient.evaluation_requested_at == NOW  # the outbox's request still stands
