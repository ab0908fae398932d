"""Who may call what: every role against every route and method of the API.

The table below is the spec (API.md, "Accounts and roles"): a patient sees only
their own diary, a clinician the patients on whose care team they are, a
coordinator every patient of their clinic; anything outside that is 404, a role
that may not call an endpoint at all gets 403, an anonymous caller 401.

The table is checked against the URL conf, so a new route or a newly allowed
method fails `test_every_api_route_and_method_is_in_the_matrix` until it is
given a row here.
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from diary.models import (
    DayLog,
    EnrollmentCode,
    Flag,
    Impression,
    Patient,
    ResetCode,
    SymptomEntry,
    Treatment,
)
from exports.models import ExportJob
from tests.factories import (
    DayLogFactory,
    EntryFactory,
    FlagFactory,
    ImpressionFactory,
    PatientFactory,
    TreatmentFactory,
)

pytestmark = pytest.mark.django_db

API_PREFIX = "api/v1/"

ROLES = (
    "anonymous",
    "patient_a",
    "patient_b",
    "clinician_on",  # on A's care team
    "clinician_off",  # same clinic, not on the team
    "coordinator",  # A's clinic
    "coordinator_other",  # another clinic
)
PATIENTS = {"patient_a", "patient_b"}
READERS_OF_A = {"patient_a", "clinician_on", "coordinator"}

# Open to anyone by design: covered by the authentication tests, not by this matrix.
PUBLIC_ROUTES = {
    "auth/token/",
    "auth/token/refresh/",
    "auth/logout/",
    "auth/enroll/",
    "auth/reset/",  # issue 12: tests/api/test_accounts.py
}

# HEAD is checked beside every GET of the matrix; OPTIONS once per route.
IMPLICIT_METHODS = {"HEAD", "OPTIONS"}

# fmt: off
MATRIX = [
    # route                              method    anon patA patB c_on c_off coord c_oth
    ("entries/",                         "GET",    (401, 200, 200, 200, 200, 200, 200)),
    ("entries/",                         "POST",   (401, 201, 201, 403, 403, 403, 403)),
    ("entries/<id>/",                    "GET",    (401, 200, 404, 200, 404, 200, 404)),
    ("entries/<id>/",                    "PATCH",  (401, 200, 404, 403, 403, 403, 403)),
    ("entries/<id>/",                    "DELETE", (401, 204, 404, 403, 403, 403, 403)),
    ("patches/",                         "GET",    (401, 200, 200, 200, 200, 200, 200)),
    ("patches/",                         "POST",   (401, 201, 201, 403, 403, 403, 403)),
    ("patches/<id>/",                    "GET",    (401, 200, 404, 200, 404, 200, 404)),
    ("patches/<id>/",                    "PATCH",  (401, 200, 404, 200, 404, 403, 403)),
    ("patches/<id>/",                    "DELETE", (401, 204, 404, 204, 404, 403, 403)),
    ("patients/",                        "GET",    (401, 403, 403, 200, 200, 200, 200)),
    ("patients/",                        "POST",   (401, 403, 403, 403, 403, 201, 201)),
    ("patients/<pk>/",                   "GET",    (401, 403, 403, 200, 404, 200, 404)),
    ("patients/<pk>/enrollment-code/",   "POST",   (401, 403, 403, 403, 403, 201, 404)),
    ("patients/<pk>/entries/",           "GET",    (401, 403, 403, 200, 404, 200, 404)),
    ("patients/<pk>/patches/",           "GET",    (401, 403, 403, 200, 404, 200, 404)),
    ("patients/<pk>/patches/",           "POST",   (401, 403, 403, 201, 404, 403, 403)),
    ("sync/",                            "GET",    (401, 200, 200, 403, 403, 403, 403)),
    ("sync/",                            "POST",   (401, 200, 200, 403, 403, 403, 403)),
    ("me/",                              "GET",    (401, 200, 200, 200, 200, 200, 200)),
    ("flags/",                           "GET",    (401, 403, 403, 200, 200, 200, 200)),
    ("flags/<pk>/",                      "GET",    (401, 403, 403, 200, 404, 200, 404)),
    ("flags/<pk>/acknowledge/",          "POST",   (401, 403, 403, 200, 404, 200, 404)),
    ("flags/<pk>/resolve/",              "POST",   (401, 403, 403, 200, 404, 200, 404)),
    # --- Notifications (issue 4): singletons of the caller, so no 404 cases ---
    ("devices/",                         "POST",   (401, 201, 201, 403, 403, 403, 403)),
    ("notifications/inbox/",             "GET",    (401, 403, 403, 200, 200, 200, 200)),
    ("notifications/inbox/unread-count/", "GET",   (401, 403, 403, 200, 200, 200, 200)),
    ("notifications/preferences/",       "GET",    (401, 403, 403, 200, 200, 200, 200)),
    ("notifications/preferences/",       "PATCH",  (401, 403, 403, 200, 200, 200, 200)),
    ("notifications/webhook/",           "GET",    (401, 403, 403, 403, 403, 200, 200)),
    ("reminders/preferences/",           "GET",    (401, 200, 200, 403, 403, 403, 403)),
    ("reminders/preferences/",           "PATCH",  (401, 200, 200, 403, 403, 403, 403)),
    # --- Exports (issue 5): whoever may read A, A's own patient included ---
    ("exports/",                         "POST",   (401, 202, 404, 202, 404, 202, 404)),
    ("exports/<pk>/",                    "GET",    (401, 200, 404, 200, 404, 200, 404)),
    ("exports/<pk>/download/",           "GET",    (401, 200, 404, 200, 404, 200, 404)),
    # --- Audit and patient rights (issue 7): history as readable as the record ---
    ("entries/<id>/history/",            "GET",    (401, 200, 404, 200, 404, 200, 404)),
    ("patches/<id>/history/",            "GET",    (401, 200, 404, 200, 404, 200, 404)),
    ("me/close/",                        "POST",   (401, 204, 204, 403, 403, 403, 403)),
    # --- Day logs and PGIC (issue 13): as entries; clinicians may record a PGIC ---
    ("day-logs/",                        "GET",    (401, 200, 200, 200, 200, 200, 200)),
    ("day-logs/",                        "POST",   (401, 201, 201, 403, 403, 403, 403)),
    ("day-logs/<id>/",                   "GET",    (401, 200, 404, 200, 404, 200, 404)),
    ("day-logs/<id>/",                   "PATCH",  (401, 200, 404, 403, 403, 403, 403)),
    ("day-logs/<id>/",                   "DELETE", (401, 204, 404, 403, 403, 403, 403)),
    ("day-logs/<id>/history/",           "GET",    (401, 200, 404, 200, 404, 200, 404)),
    ("impressions/",                     "GET",    (401, 200, 200, 200, 200, 200, 200)),
    ("impressions/",                     "POST",   (401, 201, 201, 403, 403, 403, 403)),
    ("impressions/<id>/",                "GET",    (401, 200, 404, 200, 404, 200, 404)),
    ("impressions/<id>/",                "PATCH",  (401, 200, 404, 200, 404, 403, 403)),
    ("impressions/<id>/",                "DELETE", (401, 204, 404, 204, 404, 403, 403)),
    ("impressions/<id>/history/",        "GET",    (401, 200, 404, 200, 404, 200, 404)),
    ("patients/<pk>/day-logs/",          "GET",    (401, 403, 403, 200, 404, 200, 404)),
    ("patients/<pk>/impressions/",       "GET",    (401, 403, 403, 200, 404, 200, 404)),
    ("patients/<pk>/impressions/",       "POST",   (401, 403, 403, 201, 404, 403, 403)),
    # Reminders exist only for a patient's own diary: any other login finds none.
    ("reminders/due/",                   "GET",    (401, 200, 200, 404, 404, 404, 404)),
    # --- Patient account (issue 12): the caller's own, so no 404 cases ---
    ("me/profile/",                      "GET",    (401, 200, 200, 200, 200, 200, 200)),
    ("me/profile/",                      "PATCH",  (401, 200, 200, 200, 200, 200, 200)),
    ("auth/password/",                   "POST",   (401, 204, 204, 204, 204, 204, 204)),
    ("patients/<pk>/reset-code/",        "POST",   (401, 403, 403, 201, 404, 201, 404)),
    # --- Clinic outcomes (issue 16): each staff member's own clinic, whole ---
    ("outcomes/",                        "GET",    (401, 403, 403, 200, 200, 200, 200)),
]
# fmt: on

# (route, method, role) → why the code disagrees with the table (strict xfail).
KNOWN_BUGS: dict[tuple[str, str, str], str] = {}

PROBED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def expected_statuses() -> dict[tuple[str, str], dict[str, int]]:
    return {(route, method): dict(zip(ROLES, row, strict=True)) for route, method, row in MATRIX}


def methods_by_route() -> dict[str, set[str]]:
    routes: dict[str, set[str]] = {}
    for route, method, _ in MATRIX:
        routes.setdefault(route, set()).add(method)
    return routes


def label(route: str) -> str:
    return route.rstrip("/")


# --- The world the matrix acts on -------------------------------------------------


@dataclass
class World:
    cast: object
    entry: SymptomEntry  # patient A's
    treatment: Treatment  # patient A's
    not_enrolled: Patient  # of clinic 1, has not claimed a login yet
    flag: Flag  # raised on A's treatment
    notified: object = None  # notifications: A's clinic webhook and dr_on's inbox item
    export: object = None  # exports: a built CSV export of A's diary
    day_log: DayLog | None = None  # patient A's, yesterday
    impression: Impression | None = None  # patient A's 72 h answer on the treatment

    def user(self, role):
        return None if role == "anonymous" else self.cast.user(role)

    def own_patient(self, role) -> Patient | None:
        return getattr(self.cast, role) if role in PATIENTS else None

    def other_patient(self, role) -> Patient:
        return self.cast.patient_b if role == "patient_a" else self.cast.patient_a


@pytest.fixture
def world(cast) -> World:
    treatment = TreatmentFactory(patient=cast.patient_a, recorded_by=cast.patient_a.user)
    return World(
        cast=cast,
        entry=EntryFactory(patient=cast.patient_a),
        treatment=treatment,
        not_enrolled=PatientFactory(clinic=cast.clinic, user=None, display_name="Not yet"),
        flag=(flag := FlagFactory(treatment=treatment)),
        notified=notifications_of(cast, flag),
        export=export_of(cast),
        day_log=DayLogFactory(patient=cast.patient_a),
        impression=ImpressionFactory(treatment=treatment, checkpoint="72h"),
    )


def an_hour_ago() -> str:
    moment = timezone.now() - dt.timedelta(hours=1)
    return moment.astimezone(ZoneInfo("Europe/Zurich")).isoformat()


def new_entry_body(world, role) -> dict:
    # Names someone else's diary: the server must ignore it.
    return {
        "recorded_at": an_hour_ago(),
        "posture": "standing",
        "headache": 6,
        "patient": str(world.other_patient(role).pk),
    }


def new_patch_body(world, role) -> dict:
    return {
        "performed_at": an_hour_ago(),
        "kind": "epidural_blood_patch",
        "approach": "blind",
        "levels": ["L2/L3"],
        "volume_ml": 15,
        "patient": str(world.other_patient(role).pk),
    }


# --- One builder per route: the target the placeholder stands for, and a body -------


def target_of(route: str, world: World):
    if "<id>" in route:
        if route.startswith("day-logs/"):
            return world.day_log.uuid
        if route.startswith("impressions/"):
            return world.impression.uuid
        return world.entry.uuid if route.startswith("entries/") else world.treatment.uuid
    if route.startswith("flags/<pk>"):
        return world.flag.pk
    if route.startswith("exports/<pk>"):
        return world.export.pk
    if "<pk>" in route:
        if route.endswith("enrollment-code/"):
            return world.not_enrolled.pk
        return world.cast.patient_a.pk
    return None


BODIES = {
    ("entries/", "POST"): new_entry_body,
    ("entries/<id>/", "PATCH"): lambda world, role: {"headache": 2},
    ("patches/", "POST"): new_patch_body,
    ("patches/<id>/", "PATCH"): lambda world, role: {"note": "Changed by the matrix."},
    ("patients/", "POST"): lambda world, role: {
        "display_name": "Newly enrolled",
        "timezone": "Europe/Zurich",
    },
    ("patients/<pk>/patches/", "POST"): new_patch_body,
    ("sync/", "POST"): lambda world, role: {
        "entries": [{**new_entry_body(world, role), "id": str(uuid.uuid4())}],
    },
}


def url_for(route: str, target) -> str:
    path = route.replace("<id>", str(target)).replace("<pk>", str(target))
    return f"/{API_PREFIX}{path}"


def send(client, method: str, url: str, body=None):
    return (
        getattr(client, method.lower())(url, body, format="json")
        if body
        else (getattr(client, method.lower())(url))
    )


# --- What a success must show -----------------------------------------------------


def listed_ids(response) -> set[str]:
    return {item["id"] for item in response.json()["results"]}


def a_is_listed_only_for_its_readers(record_of):
    def check(world, role, response):
        shown = str(record_of(world)) in listed_ids(response)
        assert shown == (role in READERS_OF_A), f"A's record listed for {role}: {shown}"

    return check


def shows(record_of):
    def check(world, role, response):
        assert response.json()["id"] == str(record_of(world))

    return check


def created_in_own_diary(model):
    def check(world, role, response):
        own = world.own_patient(role)
        body = response.json()
        assert body["patient"] == str(own.pk)
        assert model.objects.filter(uuid=body["id"], patient=own).exists()

    return check


def entry_was_changed(world, role, response):
    assert response.json()["headache"] == 2
    world.entry.refresh_from_db()
    assert world.entry.headache == 2


def treatment_was_changed(world, role, response):
    assert response.json()["note"] == "Changed by the matrix."
    world.treatment.refresh_from_db()
    assert world.treatment.note == "Changed by the matrix."


def entry_was_deleted(world, role, response):
    world.entry.refresh_from_db()
    assert world.entry.is_deleted


def treatment_was_deleted(world, role, response):
    world.treatment.refresh_from_db()
    assert world.treatment.is_deleted


def enrolled_in_own_clinic(world, role, response):
    clinic = world.cast.user(role).clinic
    body = response.json()
    assert body["clinic"] == clinic.pk
    assert Patient.objects.get(pk=body["id"]).clinic == clinic
    assert body["enrollment_code"]


def code_was_issued(world, role, response):
    assert response.json()["enrollment_code"]
    assert EnrollmentCode.objects.filter(patient=world.not_enrolled).count() == 1


def recorded_in_a_by_the_clinician(world, role, response):
    body = response.json()
    user = world.cast.user(role)
    assert body["patient"] == str(world.cast.patient_a.pk)
    assert body["recorded_by"] == user.pk
    stored = Treatment.objects.get(uuid=body["id"], patient=world.cast.patient_a)
    assert stored.recorded_by == user


def sync_shows_a_only_to_a(world, role, response):
    body = response.json()
    entries = {e["id"] for e in body["entries"]}
    patches = {p["id"] for p in body["patches"]}
    assert (str(world.entry.uuid) in entries) == (role == "patient_a")
    assert (str(world.treatment.uuid) in patches) == (role == "patient_a")


def sync_saved_into_own_diary(world, role, response):
    [result] = response.json()["entries"]
    assert result["status"] == "created"
    own = world.own_patient(role)
    assert SymptomEntry.objects.filter(uuid=result["id"], patient=own).exists()


def me_names_own_patient(world, role, response):
    body = response.json()
    own = world.own_patient(role)
    assert body["id"] == world.cast.user(role).pk
    assert body["patient"] == (str(own.pk) if own else None)


def flag_has_status(status):
    def check(world, role, response):
        assert response.json()["status"] == status
        world.flag.refresh_from_db()
        assert world.flag.status == status

    return check


SUCCESS_CHECKS = {
    ("entries/", "GET"): a_is_listed_only_for_its_readers(lambda w: w.entry.uuid),
    ("entries/", "POST"): created_in_own_diary(SymptomEntry),
    ("entries/<id>/", "GET"): shows(lambda w: w.entry.uuid),
    ("entries/<id>/", "PATCH"): entry_was_changed,
    ("entries/<id>/", "DELETE"): entry_was_deleted,
    ("patches/", "GET"): a_is_listed_only_for_its_readers(lambda w: w.treatment.uuid),
    ("patches/", "POST"): created_in_own_diary(Treatment),
    ("patches/<id>/", "GET"): shows(lambda w: w.treatment.uuid),
    ("patches/<id>/", "PATCH"): treatment_was_changed,
    ("patches/<id>/", "DELETE"): treatment_was_deleted,
    ("patients/", "GET"): a_is_listed_only_for_its_readers(lambda w: w.cast.patient_a.pk),
    ("patients/", "POST"): enrolled_in_own_clinic,
    ("patients/<pk>/", "GET"): shows(lambda w: w.cast.patient_a.pk),
    ("patients/<pk>/enrollment-code/", "POST"): code_was_issued,
    # Only A's readers get a 200 here, so A's record must always be listed.
    ("patients/<pk>/entries/", "GET"): a_is_listed_only_for_its_readers(lambda w: w.entry.uuid),
    ("patients/<pk>/patches/", "GET"): a_is_listed_only_for_its_readers(lambda w: w.treatment.uuid),
    ("patients/<pk>/patches/", "POST"): recorded_in_a_by_the_clinician,
    ("sync/", "GET"): sync_shows_a_only_to_a,
    ("sync/", "POST"): sync_saved_into_own_diary,
    ("me/", "GET"): me_names_own_patient,
    ("flags/", "GET"): a_is_listed_only_for_its_readers(lambda w: w.flag.pk),
    ("flags/<pk>/", "GET"): shows(lambda w: w.flag.pk),
    ("flags/<pk>/acknowledge/", "POST"): flag_has_status("acknowledged"),
    ("flags/<pk>/resolve/", "POST"): flag_has_status("resolved"),
}


# --- Notifications (issue 4) -------------------------------------------------------


def notifications_of(cast, flag):
    """Clinic 1's webhook and the care team's inbox item about the world's flag."""
    from notifications.models import ClinicWebhook, InboxItem

    webhook = ClinicWebhook.objects.create(
        clinic=cast.clinic, url="https://hooks.example.org/diary", secret="s3cret"
    )
    InboxItem.objects.create(
        recipient=cast.clinician_on, flag=flag, reason="raised", created_at=timezone.now()
    )
    return webhook


def device_registered_to_caller(world, role, response):
    from notifications.models import Device

    assert response.json()["token"] == f"push-token-{role}"
    assert Device.objects.get(token=f"push-token-{role}").user == world.cast.user(role)


def inbox_lists_the_flag_only_for_the_care_team(world, role, response):
    flags = {item["flag"] for item in response.json()["results"]}
    assert flags == ({str(world.flag.pk)} if role == "clinician_on" else set())


def unread_count_is_the_callers(world, role, response):
    assert response.json() == {"unread": 1 if role == "clinician_on" else 0}


def preferences_are_the_defaults(world, role, response):
    assert response.json()["email_enabled"] is True
    assert response.json()["email_mode"] == "immediate"


def preferences_saved_for_caller(world, role, response):
    from notifications.models import NotificationPreference

    assert response.json()["email_mode"] == "digest"
    stored = NotificationPreference.objects.get(user=world.cast.user(role))
    assert (stored.email_mode, stored.timezone) == ("digest", "America/New_York")


def webhook_of_own_clinic_only(world, role, response):
    body = response.json()
    assert body["configured"] == (role == "coordinator")
    assert "secret" not in body
    if role == "coordinator":
        assert body["url"] == world.notified.url


def reminders_off_by_default(world, role, response):
    assert response.json() == {
        "daily_enabled": False,
        "daily_time": "19:00:00",
        "next_daily_reminder_at": None,
    }


def daily_reminder_set_for_own_diary(world, role, response):
    from notifications.models import ReminderPreference

    assert response.json()["next_daily_reminder_at"] is not None
    stored = ReminderPreference.objects.get(patient=world.own_patient(role))
    assert stored.daily_enabled
    assert stored.daily_time == dt.time(19, 30)


BODIES |= {
    ("devices/", "POST"): lambda world, role: {"platform": "ios", "token": f"push-token-{role}"},
    ("notifications/preferences/", "PATCH"): lambda world, role: {
        "email_mode": "digest",
        "timezone": "America/New_York",
    },
    ("reminders/preferences/", "PATCH"): lambda world, role: {
        "daily_enabled": True,
        "daily_time": "19:30",
    },
}

SUCCESS_CHECKS |= {
    ("devices/", "POST"): device_registered_to_caller,
    ("notifications/inbox/", "GET"): inbox_lists_the_flag_only_for_the_care_team,
    ("notifications/inbox/unread-count/", "GET"): unread_count_is_the_callers,
    ("notifications/preferences/", "GET"): preferences_are_the_defaults,
    ("notifications/preferences/", "PATCH"): preferences_saved_for_caller,
    ("notifications/webhook/", "GET"): webhook_of_own_clinic_only,
    ("reminders/preferences/", "GET"): reminders_off_by_default,
    ("reminders/preferences/", "PATCH"): daily_reminder_set_for_own_diary,
}


# --- Exports (issue 5) -------------------------------------------------------------


def export_of(cast):
    """A CSV export of A's diary, requested by A's coordinator and built."""
    from exports.services import export_build, export_request

    job = export_request(patient=cast.patient_a, requested_by=cast.coordinator, export_format="csv")
    return export_build(job_id=job.pk)


def export_requested_for_a(world, role, response):
    body = response.json()
    assert set(body) == {"id", "status"} and body["status"] == "pending"
    job = ExportJob.objects.get(pk=body["id"])
    assert (job.patient, job.requested_by) == (world.cast.patient_a, world.cast.user(role))
    assert AuditEvent.objects.filter(record_id=str(job.pk), action="export").exists()


def export_file_served_and_audited(world, role, response):
    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbfrecord_type,")
    assert AuditEvent.objects.filter(
        record_id=str(world.export.pk), action="download", actor_id=world.cast.user(role).pk
    ).exists()


BODIES |= {
    ("exports/", "POST"): lambda world, role: {
        "patient": str(world.cast.patient_a.pk),
        "format": "csv",
    },
}

SUCCESS_CHECKS |= {
    ("exports/", "POST"): export_requested_for_a,
    ("exports/<pk>/", "GET"): shows(lambda w: w.export.pk),
    ("exports/<pk>/download/", "GET"): export_file_served_and_audited,
}


# --- Audit and patient rights (issue 7) ----------------------------------------------


def history_of(record_of):
    def check(world, role, response):
        assert response.json()["id"] == str(record_of(world))
        assert response.json()["versions"] == []  # the world's records were never changed

    return check


def own_account_closed(world, role, response):
    user = world.user(role)
    user.refresh_from_db()
    assert not user.is_active
    assert user.closed_at is not None


# --- Patient account (issue 12) ---------------------------------------------------


def profile_is_the_callers(world, role, response):
    own = world.own_patient(role)
    name = own.display_name if own else ""
    assert response.json()["display_name"] == name


def profile_saved_for_caller(world, role, response):
    assert response.json()["timezone"] == "America/Chicago"
    own = world.own_patient(role)
    if own is not None:
        own.refresh_from_db()
        assert own.timezone == "America/Chicago"
    else:
        assert User.objects.get(pk=world.user(role).pk).timezone == "America/Chicago"


def password_was_changed(world, role, response):
    user = world.user(role)
    user.refresh_from_db()
    assert user.check_password("a new and long passphrase")


def reset_code_issued_for_a(world, role, response):
    body = response.json()
    assert body["link"].endswith(f"/app/reset#code={body['reset_code']}")
    assert ResetCode.objects.filter(patient=world.cast.patient_a, created_by=world.user(role))


BODIES |= {
    ("me/profile/", "PATCH"): lambda world, role: {"timezone": "America/Chicago"},
    ("auth/password/", "POST"): lambda world, role: {
        "old_password": "correct horse battery staple",
        "new_password": "a new and long passphrase",
    },
}

SUCCESS_CHECKS |= {
    ("me/profile/", "GET"): profile_is_the_callers,
    ("me/profile/", "PATCH"): profile_saved_for_caller,
    ("auth/password/", "POST"): password_was_changed,
    ("patients/<pk>/reset-code/", "POST"): reset_code_issued_for_a,
}

SUCCESS_CHECKS |= {
    ("entries/<id>/history/", "GET"): history_of(lambda w: w.entry.uuid),
    ("patches/<id>/history/", "GET"): history_of(lambda w: w.treatment.uuid),
    ("me/close/", "POST"): own_account_closed,
}


# --- Day logs and PGIC (issue 13) ------------------------------------------------------


def new_day_log_body(world, role) -> dict:
    # Today: the world's log is yesterday's, and each patient has one day free.
    return {
        "date": timezone.localdate().isoformat(),
        "upright_hours": 5.5,
        "bed_rest_hours": 10,
        "medications": [{"name": "paracetamol", "dose": "1 g"}],
        "patient": str(world.other_patient(role).pk),
    }


def own_treatment(world, role) -> Treatment:
    own = world.own_patient(role) or world.cast.patient_a
    if own == world.cast.patient_a:
        return world.treatment
    return TreatmentFactory(patient=own)


def new_impression_body(world, role) -> dict:
    return {
        "treatment": str(own_treatment(world, role).uuid),
        "answered_at": an_hour_ago(),
        "checkpoint": "7d",
        "score": 2,
        "patient": str(world.other_patient(role).pk),
    }


def day_log_was_changed(world, role, response):
    assert response.json()["upright_hours"] == 7
    world.day_log.refresh_from_db()
    assert world.day_log.upright_hours == 7


def impression_was_changed(world, role, response):
    assert response.json()["score"] == 6
    world.impression.refresh_from_db()
    assert world.impression.score == 6


def was_deleted(record_of):
    def check(world, role, response):
        record = record_of(world)
        record.refresh_from_db()
        assert record.is_deleted

    return check


def impression_recorded_in_a_by_the_clinician(world, role, response):
    body = response.json()
    user = world.cast.user(role)
    assert body["patient"] == str(world.cast.patient_a.pk)
    assert body["treatment"] == str(world.treatment.uuid)
    assert body["recorded_by"] == user.pk
    assert Impression.objects.get(uuid=body["id"], patient=world.cast.patient_a).recorded_by == user


def reminders_due_for_own_diary(world, role, response):
    # The world's treatment is A's (whether a check-in is open depends on the hour).
    listed = {c["treatment"] for c in response.json()["checkins"]}
    assert listed <= ({str(world.treatment.uuid)} if role == "patient_a" else set())


BODIES |= {
    ("day-logs/", "POST"): new_day_log_body,
    ("day-logs/<id>/", "PATCH"): lambda world, role: {"upright_hours": 7},
    ("impressions/", "POST"): new_impression_body,
    ("impressions/<id>/", "PATCH"): lambda world, role: {"score": 6},
    ("patients/<pk>/impressions/", "POST"): new_impression_body,
}

SUCCESS_CHECKS |= {
    ("day-logs/", "GET"): a_is_listed_only_for_its_readers(lambda w: w.day_log.uuid),
    ("day-logs/", "POST"): created_in_own_diary(DayLog),
    ("day-logs/<id>/", "GET"): shows(lambda w: w.day_log.uuid),
    ("day-logs/<id>/", "PATCH"): day_log_was_changed,
    ("day-logs/<id>/", "DELETE"): was_deleted(lambda w: w.day_log),
    ("day-logs/<id>/history/", "GET"): history_of(lambda w: w.day_log.uuid),
    ("impressions/", "GET"): a_is_listed_only_for_its_readers(lambda w: w.impression.uuid),
    ("impressions/", "POST"): created_in_own_diary(Impression),
    ("impressions/<id>/", "GET"): shows(lambda w: w.impression.uuid),
    ("impressions/<id>/", "PATCH"): impression_was_changed,
    ("impressions/<id>/", "DELETE"): was_deleted(lambda w: w.impression),
    ("impressions/<id>/history/", "GET"): history_of(lambda w: w.impression.uuid),
    ("patients/<pk>/day-logs/", "GET"): a_is_listed_only_for_its_readers(lambda w: w.day_log.uuid),
    ("patients/<pk>/impressions/", "GET"): a_is_listed_only_for_its_readers(
        lambda w: w.impression.uuid
    ),
    ("patients/<pk>/impressions/", "POST"): impression_recorded_in_a_by_the_clinician,
    ("reminders/due/", "GET"): reminders_due_for_own_diary,
}
# --- Clinic outcomes (issue 16) ------------------------------------------------------


def outcomes_of_own_clinic(world, role, response):
    body = response.json()
    # A's treatment is clinic 1's: counted for its staff, never for another clinic's.
    assert body["overall"]["treatments"] == (0 if role == "coordinator_other" else 1)
    assert str(world.cast.patient_a.pk) not in response.content.decode()


SUCCESS_CHECKS |= {("outcomes/", "GET"): outcomes_of_own_clinic}


# --- The contract's response shape ----------------------------------------------


def describe(response) -> str:
    return f"{response.status_code} {response.get('Content-Type')}: {response.content[:300]!r}"


def assert_is_contract_json(response):
    if response.status_code in (204, 205):
        return
    if response.status_code < 300 and response.get("Content-Disposition", "").startswith(
        "attachment"
    ):
        return  # a file download (exports): its success check looks at the file
    assert response["Content-Type"].startswith("application/json"), describe(response)
    if response.status_code >= 300:
        body = response.json()
        assert set(body) == {"error"}, describe(response)
        error = body["error"]
        assert set(error) == {"code", "message", "fields", "field_codes"}, describe(response)
        assert isinstance(error["code"], str), describe(response)
        assert isinstance(error["message"], str), describe(response)
        assert isinstance(error["fields"], dict), describe(response)


def diary_state():
    """Everything a refused request must leave as it was."""
    return (
        set(SymptomEntry.objects.values_list("uuid", "patient_id", "updated_at", "deleted_at")),
        set(Treatment.objects.values_list("uuid", "patient_id", "updated_at", "deleted_at")),
        set(DayLog.objects.values_list("uuid", "patient_id", "updated_at", "deleted_at")),
        set(Impression.objects.values_list("uuid", "patient_id", "updated_at", "deleted_at")),
        set(Patient.objects.values_list("id", "clinic_id", "user_id")),
        set(EnrollmentCode.objects.values_list("id", "expires_at", "used_at")),
        set(ResetCode.objects.values_list("id", "expires_at", "used_at")),
        set(Flag.objects.values_list("id", "status", "acknowledged_at", "resolved_at")),
        # Exports (issue 5): a refused request queues nothing and audits nothing.
        set(ExportJob.objects.values_list("id", "status")),
        set(AuditEvent.objects.filter(record_type="export").values_list("id", flat=True)),
    )


# --- The matrix -------------------------------------------------------------------


def matrix_cases():
    for (route, method), statuses in expected_statuses().items():
        for role, status in statuses.items():
            bug = KNOWN_BUGS.get((route, method, role))
            marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
            yield pytest.param(
                route,
                method,
                role,
                status,
                id=f"{method} {label(route)} as {role}",
                marks=marks,
            )


@pytest.mark.parametrize(("route", "method", "role", "expected"), list(matrix_cases()))
def test_role_gets_exactly_the_status_the_matrix_says(world, api, route, method, role, expected):
    client = api(world.user(role))
    body_for = BODIES.get((route, method))
    body = body_for(world, role) if body_for else None
    before = diary_state()

    response = send(client, method, url_for(route, target_of(route, world)), body)

    assert response.status_code == expected, describe(response)
    assert_is_contract_json(response)
    if response.status_code < 300:
        SUCCESS_CHECKS[(route, method)](world, role, response)
    else:
        assert diary_state() == before, "a refused request changed the diary"

    if expected == 404:
        # An id out of this user's reach must look exactly like one that does not exist.
        missing = send(client, method, url_for(route, uuid.uuid4()), body)
        assert missing.status_code == 404, describe(missing)
        assert_is_contract_json(missing)
        assert missing.json() == response.json()

    if method == "GET":
        head = client.head(url_for(route, target_of(route, world)))
        assert head.status_code == expected, describe(head)


def test_coordinator_cannot_issue_a_code_for_a_patient_already_enrolled(world, api):
    before = diary_state()

    response = api(world.cast.coordinator).post(
        url_for("patients/<pk>/enrollment-code/", world.cast.patient_a.pk)
    )

    assert response.status_code == 409, describe(response)
    assert_is_contract_json(response)
    assert response.json()["error"]["code"] == "already_enrolled"
    assert diary_state() == before


def malformed_id_cases():
    for route, methods in methods_by_route().items():
        if "<" in route:
            method = "GET" if "GET" in methods else sorted(methods)[0]
            yield pytest.param(route, method, id=f"{method} {label(route)}")


@pytest.mark.parametrize(("route", "method"), list(malformed_id_cases()))
def test_an_id_that_is_not_a_uuid_is_simply_not_found(world, api, route, method):
    client = api(world.user(probe_role(route)))
    body_for = BODIES.get((route, method))
    body = body_for(world, probe_role(route)) if body_for else None

    response = send(client, method, url_for(route, "not-a-uuid"), body)

    assert_is_contract_json(response)
    assert response.status_code == 404, describe(response)


# --- Methods a route does not offer ---------------------------------------------------


def probe_role(route: str) -> str:
    """The role that may do the most on this route (the broadest one on a tie):
    it passes the route's permission check, so only the method can be refused."""
    statuses = expected_statuses()
    successes = {
        role: sum(statuses[(route, m)][role] < 300 for m in methods_by_route()[route])
        for role in ROLES
    }
    return max(reversed(ROLES), key=lambda role: successes[role])


def not_allowed_cases():
    for route, methods in methods_by_route().items():
        for method in PROBED_METHODS:
            if method not in methods:
                yield pytest.param(
                    route,
                    method,
                    id=f"{method} {label(route)} is not allowed for {probe_role(route)}",
                )


@pytest.mark.parametrize(("route", "method"), list(not_allowed_cases()))
def test_a_method_the_route_does_not_offer_is_refused_with_405(world, api, route, method):
    url = url_for(route, target_of(route, world))
    before = diary_state()

    refused = send(api(world.user(probe_role(route))), method, url, {"headache": 1})
    anonymous = send(api(None), method, url, {"headache": 1})

    assert refused.status_code == 405, describe(refused)
    assert_is_contract_json(refused)
    assert anonymous.status_code in (401, 405), describe(anonymous)
    assert_is_contract_json(anonymous)
    assert diary_state() == before


@pytest.mark.parametrize("route", [pytest.param(r, id=label(r)) for r in methods_by_route()])
def test_options_answers_json_to_its_users_and_401_to_anonymous(world, api, route):
    url = url_for(route, target_of(route, world))

    allowed = api(world.user(probe_role(route))).options(url)
    anonymous = api(None).options(url)

    assert allowed.status_code == 200, describe(allowed)
    assert_is_contract_json(allowed)
    assert anonymous.status_code == 401, describe(anonymous)
    assert_is_contract_json(anonymous)


# --- Nothing escapes the matrix ---------------------------------------------------------


def _group_end(regex: str, start: int) -> int:
    """The index just after the group opening at `start` (escapes and classes aware)."""
    depth, i, in_class = 0, start, False
    while i < len(regex):
        char = regex[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unbalanced group in {regex!r}")


def _normalize_regex(regex: str) -> str:
    regex = regex.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    out, i = [], 0
    while i < len(regex):
        if regex.startswith("(?P<", i):
            name = regex[i + 4 : regex.index(">", i)]
            out.append(f"<{name}>")
            i = _group_end(regex, i)
        elif regex[i] == "\\":
            out.append(regex[i + 1])
            i += 2
        elif regex[i] in "^$()[]{}?*+|.":
            raise ValueError(f"cannot read a route from the regex {regex!r}")
        else:
            out.append(regex[i])
            i += 1
    return "".join(out)


def _normalize_route(route: str) -> str:
    """'patients/<uuid:pk>/entries/' → 'patients/<pk>/entries/'."""
    out, i = [], 0
    while i < len(route):
        if route[i] == "<":
            end = route.index(">", i)
            out.append(f"<{route[i + 1 : end].split(':')[-1]}>")
            i = end + 1
        else:
            out.append(route[i])
            i += 1
    return "".join(out)


def normalize(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return _normalize_route(str(pattern))
    return _normalize_regex(str(pattern))


def api_routes() -> dict[str, list]:
    """Every route under api/v1/ in the URL conf, normalized, with its view functions."""
    found: dict[str, list] = {}

    def walk(patterns, prefix):
        for entry in patterns:
            route = prefix + normalize(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                found.setdefault(route, []).append(entry.callback)

    walk(get_resolver().url_patterns, "")
    return {
        route.removeprefix(API_PREFIX): callbacks
        for route, callbacks in found.items()
        if route.startswith(API_PREFIX)
    }


def allowed_methods(callback) -> set[str]:
    """The methods the view answers, decided the way DRF's dispatch decides it."""
    view = callback.cls(**getattr(callback, "initkwargs", {}))
    for method, action in (getattr(callback, "actions", None) or {}).items():
        setattr(view, method, getattr(view, action))
    if hasattr(view, "get") and not hasattr(view, "head"):
        view.head = view.get
    return {m.upper() for m in view.http_method_names if hasattr(view, m)}


def test_route_normalization_reads_router_regexes_and_path_converters():
    assert normalize(RegexPattern(r"^entries/(?P<id>[^/.]+)/$")) == "entries/<id>/"
    assert normalize(RegexPattern(r"^x/(?P<id>[0-9a-f-]{36}|(?:\d+))/y\.json\Z")) == (
        "x/<id>/y.json"
    )
    assert normalize(RoutePattern("patients/<uuid:pk>/entries/")) == "patients/<pk>/entries/"


def test_every_api_route_and_method_is_in_the_matrix():
    routes = api_routes()
    covered = methods_by_route()

    missing = sorted(set(routes) - set(covered) - PUBLIC_ROUTES)
    gone = sorted((set(covered) | PUBLIC_ROUTES) - set(routes))
    assert not missing, f"routes missing from the access matrix: {missing}"
    assert not gone, f"routes in the access matrix that the URL conf no longer has: {gone}"

    for route, methods in covered.items():
        offered = set().union(*(allowed_methods(cb) for cb in routes[route]))
        unlisted = sorted(offered - methods - IMPLICIT_METHODS)
        not_offered = sorted(methods - offered)
        assert not unlisted, f"{route} allows {unlisted}, missing from the access matrix"
        assert not not_offered, f"{route} does not allow {not_offered}, yet the matrix lists it"
