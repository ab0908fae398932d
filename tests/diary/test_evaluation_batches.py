"""The sweep judges patients in batches: each by its own diary and clinic, at a fixed
number of statements however many patients or entries (issue 3's sweep benchmark)."""

import datetime as dt
import uuid

import pytest

from diary.models import ClinicThresholds, Flag
from diary.services import evaluation
from diary.services.evaluation import patient_evaluate, patients_evaluate
from tests.factories import EntryFactory, PatientFactory, TreatmentFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
PATCH_AT = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
RELAPSE = [8, 8, 8, 8, 8, 8, 8, 2, 2, 8, 8, 8]  # 7 baseline days, patch, relief, back
HOLDS = [8, 8, 8, 8, 8, 8, 8, 2, 2, 2, 2, 2]


def patched_patient(scores, *, days_before=7, **patient):
    """A patient with a patch at PATCH_AT and two standing entries a day from
    `days_before` days before it, one score a day."""
    patient = PatientFactory(**patient)
    TreatmentFactory(patient=patient, performed_at=PATCH_AT)
    start = PATCH_AT - dt.timedelta(days=days_before)
    for day, score in enumerate(scores):
        for hour in (8, 20):
            at = start.replace(hour=hour) + dt.timedelta(days=day)
            EntryFactory(patient=patient, recorded_at=at, headache=score)
    return patient


def test_a_batch_judges_each_patient_by_its_own_diary_and_clinic(monkeypatch):
    monkeypatch.setattr(evaluation, "SWEEP_BATCH", 2)  # three transactions for five ids
    relapsed = patched_patient(RELAPSE)
    held = patched_patient(HOLDS)
    strict = patched_patient(RELAPSE)
    ClinicThresholds.objects.create(clinic=strict.clinic, overrides={"relapse_min_score": 9})
    untreated = PatientFactory()
    gone = uuid.uuid4()
    ids = [str(relapsed.pk), str(held.pk), str(strict.pk), str(untreated.pk), str(gone)]

    results = patients_evaluate(patient_ids=ids, now=NOW)

    assert [r.patient_id for r in results] == ids
    assert [[f.kind for f in r.raised] for r in results] == [["relapse"], [], [], [], []]
    assert list(Flag.objects.values_list("patient_id", flat=True)) == [relapsed.pk]


def test_one_evaluation_takes_the_same_statements_however_long_the_diary(
    django_assert_num_queries,
):
    short = patched_patient(RELAPSE)
    long = patched_patient([8] * 37 + RELAPSE[7:], days_before=37)
    TreatmentFactory(patient=long, performed_at=PATCH_AT - dt.timedelta(days=20))
    for patient in (short, long):
        patient_evaluate(patient_id=patient.pk, now=NOW)  # raise what there is to raise

    for patient in (short, long):
        # SAVEPOINT, lock the patient (with the clinic's thresholds), treatments,
        # entries, flags, follow-ups, RELEASE: nothing per entry, treatment or flag
        # (and no follow-up written when nothing changed).
        with django_assert_num_queries(7):
            patient_evaluate(patient_id=patient.pk, now=NOW)


def test_a_sweep_batch_costs_the_same_statements_for_one_patient_or_many(
    django_assert_num_queries,
):
    patients = [patched_patient(RELAPSE if i % 2 else HOLDS) for i in range(6)]
    ids = [str(p.pk) for p in patients]
    patients_evaluate(patient_ids=ids, now=NOW)

    with django_assert_num_queries(7):
        patients_evaluate(patient_ids=ids[:1], now=NOW)
    with django_assert_num_queries(7):
        patients_evaluate(patient_ids=ids, now=NOW)


def test_entry_times_reach_the_judgement_to_the_microsecond():
    patient = PatientFactory()
    TreatmentFactory(patient=patient, performed_at=PATCH_AT)
    for day in range(-3, 0):
        EntryFactory(patient=patient, recorded_at=PATCH_AT + dt.timedelta(days=day), headache=8)
    EntryFactory(patient=patient, recorded_at=PATCH_AT + dt.timedelta(hours=20), headache=2)
    back = PATCH_AT + dt.timedelta(days=3, microseconds=123456)
    EntryFactory(patient=patient, recorded_at=back, headache=8)
    last = EntryFactory(patient=patient, recorded_at=back + dt.timedelta(hours=12), headache=9)

    [flag] = patient_evaluate(patient_id=patient.pk, now=NOW).raised

    assert flag.kind == "relapse"
    assert flag.proven_at == last.recorded_at
    recurrence = flag.evidence["recurrence"]
    assert recurrence["span_hours"] == 12
    assert [e["recorded_at"] for e in recurrence["entries"]] == [
        "2026-03-13T12:00:00.123456+00:00",
        "2026-03-14T00:00:00.123456+00:00",
    ]


def test_only_the_entries_a_judgement_can_read_are_loaded_and_none_it_needs_is_missed():
    patient = PatientFactory()
    TreatmentFactory(patient=patient, performed_at=PATCH_AT)
    at = PATCH_AT.replace(hour=8)
    # The only baseline is 20 days back (the 30-day look-back); relief the next day;
    # back up on the last day of the 90-day window.
    for when, score in [(-31, 1), (-20, 8), (1, 2), (89, 8), (89.5, 9), (90.2, 1)]:
        EntryFactory(patient=patient, recorded_at=at + dt.timedelta(days=when), headache=score)

    [flag] = patient_evaluate(patient_id=patient.pk, now=PATCH_AT + dt.timedelta(days=95)).raised

    assert flag.kind == "relapse"
    assert flag.evidence["baseline"]["method"] == "30_days"
    assert flag.evidence["baseline"]["value"] == 8
    assert flag.evidence["recurrence"]["span_hours"] == 12
