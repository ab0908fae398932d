import pytest

from tests.factories import ClinicianFactory


@pytest.fixture
def team(cast):
    """Patient A's care team with email addresses: dr_on and a second clinician."""
    cast.clinician_on.email = "dr_on@example.org"
    cast.clinician_on.save(update_fields=["email"])
    second = ClinicianFactory(username="dr_two", clinic=cast.clinic, email="dr_two@example.org")
    cast.patient_a.care_team.add(second)
    cast.coordinator.email = "coord@example.org"
    cast.coordinator.save(update_fields=["email"])
    return [cast.clinician_on, second]
