import io

import pytest
from django.core.management import call_command

from diary.models import DayLog, Flag, Impression, Patient, SymptomEntry, Treatment

pytestmark = pytest.mark.django_db


def counts():
    return (
        Patient.objects.count(),
        SymptomEntry.objects.count(),
        Treatment.objects.count(),
        DayLog.objects.count(),
        Impression.objects.count(),
    )


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


def test_demo_diaries_have_weeks_of_day_logs_and_pgic_answers_quoted_by_the_flags(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())

    for patient in Patient.objects.all():
        assert DayLog.objects.filter(patient=patient).count() >= 21  # three weeks and more
        assert sorted(
            Impression.objects.filter(patient=patient).values_list("checkpoint", flat=True)
        ) == ["72h", "7d"]
    relapse = Flag.objects.get(kind="relapse")
    reported = relapse.evidence["patient_reported"]
    assert reported["pgic"] == [{"checkpoint": "72h", "score": 2}, {"checkpoint": "7d", "score": 6}]
    hours = reported["upright_hours"]
    assert hours["after_treatment"]["median_upright_hours"] > 0
