"""The notification endpoints: devices, logout, inbox, preferences, reminders."""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from notifications.models import Device, InboxItem
from tests.factories import FlagFactory, TreatmentFactory

pytestmark = pytest.mark.django_db


def register(client, token, platform="android"):
    return client.post("/api/v1/devices/", {"platform": platform, "token": token}, format="json")


# --- Devices and logout -------------------------------------------------------------------


def test_a_token_registered_by_two_logins_is_kept_for_each(cast, api):
    assert register(api(cast.patient_a.user), "shared-phone").status_code == 201
    assert register(api(cast.patient_a.user), "shared-phone", "ios").status_code == 200

    other = register(api(cast.patient_b.user), "shared-phone", platform="ios")

    assert other.status_code == 201
    devices = Device.objects.filter(token="shared-phone")
    assert {(d.user, d.platform) for d in devices} == {
        (cast.patient_a.user, "ios"),
        (cast.patient_b.user, "ios"),
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [({"platform": "windows", "token": "x"}, "platform"), ({"platform": "ios"}, "token")],
)
def test_a_bad_device_is_refused_in_the_contract_shape(cast, api, body, field):
    response = api(cast.patient_a.user).post("/api/v1/devices/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


def logout(user, **extra):
    refresh = str(RefreshToken.for_user(user))
    return APIClient().post("/api/v1/auth/logout/", {"refresh": refresh, **extra}, format="json")


@pytest.fixture
def phones(cast):
    a, b = cast.patient_a.user, cast.patient_b.user
    for user, token in ((a, "a-phone"), (a, "a-tablet"), (b, "b-phone")):
        Device.objects.create(user=user, platform="ios", token=token)


def tokens():
    return set(Device.objects.values_list("token", flat=True))


def test_logout_naming_a_device_forgets_that_token_only(cast, phones):
    assert logout(cast.patient_a.user, device_token="a-phone").status_code == 205
    assert tokens() == {"a-tablet", "b-phone"}


def test_logout_everywhere_forgets_every_token_of_the_caller(cast, phones):
    assert logout(cast.patient_a.user, all_devices=True).status_code == 205
    assert tokens() == {"b-phone"}


def test_logout_everywhere_forgets_every_push_token_of_the_caller_too(cast, phones):
    assert logout(cast.patient_a.user, everywhere=True).status_code == 205
    assert tokens() == {"b-phone"}


def test_logout_cannot_remove_someone_elses_token(cast, phones):
    assert logout(cast.patient_a.user, device_token="b-phone").status_code == 205
    assert tokens() == {"a-phone", "a-tablet", "b-phone"}


def test_plain_logout_keeps_the_devices(cast, phones):
    assert logout(cast.patient_a.user).status_code == 205
    assert len(tokens()) == 3


def test_a_failed_logout_removes_nothing(cast, phones):
    response = APIClient().post(
        "/api/v1/auth/logout/", {"refresh": "nope", "all_devices": True}, format="json"
    )
    assert response.status_code == 400
    assert len(tokens()) == 3


# --- The inbox --------------------------------------------------------------------------


@pytest.fixture
def inbox(cast):
    flags = [
        FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a), kind=kind)
        for kind in ("relapse", "no_response")
    ]
    for flag in flags:
        InboxItem.objects.create(
            recipient=cast.clinician_on, flag=flag, reason="raised", created_at=flag.detected_at
        )
    # An escalation of the first flag: still one unread flag, not two.
    InboxItem.objects.create(
        recipient=cast.clinician_on,
        flag=flags[0],
        reason="escalated",
        created_at=flags[0].detected_at,
    )
    InboxItem.objects.create(
        recipient=cast.coordinator,
        flag=flags[0],
        reason="escalated",
        created_at=flags[0].detected_at,
    )
    return flags


def unread(client):
    return client.get("/api/v1/notifications/inbox/unread-count/").json()["unread"]


def test_opening_a_flag_marks_it_read_for_that_clinician_only(cast, api, inbox):
    clinician, coordinator = api(cast.clinician_on), api(cast.coordinator)
    assert (unread(clinician), unread(coordinator)) == (2, 1)

    assert clinician.get(f"/api/v1/flags/{inbox[0].pk}/").status_code == 200

    assert (unread(clinician), unread(coordinator)) == (1, 1)
    listed = clinician.get("/api/v1/notifications/inbox/?unread=true").json()["results"]
    assert [item["flag"] for item in listed] == [str(inbox[1].pk)]
    everything = clinician.get("/api/v1/notifications/inbox/").json()["results"]
    assert len(everything) == 3
    assert {item["patient_name"] for item in everything} == {"Alice"}


def test_a_flag_out_of_reach_is_404_and_reads_nothing(cast, api, inbox):
    response = api(cast.clinician_off).get(f"/api/v1/flags/{inbox[0].pk}/")
    assert response.status_code == 404
    assert unread(api(cast.clinician_on)) == 2


def test_a_clinician_taken_off_the_team_no_longer_sees_those_flags(cast, api, inbox):
    clinician = api(cast.clinician_on)
    cast.patient_a.care_team.remove(cast.clinician_on)

    assert unread(clinician) == 0
    assert clinician.get("/api/v1/notifications/inbox/").json()["results"] == []


@pytest.mark.parametrize("items", [2, 30])
def test_the_inbox_list_costs_the_same_for_any_size(cast, api, django_assert_num_queries, items):
    for _ in range(items):
        flag = FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a))
        InboxItem.objects.create(
            recipient=cast.clinician_on, flag=flag, reason="raised", created_at=flag.detected_at
        )
    client = api(cast.clinician_on)
    # savepoint, user, count, page (with flag and patient joined), release
    with django_assert_num_queries(5):
        assert client.get("/api/v1/notifications/inbox/").status_code == 200


# --- Preferences ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"email_mode": "hourly"}, "email_mode"),
        ({"digest_time": "25:00"}, "digest_time"),
    ],
)
def test_bad_preferences_are_refused_with_the_field(cast, api, body, field):
    response = api(cast.clinician_on).patch(
        "/api/v1/notifications/preferences/", body, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_email_can_be_turned_off(cast, api):
    client = api(cast.clinician_on)
    client.patch("/api/v1/notifications/preferences/", {"email_enabled": False}, format="json")

    assert client.get("/api/v1/notifications/preferences/").json()["email_enabled"] is False


@pytest.mark.parametrize("at", ["22:00", "03:15", "06:59"])
def test_a_daily_reminder_in_quiet_hours_is_refused(cast, api, at):
    response = api(cast.patient_a.user).patch(
        "/api/v1/reminders/preferences/", {"daily_enabled": True, "daily_time": at}, format="json"
    )

    assert response.status_code == 400
    assert "daily_time" in response.json()["error"]["fields"]
