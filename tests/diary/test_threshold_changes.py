"""What a judgement reads moves with the clinic's thresholds: a change asks again.

The judged span kept on each patient (diary.services.changes) is computed from
the thresholds of the last judgement. Saving or removing a clinic's overrides,
or moving a patient to another clinic (or zone) in the admin, clears it and asks
for a full judgement, so the next job judges with the new rules and the writes
meanwhile all ask.
"""

import datetime as dt
import json

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from diary.models import ClinicThresholds, Patient, SymptomEntry, Treatment
from diary.services.changes import EVERYTHING
from diary.services.evaluation import patient_evaluate
from diary.services.records import record_create
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
PATCH_AT = NOW - dt.timedelta(days=100)
DEFAULT_SPAN = (PATCH_AT - dt.timedelta(days=30), PATCH_AT + dt.timedelta(days=90))
LONGER_SPAN = (PATCH_AT - dt.timedelta(days=30), PATCH_AT + dt.timedelta(days=180))


def judged(patient) -> Patient:
    """The patient with one treatment, judged with the thresholds of the day: nothing pending."""
    record_create(
        model=Treatment,
        patient=patient,
        values={"performed_at": PATCH_AT, "kind": "epidural_blood_patch"},
    )
    patient_evaluate(patient_id=patient.pk, now=NOW)
    return Patient.objects.get(pk=patient.pk)


def span(patient) -> tuple:
    row = Patient.objects.get(pk=patient.pk)
    return row.judged_from, row.judged_until


def pending(patient) -> tuple:
    row = Patient.objects.get(pk=patient.pk)
    return (
        row.evaluation_requested_at is not None,
        row.evaluation_moments_from,
        row.evaluation_moments_until,
    )


ASKED_EVERYTHING = (True, *EVERYTHING)
NOTHING_PENDING = (False, None, None)


def admin_request(admin_user):
    request = RequestFactory().post("/admin/")
    request.user = admin_user
    return request


def save_in_admin(model, obj, data, admin_user) -> None:
    model_admin = site._registry[model]
    request = admin_request(admin_user)
    change = obj.pk is not None
    form = model_admin.get_form(request, obj if change else None, change=change)(data, instance=obj)
    assert form.is_valid(), form.errors
    model_admin.save_model(request, form.save(commit=False), form, change=change)


@pytest.fixture
def stranger(cast):
    """A judged patient of another clinic, whose thresholds do not change."""
    return judged(PatientFactory(clinic=cast.other_clinic))


def test_new_thresholds_in_the_admin_ask_for_every_patient_of_the_clinic(
    cast, stranger, admin_user
):
    patient = judged(cast.patient_a)
    assert span(patient) == DEFAULT_SPAN
    assert pending(patient) == NOTHING_PENDING

    save_in_admin(
        ClinicThresholds,
        ClinicThresholds(clinic=cast.clinic),
        {"clinic": cast.clinic.pk, "overrides": json.dumps({"window_days": 180})},
        admin_user,
    )

    assert span(patient) == (None, None)  # every write asks until judged again
    assert pending(patient) == ASKED_EVERYTHING
    assert pending(cast.patient_b) == ASKED_EVERYTHING  # never judged: asked all the same
    assert span(stranger) == DEFAULT_SPAN
    assert pending(stranger) == NOTHING_PENDING
    # The outbox's job judges with the new window and keeps the span it reads now.
    patient_evaluate(patient_id=patient.pk, now=NOW, only_pending=True)
    assert span(patient) == LONGER_SPAN
    assert pending(patient) == NOTHING_PENDING


def test_a_rating_in_the_newly_covered_part_of_a_window_asks(cast, admin_user):
    patient = judged(cast.patient_a)
    thresholds = ClinicThresholds.objects.create(clinic=cast.clinic, overrides={})
    save_in_admin(
        ClinicThresholds,
        thresholds,
        {"clinic": cast.clinic.pk, "overrides": json.dumps({"window_days": 180})},
        admin_user,
    )
    # Say the outbox's mark was handed out and lost: what a write asks still counts.
    Patient.objects.filter(pk=patient.pk).update(
        evaluation_requested_at=None, evaluation_moments_from=None, evaluation_moments_until=None
    )
    late = PATCH_AT + dt.timedelta(days=120)  # outside the old span, inside the new one

    record_create(
        model=SymptomEntry,
        patient=patient,
        values={"recorded_at": late, "posture": "standing", "headache": 7},
    )

    assert pending(patient) == (True, late, late)


def test_removing_a_clinic_s_overrides_asks_for_its_patients(cast, admin_user):
    ClinicThresholds.objects.create(clinic=cast.clinic, overrides={"window_days": 180})
    patient = judged(cast.patient_a)
    assert span(patient) == LONGER_SPAN
    model_admin = site._registry[ClinicThresholds]

    model_admin.delete_queryset(
        admin_request(admin_user), ClinicThresholds.objects.filter(clinic=cast.clinic)
    )

    assert not ClinicThresholds.objects.exists()
    assert pending(patient) == ASKED_EVERYTHING
    patient_evaluate(patient_id=patient.pk, now=NOW, only_pending=True)
    assert span(patient) == DEFAULT_SPAN


def test_moving_a_patient_to_another_clinic_in_the_admin_asks(cast, admin_user):
    ClinicThresholds.objects.create(clinic=cast.other_clinic, overrides={"window_days": 180})
    patient = judged(cast.patient_a)
    untouched = judged(cast.patient_b)

    save_in_admin(
        Patient,
        patient,
        {
            "clinic": cast.other_clinic.pk,
            "display_name": patient.display_name,
            "timezone": patient.timezone,
            "condition": patient.condition,
        },
        admin_user,
    )

    assert pending(patient) == ASKED_EVERYTHING
    assert pending(untouched) == NOTHING_PENDING
    patient_evaluate(patient_id=patient.pk, now=NOW, only_pending=True)
    assert span(patient) == LONGER_SPAN


def test_renaming_a_patient_in_the_admin_asks_for_nothing(cast, admin_user):
    patient = judged(cast.patient_a)

    save_in_admin(
        Patient,
        patient,
        {
            "clinic": patient.clinic_id,
            "display_name": "Renamed",
            "timezone": patient.timezone,
            "condition": patient.condition,
        },
        admin_user,
    )

    assert pending(patient) == NOTHING_PENDING
    assert span(patient) == DEFAULT_SPAN
