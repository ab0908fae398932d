"""Every evaluation keeps one follow-up row per treatment: what the clinic's outcomes read."""

import datetime as dt

import pytest

from diary.models import SymptomEntry, TreatmentFollowUp
from diary.services.evaluation import patient_evaluate, patients_evaluate
from tests.factories import EntryFactory, PatientFactory, TreatmentFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
PATCH_AT = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
RELAPSE = [8, 8, 8, 8, 8, 8, 8, 2, 2, 8, 8, 8]  # 7 baseline days, patch, relief, back


def story(scores, patient=None):
    """A patch at PATCH_AT, two standing entries a day (08:00, 20:00 UTC) from 7 days before."""
    patient = patient or PatientFactory(timezone="UTC")
    treatment = TreatmentFactory(patient=patient, performed_at=PATCH_AT)
    start = PATCH_AT - dt.timedelta(days=7)
    for day, score in enumerate(scores):
        for hour in (8, 20):
            at = start.replace(hour=hour) + dt.timedelta(days=day)
            EntryFactory(patient=patient, recorded_at=at, headache=score, posture="standing")
    return patient, treatment


def test_an_evaluation_stores_the_treatments_course():
    patient, treatment = story(RELAPSE)

    patient_evaluate(patient_id=patient.pk, now=NOW)

    row = TreatmentFollowUp.objects.get()
    assert (row.treatment, row.patient, row.updated_at) == (treatment, patient, NOW)
    assert (row.baseline, row.baseline_method) == (8, "7_days")
    # From 20:00 on 10 March (the patch was at noon) to 14 March: 9 upright entries.
    assert (row.upright_entries_7d, row.evaluable) == (9, True)
    assert row.improved_on == dt.date(2026, 3, 10)
    assert row.improved_at == dt.datetime(2026, 3, 10, 20, 0, tzinfo=dt.UTC)
    assert (row.improved_by_72h, row.improved_within_7d) == (True, True)
    assert row.relapse_proven_at == dt.datetime(2026, 3, 12, 20, 0, tzinfo=dt.UTC)
    assert row.followed_until == dt.datetime(2026, 3, 14, 20, 0, tzinfo=dt.UTC)  # last entry
    assert row.improvement_window_end == dt.datetime(2026, 3, 18, 0, 0, tzinfo=dt.UTC)


def test_an_unchanged_course_is_not_written_again():
    patient, _ = story(RELAPSE)
    patient_evaluate(patient_id=patient.pk, now=NOW)

    patient_evaluate(patient_id=patient.pk, now=NOW + dt.timedelta(hours=1))

    assert TreatmentFollowUp.objects.get().updated_at == NOW


def test_an_edit_that_changes_the_course_rewrites_it():
    patient, _ = story(RELAPSE)
    patient_evaluate(patient_id=patient.pk, now=NOW)
    # The patient corrects the bad days after the relief: the patch held.
    SymptomEntry.objects.filter(recorded_at__gte=PATCH_AT, headache=8).update(headache=2)

    later = NOW + dt.timedelta(hours=1)
    patient_evaluate(patient_id=patient.pk, now=later)

    row = TreatmentFollowUp.objects.get()
    assert (row.relapse_proven_at, row.updated_at) == (None, later)
    assert row.improved_within_7d


def test_a_sweep_batch_writes_every_patients_rows_in_one_statement(django_assert_num_queries):
    patients = [story([8] * 7 + [2] * 5)[0] for _ in range(4)]
    ids = [str(p.pk) for p in patients]
    patients_evaluate(patient_ids=ids, now=NOW)
    later = dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC)
    for patient in patients:  # one more day of follow-up for each
        EntryFactory(patient=patient, recorded_at=later, headache=2, posture="sitting")

    # SAVEPOINT, lock, treatments, entries, flags, follow-ups, one upsert of the
    # four changed rows, RELEASE.
    with django_assert_num_queries(8):
        patients_evaluate(patient_ids=ids, now=NOW + dt.timedelta(hours=1))

    assert list(TreatmentFollowUp.objects.values_list("followed_until", flat=True)) == [later] * 4


def test_a_once_a_day_logger_is_evaluable_and_judged_at_day_seven():
    patient = PatientFactory(timezone="UTC")
    TreatmentFactory(patient=patient, performed_at=PATCH_AT)
    for day in (-3, -2, -1, 1, 2, 4, 5):
        at = PATCH_AT + dt.timedelta(days=day)
        EntryFactory(patient=patient, recorded_at=at, headache=8, posture="sitting")

    [flag] = patient_evaluate(patient_id=patient.pk, now=NOW).raised

    assert (flag.kind, flag.evidence["follow_up"]["checkpoint"]) == ("no_response", "7d")
    assert flag.proven_at == dt.datetime(2026, 3, 18, 0, 0, tzinfo=dt.UTC)
    row = TreatmentFollowUp.objects.get()
    assert (row.evaluable, row.improved_within_7d) == (True, False)
