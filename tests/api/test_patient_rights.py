"""Closing an account, and what happens to the diary afterwards."""

import datetime as dt

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEvent, RecordRevision
from diary.models import Flag, Patient, SymptomEntry
from diary.services.retention import closed_diaries_purge, patient_account_close
from diary.tasks import purge_closed_diaries
from notifications.models import Device
from notifications.services.reminders import checkins_schedule
from tests.factories import PASSWORD, EntryFactory, FlagFactory, TreatmentFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def login(username):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json"
    )


def test_a_closed_account_cannot_log_in_and_all_its_tokens_die(cast):
    first, second = login("alice").json(), login("alice").json()
    phone = APIClient()
    phone.credentials(HTTP_AUTHORIZATION=f"Bearer {first['access']}")

    assert phone.post("/api/v1/me/close/").status_code == 204

    assert phone.get("/api/v1/entries/").status_code == 401  # the access token in hand
    for tokens in (first, second):
        refreshed = APIClient().post(
            "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
        )
        assert refreshed.status_code == 401
    assert login("alice").status_code == 401
    user = User.objects.get(username="alice")
    assert not user.is_active and user.closed_at is not None


def test_closing_is_audited_once_and_closing_twice_changes_nothing(cast, api):
    with time_machine.travel(NOW, tick=False):
        api(cast.patient_a.user).post("/api/v1/me/close/")
    with time_machine.travel(NOW + dt.timedelta(days=3), tick=False):
        patient_account_close(user=User.objects.get(username="alice"))

    event = AuditEvent.objects.get(action="account_close")
    assert (event.patient_id, event.actor_username) == (cast.patient_a.pk, "alice")
    assert User.objects.get(username="alice").closed_at == NOW


def test_a_closed_diary_is_kept_for_the_retention_period_then_removed(cast, api):
    cast.clinic.retention_days = 30
    cast.clinic.save()
    treatment = TreatmentFactory(patient=cast.patient_a)
    FlagFactory(treatment=treatment)
    entry = EntryFactory(patient=cast.patient_a)
    with time_machine.travel(NOW, tick=False):
        api(cast.patient_a.user).patch(
            f"/api/v1/entries/{entry.uuid}/", {"headache": 1}, format="json"
        )
        api(cast.patient_a.user).post("/api/v1/me/close/")

    assert closed_diaries_purge(now=NOW + dt.timedelta(days=29)) == 0
    assert Patient.objects.filter(pk=cast.patient_a.pk).exists()

    with time_machine.travel(NOW + dt.timedelta(days=30, seconds=1), tick=False):
        assert purge_closed_diaries.delay().get() == 1
        assert purge_closed_diaries.delay().get() == 0  # safe to run twice

    assert not Patient.objects.filter(pk=cast.patient_a.pk).exists()
    assert not SymptomEntry.objects.filter(patient_id=cast.patient_a.pk).exists()
    assert not Flag.objects.filter(patient_id=cast.patient_a.pk).exists()
    assert not RecordRevision.objects.exists()
    assert not User.objects.filter(username="alice").exists()
    assert Patient.objects.filter(pk=cast.patient_b.pk).exists()  # B's account is open
    # The trail outlives the diary: it holds ids, never the health data.
    trail = AuditEvent.objects.filter(patient_id=cast.patient_a.pk)
    assert set(trail.values_list("action", flat=True)) == {"update", "account_close", "purge"}


def test_staff_cannot_close_their_account_through_the_api(cast, api):
    assert api(cast.clinician_on).post("/api/v1/me/close/").status_code == 403
    assert User.objects.get(pk=cast.clinician_on.pk).is_active


def test_a_closed_account_gets_no_more_reminders(cast, api):
    client = api(cast.patient_a.user)
    registered = client.post(
        "/api/v1/devices/", {"platform": "android", "token": "phone-token-1"}, format="json"
    )
    assert registered.status_code in (200, 201)
    TreatmentFactory(patient=cast.patient_a)

    client.post("/api/v1/me/close/")

    assert not Device.objects.filter(user=cast.patient_a.user).exists()
    assert checkins_schedule(now=dt.datetime.now(dt.UTC)) == 0
