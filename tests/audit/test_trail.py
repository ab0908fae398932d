"""Each audited action writes exactly one event, with the right fields and no health data."""

import io
import logging
import uuid

import pytest
from django.contrib.admin.sites import site
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from rest_framework.test import APIClient

from audit.models import AuditEvent
from audit.services import AuditScope, PendingEvent, audit_write
from diary.models import SymptomEntry
from tests.factories import PASSWORD, EntryFactory, FlagFactory, TreatmentFactory

pytestmark = pytest.mark.django_db

UA = "DiaryApp/2.1 (iPhone)"
NOTE = "Worse after the school run"


def only_event(**filters) -> AuditEvent:
    events = list(AuditEvent.objects.filter(**filters))
    assert len(events) == 1, [(e.action, e.record_type, e.record_id) for e in events]
    return events[0]


def assert_no_health_data(event: AuditEvent, *secrets: str):
    stored = " ".join(str(getattr(event, f.attname)) for f in AuditEvent._meta.concrete_fields)
    for secret in secrets:
        assert secret not in stored


def entry_body(**extra):
    return {
        "recorded_at": "2026-03-04T07:30:00+01:00",
        "posture": "standing",
        "headache": 7,
        "note": NOTE,
        **extra,
    }


def test_creating_an_entry_writes_one_create_event_with_who_what_where(cast, api):
    entry_id = uuid.uuid4()

    response = api(cast.patient_a.user).post(
        "/api/v1/entries/",
        entry_body(id=str(entry_id)),
        format="json",
        HTTP_USER_AGENT=UA,
        REMOTE_ADDR="203.0.113.9",
    )

    assert response.status_code == 201
    event = only_event()
    assert event.action == "create"
    assert event.record_type == "entry"
    assert event.record_id == str(entry_id)
    assert event.patient_id == cast.patient_a.pk
    assert (event.actor_id, event.actor_username, event.actor_role) == (
        cast.patient_a.user.pk,
        "alice",
        "patient",
    )
    assert (event.ip, event.user_agent) == ("203.0.113.9", UA)
    assert (event.outcome, event.status_code) == ("success", 201)
    assert event.request == "POST /api/v1/entries/"
    assert event.occurred_at.utcoffset().total_seconds() == 0
    assert_no_health_data(event, NOTE, "standing")


def test_a_retried_create_writes_nothing_more(cast, api):
    client = api(cast.patient_a.user)
    body = entry_body(id=str(uuid.uuid4()))
    client.post("/api/v1/entries/", body, format="json")

    assert client.post("/api/v1/entries/", body, format="json").status_code == 200
    assert AuditEvent.objects.count() == 1


def test_changing_and_deleting_an_entry_write_one_event_each(cast, api):
    entry = EntryFactory(patient=cast.patient_a)
    client = api(cast.patient_a.user)

    client.patch(f"/api/v1/entries/{entry.uuid}/", {"headache": 2}, format="json")
    assert only_event().action == "update"
    client.delete(f"/api/v1/entries/{entry.uuid}/")

    deleted = only_event(action="delete")
    assert (deleted.record_type, deleted.record_id) == ("entry", str(entry.uuid))
    assert deleted.status_code == 204


def test_a_clinician_reading_an_entry_writes_one_read_event(cast, api):
    entry = EntryFactory(patient=cast.patient_a)

    api(cast.clinician_on).get(f"/api/v1/entries/{entry.uuid}/")

    event = only_event()
    assert (event.action, event.record_type, event.record_id) == ("read", "entry", str(entry.uuid))
    assert (event.actor_username, event.actor_role) == ("dr_on", "clinician")
    assert event.patient_id == cast.patient_a.pk


def test_a_list_writes_one_read_event_per_patient_on_the_page(cast, api):
    EntryFactory.create_batch(3, patient=cast.patient_a)
    EntryFactory.create_batch(2, patient=cast.patient_b)

    api(cast.coordinator).get("/api/v1/entries/")

    events = AuditEvent.objects.all()
    assert sorted(e.patient_id for e in events) == sorted([cast.patient_a.pk, cast.patient_b.pk])
    assert {(e.action, e.record_type, e.record_id) for e in events} == {("read", "entry", "")}


def test_reading_a_patients_records_is_audited_even_when_there_are_none(cast, api):
    api(cast.clinician_on).get(f"/api/v1/patients/{cast.patient_a.pk}/patches/")

    event = only_event()
    assert (event.action, event.record_type, event.patient_id) == (
        "read",
        "patch",
        cast.patient_a.pk,
    )


def test_flags_reads_and_changes_are_audited(cast, api):
    flag = FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a))
    client = api(cast.clinician_on)

    client.get(f"/api/v1/flags/{flag.pk}/")
    assert only_event().action == "read"
    client.post(f"/api/v1/flags/{flag.pk}/acknowledge/")

    changed = only_event(action="update")
    assert (changed.record_type, changed.record_id) == ("flag", str(flag.pk))


def test_a_patient_reading_their_own_diary_is_not_an_access_to_audit(cast, api):
    entry = EntryFactory(patient=cast.patient_a)
    client = api(cast.patient_a.user)

    client.get("/api/v1/entries/")
    client.get(f"/api/v1/entries/{entry.uuid}/")

    assert not AuditEvent.objects.exists()


def test_a_refused_read_is_not_recorded_as_a_read(cast, api):
    entry = EntryFactory(patient=cast.patient_a)

    assert api(cast.clinician_off).get(f"/api/v1/entries/{entry.uuid}/").status_code == 404
    assert not AuditEvent.objects.exists()


def test_a_sync_batch_writes_one_event_per_record_it_changed(cast, api):
    gone = EntryFactory(patient=cast.patient_a)
    new_ids = [uuid.uuid4() for _ in range(3)]
    body = {
        "entries": [entry_body(id=str(i)) for i in new_ids],
        "deleted": [{"type": "entry", "id": str(gone.uuid)}],
    }

    api(cast.patient_a.user).post("/api/v1/sync/", body, format="json")

    assert sorted(
        AuditEvent.objects.filter(action="create").values_list("record_id", flat=True)
    ) == (sorted(str(i) for i in new_ids))
    assert only_event(action="delete").record_id == str(gone.uuid)
    assert AuditEvent.objects.count() == 4
    # The batch's events are alike but for the record.
    assert set(
        AuditEvent.objects.values_list(
            "patient_id",
            "actor_id",
            "actor_role",
            "record_type",
            "request",
            "status_code",
            "outcome",
        )
    ) == {
        (
            cast.patient_a.pk,
            cast.patient_a.user.pk,
            "patient",
            "entry",
            "POST /api/v1/sync/",
            200,
            "success",
        )
    }


def login(username, password=PASSWORD):
    return APIClient().post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        format="json",
        HTTP_USER_AGENT=UA,
    )


def test_a_login_writes_one_login_event(cast):
    assert login("alice").status_code == 200

    event = only_event()
    assert (event.action, event.outcome, event.actor_id) == (
        "login",
        "success",
        cast.patient_a.user.pk,
    )
    assert event.user_agent == UA
    assert_no_health_data(event, PASSWORD)


def test_a_failed_login_writes_one_event_with_the_name_tried_and_never_the_password(cast):
    assert login("alice", "not-the-password").status_code == 401

    event = only_event()
    assert (event.action, event.outcome, event.actor_username) == (
        "login_failed",
        "failure",
        "alice",
    )
    assert event.actor_id is None
    assert_no_health_data(event, "not-the-password")


def test_a_token_refresh_writes_one_event_and_never_the_token(cast):
    refresh = login("alice").json()["refresh"]

    response = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")

    assert response.status_code == 200
    assert AuditEvent.objects.count() == 2  # the login, and this
    event = only_event(action="token_refresh")
    assert (event.action, event.outcome, event.actor_username) == (
        "token_refresh",
        "success",
        "alice",
    )
    assert_no_health_data(event, refresh, response.json()["access"])


@pytest.mark.parametrize("everywhere", [False, True])
def test_a_logout_writes_one_event_saying_whether_it_was_everywhere(cast, everywhere):
    refresh = login("alice").json()["refresh"]

    response = APIClient().post(
        "/api/v1/auth/logout/", {"refresh": refresh, "everywhere": everywhere}, format="json"
    )

    assert response.status_code == 205
    event = only_event(action="logout")
    assert (event.outcome, event.actor_username, event.record_id) == (
        "success",
        "alice",
        str(cast.patient_a.user.pk),
    )
    assert event.detail == {"everywhere": everywhere}
    assert_no_health_data(event, refresh)


# --- When the audit write fails --------------------------------------------------


@pytest.fixture
def audit_insert_fails(monkeypatch):
    def refuse(*args, **kwargs):
        raise DatabaseError("audit table unavailable")

    monkeypatch.setattr("audit.services.insert_rows", refuse)


def test_a_failing_audit_write_keeps_the_data_and_logs_the_event_at_error(
    cast, api, audit_insert_fails, caplog
):
    entry_id = uuid.uuid4()

    with caplog.at_level(logging.ERROR, logger="audit"):
        response = api(cast.patient_a.user).post(
            "/api/v1/entries/", entry_body(id=str(entry_id)), format="json"
        )

    assert response.status_code == 201  # the patient's entry is not lost
    assert SymptomEntry.objects.filter(uuid=entry_id).exists()
    logged = [r for r in caplog.records if r.name == "audit" and r.levelno == logging.ERROR]
    assert len(logged) == 1
    message = logged[0].getMessage()
    assert str(entry_id) in message and '"action": "create"' in message
    assert NOTE not in message


def test_a_read_that_cannot_be_audited_is_not_served(cast, api, audit_insert_fails, caplog):
    entry = EntryFactory(patient=cast.patient_a, note=NOTE)

    with caplog.at_level(logging.ERROR, logger="audit"):
        response = api(cast.clinician_on).get(f"/api/v1/entries/{entry.uuid}/")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "audit_unavailable"
    assert NOTE not in response.content.decode()
    assert any(r.name == "audit" for r in caplog.records)


# --- Append-only -------------------------------------------------------------------


def test_the_application_cannot_change_or_delete_an_event(cast):
    login("alice")
    event = AuditEvent.objects.get()

    event.outcome = "failure"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()


def test_the_admin_shows_the_trail_read_only(cast):
    request = RequestFactory().get("/admin/audit/auditevent/")
    request.user = cast.coordinator
    model_admin = site._registry[AuditEvent]

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_postgresql_refuses_to_update_or_delete_an_event(cast, postgres_only):
    login("alice")
    for sql in ("UPDATE audit_auditevent SET outcome = 'failure'", "DELETE FROM audit_auditevent"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert AuditEvent.objects.get().outcome == "success"


def test_audit_report_prints_a_patients_trail(cast, api):
    entry = EntryFactory(patient=cast.patient_a)
    api(cast.clinician_on).get(f"/api/v1/entries/{entry.uuid}/")
    api(cast.clinician_on).get(f"/api/v1/patients/{cast.patient_b.pk}/entries/")  # not A's
    out = io.StringIO()

    call_command("audit_report", "--patient", str(cast.patient_a.pk), stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == 3  # header, one event, count
    assert "dr_on\tclinician\tread\tentry:" + str(entry.uuid) in lines[1]
    assert lines[-1] == f"1 events for patient {cast.patient_a.pk}"


# --- Exports (the exports app's own events are written beside these) ----------------


def built_export(cast):
    from exports.services import export_build, export_request

    job = export_request(patient=cast.patient_a, requested_by=cast.coordinator, export_format="csv")
    return export_build(job_id=job.pk)


def test_an_export_request_and_each_download_write_one_event(cast, api):
    client = api(cast.coordinator)

    response = client.post(
        "/api/v1/exports/", {"patient": str(cast.patient_a.pk), "format": "csv"}, format="json"
    )
    assert response.status_code == 202
    requested = only_event(action="export")
    assert (requested.record_id, requested.patient_id, requested.actor_username) == (
        response.json()["id"],
        cast.patient_a.pk,
        "coord",
    )

    job = built_export(cast)
    download = api(cast.patient_a.user).get(f"/api/v1/exports/{job.pk}/download/")
    b"".join(download.streaming_content)
    event = only_event(action="download")
    assert (event.record_type, event.record_id, event.actor_username) == (
        "export",
        str(job.pk),
        "alice",
    )
    assert not AuditEvent.objects.filter(action="read").exists()


@pytest.mark.parametrize("record_ids", [(), ("a", "b")], ids=["single", "batch"])
def test_an_empty_client_address_is_stored_as_none(cast, record_ids):
    # gunicorn on a unix socket gives REMOTE_ADDR "": not an address, not a failure.
    event = PendingEvent(action="read", record_type="entry", record_ids=record_ids)
    audit_write(AuditScope(ip="", events=[event]), default_outcome="success")

    assert list(AuditEvent.objects.values_list("ip", flat=True)) == [None] * max(1, len(record_ids))
