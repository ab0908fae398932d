import io

import pytest
from django.core.management import call_command

from diary.models import Flag, Patient, SymptomEntry, Treatment

pytestmark = pytest.mark.django_db


def counts():
    return (Patient.objects.count(), SymptomEntry.objects.count(), Treatment.objects.count())


def test_demo_diaries_tell_their_stories_and_seeding_twice_changes_nothing(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    first = counts()
    versions = list(Patient.objects.order_by("pk").values_list("diary_version", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())

    assert first == counts() and first[0] == 3
    assert versions == list(Patient.objects.order_by("pk").values_list("diary_version", flat=True))
    flags = {f.patient.user.username: f.kind for f in Flag.objects.select_related("patient__user")}
    assert flags == {"tom": "relapse", "ana": "no_response"}  # maria's patch holds
