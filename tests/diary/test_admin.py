"""The patient admin writes back only what its form changed."""

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from diary.models import Patient

pytestmark = pytest.mark.django_db


def test_saving_a_patient_in_the_admin_leaves_the_diary_version_alone(cast, admin_user):
    model_admin = site._registry[Patient]
    request = RequestFactory().post("/admin/")
    request.user = admin_user
    stale = Patient.objects.get(pk=cast.patient_a.pk)
    # Meanwhile a diary change moves the version and keeps a sync fingerprint.
    Patient.objects.filter(pk=stale.pk).update(diary_version=7, last_batch_digest="d" * 64)
    form_class = model_admin.get_form(request, stale, change=True)
    data = {
        "clinic": stale.clinic_id,
        "display_name": "Renamed",
        "timezone": stale.timezone,
        "condition": stale.condition,
    }
    form = form_class(data, instance=stale)
    assert form.is_valid(), form.errors

    model_admin.save_model(request, form.save(commit=False), form, change=True)

    saved = Patient.objects.get(pk=stale.pk)
    assert saved.display_name == "Renamed"
    assert (saved.diary_version, saved.last_batch_digest) == (7, "d" * 64)
