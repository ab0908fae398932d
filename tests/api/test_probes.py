"""The holes found by probing the running service (issue 15, probes 1-8).

Each test failed before its fix.
"""

import csv
import io
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role, User
from audit.models import AuditEvent
from diary.models import SymptomEntry
from exports.builders import csv as csv_builder
from exports.models import ExportJob
from exports.services import export_data_load
from notifications.models import Device
from tests.factories import EntryFactory, FlagFactory, TreatmentFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a long safe passphrase"


# 1. Deeply nested JSON ------------------------------------------------------------------


def test_deeply_nested_json_is_a_400_not_a_500(db):
    body = '{"a":' * 50_000 + "1" + "}" * 50_000

    response = APIClient().post(
        "/api/v1/auth/token/", body, content_type="application/json", REMOTE_ADDR="203.0.113.1"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


# 2. A NUL character in a search ----------------------------------------------------------


def test_a_nul_in_the_api_search_is_not_a_500(cast, api):
    response = api(cast.coordinator).get("/api/v1/patients/", {"search": "\x00"})

    assert response.status_code == 200


def test_a_nul_in_the_clinic_search_is_not_a_500(cast):
    client = Client()
    client.force_login(cast.coordinator)

    response = client.get(reverse("clinic:patients"), {"q": "Ali\x00ce"})

    assert response.status_code == 200
    assert b"Alice" in response.content


# 3. A formula after the list separator of another locale -------------------------------------


def test_a_note_cannot_become_a_formula_where_the_list_separator_is_a_semicolon(cast):
    EntryFactory(patient=cast.patient_a, note=";=1+1")
    out = io.BytesIO()
    csv_builder.build(
        export_data_load(job=ExportJob(patient=cast.patient_a, format="csv"), now=timezone.now()),
        out,
    )

    # As a German, Swiss or French spreadsheet splits the file: on ";".
    text = out.getvalue().decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]

    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]
    # Read comma-separated, the note shows the apostrophe where it was defused.
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["note"] == ";'=1+1"


# 4. Clinic logins and the inbox are audited -----------------------------------------------


def clinic_login(username, password=PASSWORD):
    return Client(REMOTE_ADDR="198.51.100.4").post(
        reverse("clinic:login"), {"username": username, "password": password}
    )


def test_clinic_logins_leave_audit_events(cast, settings):
    cast.clinician_on.set_password(PASSWORD)
    cast.clinician_on.save()

    assert clinic_login("dr_on").status_code == 302
    assert clinic_login("dr_on", "wrong").status_code == 200
    for _ in range(settings.AXES_FAILURE_LIMIT):
        clinic_login("dr_on", "wrong")
    clinic_login("dr_on")  # the right password, refused: locked out

    events = list(AuditEvent.objects.order_by("pk").values_list("action", "outcome"))
    assert events[0] == ("login", "success")
    assert events[1] == ("login_failed", "failure")
    assert events[-1] == ("login_failed", "locked_out")
    assert AuditEvent.objects.filter(action="login_failed", actor_username="dr_on").count() >= 6


def test_the_clinic_inbox_records_whose_flags_were_read(cast):
    FlagFactory(patient=cast.patient_a, treatment=TreatmentFactory(patient=cast.patient_a))
    client = Client()
    client.force_login(cast.clinician_on)

    assert client.get(reverse("clinic:inbox")).status_code == 200

    event = AuditEvent.objects.get(action="read")
    assert (event.actor_id, event.record_type, event.patient_id) == (
        cast.clinician_on.pk,
        "flag",
        cast.patient_a.pk,
    )


# 5. Record ids are unreachable across patients ------------------------------------------------


def test_another_patient_cannot_sync_a_record_with_my_id(cast, api):
    mine = EntryFactory(patient=cast.patient_a, headache=7)
    body = {
        "entries": [
            {
                "id": str(mine.uuid),
                "recorded_at": "2026-03-09T08:00:00+01:00",
                "posture": "sitting",
                "headache": 1,
            },
            {
                "id": str(uuid.uuid4()),
                "recorded_at": "2026-03-09T09:00:00+01:00",
                "posture": "lying",
                "headache": 2,
            },
        ],
        "deleted": [{"type": "entry", "id": str(mine.uuid)}],
    }

    response = api(cast.patient_b.user).post("/api/v1/sync/", body, format="json")

    assert response.status_code == 200
    result = response.json()
    assert result["entries"][0]["status"] == "error"
    assert result["entries"][0]["error"]["code"] == "id_taken"
    assert result["entries"][1]["status"] == "created"  # the good item is kept
    assert result["deleted"][0]["error"]["code"] == "not_found"
    # A's record is untouched and the care team still reaches it by its id.
    mine.refresh_from_db()
    assert (mine.headache, mine.deleted_at) == (7, None)
    assert SymptomEntry.objects.filter(uuid=mine.uuid).count() == 1
    for reader in (cast.coordinator, cast.clinician_on):
        found = api(reader).get(f"/api/v1/entries/{mine.uuid}/")
        assert found.status_code == 200
        assert found.json()["headache"] == 7
        assert api(reader).get(f"/api/v1/entries/{mine.uuid}/history/").status_code == 200


def test_another_patient_cannot_create_a_record_with_my_id(cast, api):
    mine = TreatmentFactory(patient=cast.patient_a)
    body = {
        "id": str(mine.uuid),
        "performed_at": "2026-03-08T10:00:00Z",
        "kind": "epidural_blood_patch",
        "approach": "blind",
        "levels": ["L3/L4"],
        "volume_ml": 20,
    }

    response = api(cast.patient_b.user).post("/api/v1/patches/", body, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "id_taken"
    assert api(cast.coordinator).get(f"/api/v1/patches/{mine.uuid}/").status_code == 200


# 6. A push token cannot be taken from its owner -------------------------------------------------


def test_another_patient_cannot_take_my_push_token(cast, api):
    a, b = cast.patient_a.user, cast.patient_b.user
    register = {"platform": "android", "token": "a-phone"}
    assert api(a).post("/api/v1/devices/", register, format="json").status_code == 201
    api(b).post("/api/v1/devices/", register, format="json")

    assert Device.objects.filter(user=a, token="a-phone").exists()
    from rest_framework_simplejwt.tokens import RefreshToken

    refresh = str(RefreshToken.for_user(a))
    body = {"refresh": refresh, "device_token": "a-phone"}
    assert APIClient().post("/api/v1/auth/logout/", body, format="json").status_code == 205
    assert not Device.objects.filter(user=a).exists()  # A's logout removed A's


# 7. Usernames, time zones and export ranges ----------------------------------------------------


def test_a_username_differing_only_in_case_is_refused(cast, api):
    code = (
        api(cast.coordinator)
        .post("/api/v1/patients/", {"display_name": "Carla", "timezone": "UTC"}, format="json")
        .json()["enrollment_code"]
    )

    body = {"code": code, "username": "ALICE", "password": PASSWORD}
    response = APIClient().post("/api/v1/auth/enroll/", body, format="json")

    assert response.status_code == 400
    assert "username" in response.json()["error"]["fields"]
    assert not User.objects.filter(username="ALICE").exists()


def test_staff_usernames_differing_only_in_case_are_refused(cast):
    from django.core.exceptions import ValidationError

    from accounts.services import staff_create

    with pytest.raises(ValidationError):
        staff_create(username="COORD", password=PASSWORD, role=Role.COORDINATOR, clinic_name="X")


@pytest.mark.parametrize("zone", ["localtime", "Factory", "EST5EDT", "posixrules"])
def test_time_zones_that_are_not_places_are_refused(cast, api, zone):
    body = {"display_name": "Carla", "timezone": zone}

    response = api(cast.coordinator).post("/api/v1/patients/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["timezone"]


@pytest.mark.parametrize("zone", ["Europe/Zurich", "America/Argentina/Buenos_Aires", "UTC"])
def test_real_time_zones_are_still_accepted(cast, api, zone):
    body = {"display_name": "Carla", "timezone": zone}

    assert api(cast.coordinator).post("/api/v1/patients/", body, format="json").status_code == 201


@pytest.mark.parametrize(("field", "day"), [("from", "0001-01-01"), ("to", "9999-12-31")])
def test_an_export_range_beyond_any_diary_is_refused_up_front(cast, api, field, day):
    body = {"patient": str(cast.patient_a.pk), "format": "csv", field: day}

    response = api(cast.clinician_on).post("/api/v1/exports/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    assert not ExportJob.objects.exists()


# 8. Content-Security-Policy on every HTML page ---------------------------------------------------


@pytest.mark.parametrize("name", ["clinic:login", "clinic:inbox", "clinic:patients"])
def test_clinic_pages_send_a_content_security_policy_without_inline_scripts(cast, name):
    client = Client()
    client.force_login(cast.coordinator)

    response = client.get(reverse(name), follow=True)

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_the_api_keeps_its_stricter_policy(cast, api):
    response = api(cast.coordinator).get("/api/v1/patients/")

    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


# Display names go into email headers: one line only (issue 15, deliveries) ---------------------


@pytest.mark.parametrize("name", ["Carla\nBcc: x@example.org", "Car\rla", "Tab\there"])
def test_display_names_with_line_breaks_are_refused_at_enrolment(cast, api, name):
    body = {"display_name": name, "timezone": "UTC"}

    response = api(cast.coordinator).post("/api/v1/patients/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["display_name"]


def test_the_clinic_enrol_form_refuses_a_display_name_with_a_line_break(cast):
    client = Client()
    client.force_login(cast.coordinator)

    response = client.post(
        reverse("clinic:enrol"),
        {"display_name": "Carla\nX", "timezone": "UTC", "condition": "unknown"},
    )

    assert response.status_code == 200  # the form again, with its error
    assert not cast.clinic.patients.filter(display_name__startswith="Carla").exists()
