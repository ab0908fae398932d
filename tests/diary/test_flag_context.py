"""A flag's evidence quotes the upright hours and PGIC around it, when logged,
and the judgement never reads them."""

import datetime as dt

import pytest

from diary.analysis.context import Answer, flag_context, hours_before_after
from diary.models import Flag
from diary.services.evaluation import patient_evaluate, patients_evaluate
from diary.wording import flag_evidence_text
from tests.diary.test_evaluation_batches import NOW, PATCH_AT, RELAPSE, patched_patient
from tests.factories import DayLogFactory, ImpressionFactory

TREATMENT_DAY = dt.date(2026, 3, 10)


def test_the_weeks_around_a_treatment_leave_out_its_own_day():
    hours = {TREATMENT_DAY + dt.timedelta(days=d): float(d + 10) for d in range(-8, 9)}

    before, after = hours_before_after(hours, TREATMENT_DAY)

    assert (before.first, before.last, before.days_logged) == (
        dt.date(2026, 3, 3),
        dt.date(2026, 3, 9),
        7,
    )
    assert before.median_hours == 6.0  # days -7..-1
    assert (after.first, after.last, after.median_hours) == (
        dt.date(2026, 3, 11),
        dt.date(2026, 3, 17),
        14.0,
    )


def test_nothing_logged_quotes_nothing():
    context = flag_context(
        upright_hours={}, treatment_day=TREATMENT_DAY, proven_day=TREATMENT_DAY, answers=[]
    )
    assert context is None


def test_the_context_says_in_words_what_was_logged():
    context = flag_context(
        upright_hours={dt.date(2026, 3, 8): 2.0, dt.date(2026, 3, 12): 6.5},
        treatment_day=TREATMENT_DAY,
        proven_day=dt.date(2026, 3, 12),
        answers=[Answer("72h", 2)],
    )

    text = flag_evidence_text({"summary": "Upright headache back.", "patient_reported": context})

    assert text == (
        "Upright headache back. Upright a day (median): 2 h in the week before the treatment "
        "(1 of 7 days logged), 6.5 h in the week after (1 of 7 days logged), 4.25 h in the week "
        "up to the flag (2 of 7 days logged). PGIC 72 hours: 2 (much improved)."
    )


@pytest.mark.django_db
def test_a_new_flag_quotes_upright_hours_and_pgic_around_it():
    patient = patched_patient(RELAPSE)
    treatment = patient.treatment_set.get()
    for day, hours in ((-3, 1.5), (-1, 2), (2, 7), (4, 3)):
        DayLogFactory(
            patient=patient, date=TREATMENT_DAY + dt.timedelta(days=day), upright_hours=hours
        )
    ImpressionFactory(treatment=treatment, checkpoint="72h", score=2)

    [result] = patients_evaluate(patient_ids=[str(patient.pk)], now=NOW)

    [flag] = result.raised
    reported = flag.evidence["patient_reported"]
    assert reported["upright_hours"]["before_treatment"]["median_upright_hours"] == 1.75
    assert reported["upright_hours"]["after_treatment"]["median_upright_hours"] == 5.0
    assert reported["pgic"] == [{"checkpoint": "72h", "score": 2}]


@pytest.mark.django_db
def test_day_logs_and_pgic_never_change_the_judgement():
    quiet = patched_patient(RELAPSE)
    logged = patched_patient(RELAPSE)
    for day in range(-7, 12):
        DayLogFactory(patient=logged, date=TREATMENT_DAY + dt.timedelta(days=day), upright_hours=12)
    ImpressionFactory(treatment=logged.treatment_set.get(), checkpoint="7d", score=1)

    for patient in (quiet, logged):
        patient_evaluate(patient_id=patient.pk, now=NOW)

    kinds = {
        p.pk: list(Flag.objects.filter(patient=p).values_list("kind", "proven_at"))
        for p in (quiet, logged)
    }
    assert kinds[quiet.pk] == kinds[logged.pk] != []
    assert "patient_reported" not in Flag.objects.get(patient=quiet).evidence
    assert Flag.objects.get(patient=logged).proven_at > PATCH_AT


@pytest.mark.django_db
def test_quoting_costs_two_queries_for_a_whole_batch(django_assert_num_queries):
    patients = [patched_patient(RELAPSE) for _ in range(3)]
    for patient in patients:
        DayLogFactory(patient=patient, date=TREATMENT_DAY + dt.timedelta(days=2))
    ids = [str(p.pk) for p in patients]
    # SAVEPOINT, lock, treatments, entries, flags, follow-ups, day logs, PGIC,
    # per flag a savepoint, its insert and release, the follow-ups' upsert, the
    # judged spans (first judgement), RELEASE.
    with django_assert_num_queries(11 + 3 * 3):
        patients_evaluate(patient_ids=ids, now=NOW)
