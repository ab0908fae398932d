"""v1.1 patient account: profile, password change, reset codes and links."""

import datetime as dt

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEvent
from diary.models import ResetCode
from notifications.models import Reminder, ReminderPreference
from notifications.services.reminders import reminder_preference_update
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a new and long passphrase"


def login(username, password=PASSWORD):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def bearer(access):
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {access}")


def refresh(token):
    return APIClient().post("/api/v1/auth/token/refresh/", {"refresh": token}, format="json")


# --- Profile -------------------------------------------------------------------


def test_a_patient_reads_their_own_profile(cast, api):
    response = api(cast.patient_a.user).get("/api/v1/me/profile/")

    assert response.status_code == 200
    assert response.json() == {
        "display_name": "Alice",
        "timezone": "Europe/Zurich",
        "language": "en",
    }


def test_a_patient_changes_zone_and_language_and_the_diary_follows(cast, api):
    patient = cast.patient_a
    version = patient.diary_version

    response = api(patient.user).patch(
        "/api/v1/me/profile/", {"timezone": "America/New_York", "language": "de"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["timezone"] == "America/New_York"
    patient.refresh_from_db()
    patient.user.refresh_from_db()
    assert (patient.timezone, patient.user.language) == ("America/New_York", "de")
    # The zone moves later local days: the diary is versioned and judged again.
    assert patient.diary_version == version + 1
    assert patient.evaluation_requested_at is not None


def test_the_daily_reminder_moves_with_the_zone(cast, api):
    patient = cast.patient_a
    now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    reminder_preference_update(
        patient=patient, values={"daily_enabled": True, "daily_time": dt.time(19, 0)}, now=now
    )
    with time_machine.travel(now, tick=False):
        api(patient.user).patch(
            "/api/v1/me/profile/", {"timezone": "America/New_York"}, format="json"
        )

    assert ReminderPreference.objects.get(patient=patient).daily_enabled
    due = Reminder.objects.get(patient=patient).next_due_at
    assert due == dt.datetime(2026, 3, 3, 0, 0, tzinfo=dt.UTC)  # 19:00 in New York (EST)


@pytest.mark.parametrize(
    ("zone", "code"),
    [
        ("US/Eastern", "timezone_alias"),
        ("GMT0", "timezone_alias"),
        ("GMT", "timezone_alias"),
        ("Asia/Calcutta", "timezone_alias"),
        ("localtime", "timezone_alias"),
        ("Factory", "timezone_alias"),
        ("EST5EDT", "timezone_alias"),
        ("Mars/Olympus", "unknown_timezone"),
    ],
)
def test_alias_and_pseudo_zones_are_refused_with_a_field_code(cast, api, zone, code):
    response = api(cast.patient_a.user).patch(
        "/api/v1/me/profile/", {"timezone": zone}, format="json"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["field_codes"] == {"timezone": [code]}
    cast.patient_a.refresh_from_db()
    assert cast.patient_a.timezone == "Europe/Zurich"


def test_enrolment_refuses_an_alias_zone_too(cast, api):
    response = api(cast.coordinator).post(
        "/api/v1/patients/", {"display_name": "Eve", "timezone": "US/Eastern"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["field_codes"] == {"timezone": ["timezone_alias"]}


def test_staff_have_one_stored_zone_for_profile_and_digest(cast, api):
    client = api(cast.clinician_on)

    client.patch("/api/v1/me/profile/", {"timezone": "Asia/Tokyo"}, format="json")
    preferences = client.get("/api/v1/notifications/preferences/").json()
    client.patch("/api/v1/notifications/preferences/", {"timezone": "Europe/Paris"}, format="json")
    profile = client.get("/api/v1/me/profile/").json()

    assert preferences["timezone"] == "Asia/Tokyo"
    assert profile["timezone"] == "Europe/Paris"
    assert User.objects.get(pk=cast.clinician_on.pk).timezone == "Europe/Paris"


def test_staff_set_their_display_name(cast, api):
    response = api(cast.coordinator).patch(
        "/api/v1/me/profile/", {"display_name": "Dr. Coord"}, format="json"
    )

    assert response.json()["display_name"] == "Dr. Coord"
    assert User.objects.get(pk=cast.coordinator.pk).display_name == "Dr. Coord"


def test_an_unknown_language_is_refused(cast, api):
    response = api(cast.patient_a.user).patch(
        "/api/v1/me/profile/", {"language": "it"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["field_codes"] == {"language": ["invalid_choice"]}


# --- Password change -------------------------------------------------------------


def test_changing_the_password_logs_out_every_other_login(cast):
    here = login("alice").json()
    elsewhere = login("alice").json()

    response = bearer(here["access"]).post(
        "/api/v1/auth/password/",
        {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 204
    assert bearer(here["access"]).get("/api/v1/me/").status_code == 200
    assert refresh(here["refresh"]).status_code == 200
    assert bearer(elsewhere["access"]).get("/api/v1/me/").status_code == 401
    assert refresh(elsewhere["refresh"]).json()["error"]["code"] == "token_not_valid"
    assert login("alice").status_code == 401
    assert login("alice", NEW_PASSWORD).status_code == 200
    assert AuditEvent.objects.filter(action="password_change", outcome="success").exists()


def test_a_wrong_old_password_or_a_weak_new_one_is_a_field_error(cast, api):
    client = api(cast.patient_a.user)

    wrong = client.post(
        "/api/v1/auth/password/",
        {"old_password": "nope", "new_password": NEW_PASSWORD},
        format="json",
    )
    weak = client.post(
        "/api/v1/auth/password/", {"old_password": PASSWORD, "new_password": "12345"}, format="json"
    )

    assert wrong.status_code == 400
    assert wrong.json()["error"]["field_codes"] == {"old_password": ["wrong_password"]}
    assert weak.status_code == 400
    assert set(weak.json()["error"]["field_codes"]["new_password"]) >= {
        "password_too_short",
        "password_entirely_numeric",
    }
    assert User.objects.get(pk=cast.patient_a.user.pk).check_password(PASSWORD)


# --- Reset codes ------------------------------------------------------------------


def issue_reset_code(api, user, patient):
    return api(user).post(f"/api/v1/patients/{patient.pk}/reset-code/")


def reset(code, password=NEW_PASSWORD):
    return APIClient().post(
        "/api/v1/auth/reset/", {"code": code, "new_password": password}, format="json"
    )


def test_a_reset_code_sets_a_new_password_once_and_ends_every_earlier_login(cast, api, settings):
    settings.SITE_URL = "https://diary.example.org/"
    earlier = login("alice").json()
    issued = issue_reset_code(api, cast.clinician_on, cast.patient_a)
    assert issued.status_code == 201
    body = issued.json()
    assert body["link"] == f"https://diary.example.org/app/reset#code={body['reset_code']}"

    first = reset(body["reset_code"])
    second = reset(body["reset_code"], "yet another long passphrase")

    assert first.status_code == 200
    assert set(first.json()) == {"username", "access", "refresh"}
    assert first.json()["username"] == "alice"
    assert bearer(first.json()["access"]).get("/api/v1/me/").status_code == 200
    assert second.status_code == 400
    assert second.json()["error"]["code"] == "reset_refused"
    assert bearer(earlier["access"]).get("/api/v1/me/").status_code == 401
    assert refresh(earlier["refresh"]).status_code == 401
    assert login("alice", NEW_PASSWORD).status_code == 200
    actions = set(
        AuditEvent.objects.filter(patient_id=str(cast.patient_a.pk)).values_list(
            "action", "actor_username"
        )
    )
    assert {("reset_code", "dr_on"), ("password_reset", "alice")} <= actions


def test_a_reset_code_expires(cast, api, settings):
    code = issue_reset_code(api, cast.coordinator, cast.patient_a).json()["reset_code"]

    later = dt.datetime.now(dt.UTC) + settings.RESET_CODE_TTL + dt.timedelta(minutes=1)
    with time_machine.travel(later):
        response = reset(code)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "reset_refused"
    assert User.objects.get(pk=cast.patient_a.user.pk).check_password(PASSWORD)


def test_a_new_reset_code_replaces_the_earlier_one(cast, api):
    first = issue_reset_code(api, cast.coordinator, cast.patient_a).json()["reset_code"]
    second = issue_reset_code(api, cast.coordinator, cast.patient_a).json()["reset_code"]

    assert reset(first).status_code == 400
    assert reset(second).status_code == 200
    assert ResetCode.objects.filter(patient=cast.patient_a).count() == 2


def test_a_weak_new_password_does_not_spend_the_code(cast, api):
    code = issue_reset_code(api, cast.coordinator, cast.patient_a).json()["reset_code"]

    weak = reset(code, "alice")

    assert weak.status_code == 400
    assert "new_password" in weak.json()["error"]["field_codes"]
    assert reset(code).status_code == 200


def test_a_patient_without_a_login_gets_an_enrolment_code_instead(cast, api):
    from tests.factories import PatientFactory

    patient = PatientFactory(clinic=cast.clinic, user=None)

    response = issue_reset_code(api, cast.coordinator, patient)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_enrolled"


def test_an_enrolment_code_comes_with_its_link(cast, api, settings):
    settings.SITE_URL = "https://diary.example.org"
    body = (
        api(cast.coordinator)
        .post(
            "/api/v1/patients/", {"display_name": "Eve", "timezone": "Europe/Paris"}, format="json"
        )
        .json()
    )

    assert body["link"] == f"https://diary.example.org/app/enrol#code={body['enrollment_code']}"
