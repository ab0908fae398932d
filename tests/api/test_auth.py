import datetime as dt
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import Role, User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(username, password=PASSWORD):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def test_login_gives_access_and_refresh_tokens(cast):
    response = login("alice")
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_wrong_password_is_a_401_in_the_error_shape(cast):
    response = login("alice", "wrong")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "no_active_account"


def test_refresh_rotates_and_the_old_refresh_token_dies(cast):
    # v1.1: the old token dies after a 30-second grace (tests/api/test_token_families.py).
    old = login("alice").json()["refresh"]
    client = APIClient()

    rotated = client.post("/api/v1/auth/token/refresh/", {"refresh": old}, format="json")
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=31)):
        reused = client.post("/api/v1/auth/token/refresh/", {"refresh": old}, format="json")

    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"} and rotated.json()["refresh"] != old
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "token_reused"


def test_logout_kills_the_refresh_token(cast):
    refresh = login("alice").json()["refresh"]
    client = APIClient()

    logout = client.post("/api/v1/auth/logout/", {"refresh": refresh}, format="json")
    after = client.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")

    assert logout.status_code == 205
    assert after.status_code == 401


def test_logout_with_a_bad_token_is_a_400(cast):
    response = APIClient().post("/api/v1/auth/logout/", {"refresh": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "token_not_valid"


def test_access_token_expires(cast, settings):
    access = login("alice").json()["access"]
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert client.get("/api/v1/me/").status_code == 200
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)):
        assert client.get("/api/v1/me/").status_code == 401


def test_me_tells_role_clinic_and_own_patient(cast, api):
    me = api(cast.patient_a.user).get("/api/v1/me/").json()
    staff = api(cast.coordinator).get("/api/v1/me/").json()

    assert me == {
        "id": cast.patient_a.user.pk,
        "username": "alice",
        "role": "patient",
        "clinic": cast.clinic.pk,
        "patient": str(cast.patient_a.pk),
    }
    assert (staff["role"], staff["clinic"], staff["patient"]) == (
        "coordinator",
        cast.clinic.pk,
        None,
    )


# --- Enrolment -------------------------------------------------------------


def enrol(api, coordinator, **extra):
    body = {"display_name": "Carla", "timezone": "Europe/Zurich", **extra}
    return api(coordinator).post("/api/v1/patients/", body, format="json")


def claim(code, username="carla", password="a long safe passphrase"):
    body = {"code": code, "username": username, "password": password}
    return APIClient().post("/api/v1/auth/enroll/", body, format="json")


def test_coordinator_enrols_and_the_phone_claims_the_code_once(cast, api):
    enrolled = enrol(api, cast.coordinator, condition="pdph", clinicians=[cast.clinician_on.pk])
    assert enrolled.status_code == 201
    data = enrolled.json()
    assert (data["condition"], data["clinicians"], data["enrolled"]) == (
        "pdph",
        [cast.clinician_on.pk],
        False,
    )

    first = claim(data["enrollment_code"])
    second = claim(data["enrollment_code"], username="mallory")

    assert first.status_code == 201 and set(first.json()) == {"access", "refresh"}
    assert second.status_code == 400
    assert second.json()["error"]["code"] == "enrollment_refused"
    user = User.objects.get(username="carla")
    assert (user.role, str(user.patient.pk)) == (Role.PATIENT, data["id"])
    assert not User.objects.filter(username="mallory").exists()


def test_a_username_taken_by_a_concurrent_enrolment_is_a_400_and_keeps_the_code(
    cast, api, monkeypatch
):
    code = enrol(api, cast.coordinator).json()["enrollment_code"]
    # The other phone's account is saved after this one's checks passed.
    monkeypatch.setattr(User, "full_clean", lambda self, **kwargs: None)
    User.objects.create_user(username="carla", password="x" * 20, role=Role.PATIENT)

    response = claim(code)

    assert response.status_code == 400
    assert "username" in response.json()["error"]["fields"]
    monkeypatch.undo()
    assert claim(code, username="carla2").status_code == 201


def test_code_is_forgiving_about_case_and_dashes(cast, api):
    code = enrol(api, cast.coordinator).json()["enrollment_code"]
    assert claim(code.lower().replace("-", " ")).status_code == 201


def test_expired_code_is_refused(cast, api, settings):
    code = enrol(api, cast.coordinator).json()["enrollment_code"]
    later = dt.datetime.now(dt.UTC) + settings.ENROLLMENT_CODE_TTL + dt.timedelta(minutes=1)
    with time_machine.travel(later):
        assert claim(code).status_code == 400


def test_a_new_code_replaces_the_old_one(cast, api):
    data = enrol(api, cast.coordinator).json()
    url = f"/api/v1/patients/{data['id']}/enrollment-code/"
    new_code = api(cast.coordinator).post(url).json()["enrollment_code"]

    assert claim(data["enrollment_code"]).status_code == 400
    assert claim(new_code).status_code == 201


def test_weak_password_or_taken_username_is_refused_and_the_code_still_works(cast, api):
    code = enrol(api, cast.coordinator).json()["enrollment_code"]

    weak = claim(code, password="123")
    taken = claim(code, username="alice")

    assert weak.status_code == 400 and "password" in weak.json()["error"]["fields"]
    assert taken.status_code == 400 and "username" in taken.json()["error"]["fields"]
    assert claim(code).status_code == 201


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"condition": "migraine"}, "condition"),
        ({"display_name": ""}, "display_name"),
        ({"clinicians": ["x"]}, "clinicians"),
    ],
)
def test_enrolment_validates_its_fields(cast, api, extra, field):
    response = enrol(api, cast.coordinator, **extra)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_enrolment_refuses_clinicians_of_another_clinic(cast, api):
    response = enrol(api, cast.coordinator_other, clinicians=[cast.clinician_on.pk])
    assert response.status_code == 400
    assert "clinicians" in response.json()["error"]["fields"]


def test_enrolled_patient_is_in_the_coordinators_clinic_whatever_the_body_says(cast, api):
    response = enrol(api, cast.coordinator, clinic=cast.other_clinic.pk)
    assert response.json()["clinic"] == cast.clinic.pk


def test_enrolment_guessing_is_throttled(cast, settings):
    from django.core.cache import cache

    cache.clear()
    responses = [claim("AAAA-BBBB-CCCC").status_code for _ in range(12)]
    cache.clear()
    assert responses[:10] == [400] * 10
    assert responses[10:] == [429, 429]


# --- Staff accounts ------------------------------------------------------------


def test_createstaff_reads_the_password_from_stdin_and_creates_the_clinic():
    out = io.StringIO()
    call_command(
        "createstaff",
        "dr_new",
        role="clinician",
        clinic="New Clinic",
        stdin=io.StringIO("a long safe passphrase\n"),
        stdout=out,
    )
    user = User.objects.get(username="dr_new")
    assert (user.role, user.clinic.name) == ("clinician", "New Clinic")
    assert user.check_password("a long safe passphrase")
    assert login("dr_new", "a long safe passphrase").status_code == 200


@pytest.mark.parametrize("stdin", ["\n", "short\n"], ids=["empty password", "password too weak"])
def test_createstaff_refuses_a_missing_or_weak_password(stdin):
    with pytest.raises(CommandError):
        call_command(
            "createstaff", "dr_x", role="coordinator", clinic="C", stdin=io.StringIO(stdin)
        )
    assert not User.objects.filter(username="dr_x").exists()
