"""`Patient.objects.visible_to`, the one rule every diary query goes through."""

import pytest

from diary.models import Patient
from tests.factories import ClinicianFactory

pytestmark = pytest.mark.django_db


def test_a_clinician_of_another_clinic_on_the_team_by_mistake_sees_nothing(cast, api):
    stranger = ClinicianFactory(clinic=cast.other_clinic)
    cast.patient_a.care_team.add(stranger)

    assert not Patient.objects.visible_to(stranger).exists()
    assert api(stranger).get(f"/api/v1/patients/{cast.patient_a.pk}/").status_code == 404


def test_the_care_team_of_the_same_clinic_sees_the_patient(cast):
    assert list(Patient.objects.visible_to(cast.clinician_on)) == [cast.patient_a]
