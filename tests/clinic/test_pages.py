"""What the clinic pages show and do, beyond who may open them (test_access.py)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from audit.models import Action, AuditEvent
from diary.models import FlagStatus
from diary.wording import treatment_description
from notifications.models import InboxItem
from tests.factories import PASSWORD, EntryFactory, FlagFactory, TreatmentFactory

pytestmark = pytest.mark.django_db
ZURICH = ZoneInfo("Europe/Zurich")


def logged_in(user, **headers) -> Client:
    client = Client(headers=headers)
    client.force_login(user)
    return client


def test_staff_log_in_with_a_password_and_land_on_their_start_page(cast):
    client = Client(enforce_csrf_checks=False)
    response = client.post(
        reverse("clinic:login"), {"username": "dr_on", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("clinic:inbox")
    response = Client().post(
        reverse("clinic:login"), {"username": "coord", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("clinic:patients")


def test_a_patient_who_logs_in_is_refused_the_clinic_pages(cast):
    client = Client()
    client.post(reverse("clinic:login"), {"username": "alice", "password": PASSWORD})
    assert client.get(reverse("clinic:home")).status_code == 403


def test_posts_without_the_csrf_token_are_refused(cast):
    flag = FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a))
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.clinician_on)

    response = client.post(reverse("clinic:flag-acknowledge", args=[flag.pk]))

    assert response.status_code == 403
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


def test_inbox_puts_open_flags_first_with_treatment_and_evidence_in_words(cast):
    treatment = TreatmentFactory(patient=cast.patient_a, volume_ml=20, levels=["L3/L4"])
    resolved = FlagFactory(treatment=treatment, kind="no_response", status=FlagStatus.RESOLVED)
    open_flag = FlagFactory(
        treatment=treatment,
        evidence={"summary": "Upright headache back to 8/10 two days after improving."},
    )
    page = logged_in(cast.clinician_on).get(reverse("clinic:inbox"), {"show": "all"})
    html = page.content.decode()

    assert html.index(f"flag-{open_flag.pk}") < html.index(f"flag-{resolved.pk}")
    assert "After the epidural blood patch, blind, L3/L4, 20 mL of" in html
    assert "Upright headache back to 8/10 two days after improving." in html
    assert "not a diagnosis" in html
    # Resolved flags only when asked for.
    default = logged_in(cast.clinician_on).get(reverse("clinic:inbox")).content.decode()
    assert f"flag-{resolved.pk}" not in default


def test_acknowledging_returns_the_card_and_the_new_unread_count(cast):
    flag = FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a))
    InboxItem.objects.create(
        recipient=cast.clinician_on, flag=flag, reason="raised", created_at=flag.detected_at
    )
    client = logged_in(cast.clinician_on, **{"HX-Request": "true"})
    assert 'aria-label="1 unread"' in client.get(reverse("clinic:inbox")).content.decode()

    response = client.post(reverse("clinic:flag-acknowledge", args=[flag.pk]))

    html = response.content.decode()
    assert 'class="flag card status-acknowledged"' in html
    assert 'id="unread-count" class="badge zero" hx-swap-oob="true"' in html
    assert "<html" not in html  # a fragment, swapped in place
    flag.refresh_from_db()
    assert flag.status == FlagStatus.ACKNOWLEDGED and flag.acknowledged_by == cast.clinician_on


def test_resolving_keeps_the_note_and_a_second_resolve_answers_409(cast):
    flag = FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a))
    client = logged_in(cast.clinician_on, **{"HX-Request": "true"})
    url = reverse("clinic:flag-resolve", args=[flag.pk])

    assert client.post(url, {"note": "Patch repeated."}).status_code == 200
    again = client.post(url, {"note": "again"})

    assert again.status_code == 409
    assert "already resolved" in again.content.decode()
    flag.refresh_from_db()
    assert flag.resolution_note == "Patch repeated."


def test_a_note_longer_than_the_limit_is_refused_with_the_form(cast):
    flag = FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a))
    client = logged_in(cast.clinician_on, **{"HX-Request": "true"})
    response = client.post(reverse("clinic:flag-resolve", args=[flag.pk]), {"note": "x" * 2001})
    assert response.status_code == 400
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


def test_inbox_reads_a_page_of_flags_in_a_fixed_number_of_queries(cast, django_assert_num_queries):
    client = logged_in(cast.clinician_on)
    FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a))
    # Session, user, the request's savepoint pair, page count, flags with patient and
    # treatment, which are unread, the header's unread count; the audit trail's
    # write of the read (its own savepoint pair and one INSERT).
    with django_assert_num_queries(11) as one:
        client.get(reverse("clinic:inbox"))
    for _ in range(4):
        FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a))
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(reverse("clinic:inbox"))


@time_machine.travel(dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC), tick=False)
def test_timeline_filters_entries_by_the_patients_days_and_draws_the_chart(cast):
    patient = cast.patient_a
    for day, score in ((10, 3), (11, 7), (12, 9)):
        # 23:30 in Zurich is the next day in UTC: the filter follows the patient's day.
        EntryFactory(
            patient=patient,
            headache=score,
            recorded_at=dt.datetime(2026, 3, day, 23, 30, tzinfo=ZURICH),
        )
    TreatmentFactory(patient=patient, performed_at=dt.datetime(2026, 3, 11, 9, tzinfo=ZURICH))
    client = logged_in(cast.clinician_on)

    html = client.get(
        reverse("clinic:patient", args=[patient.pk]),
        {"date_from": "2026-03-11", "date_to": "2026-03-11"},
    ).content.decode()

    assert "Wed 11 Mar 2026, 23:30" in html
    assert "Tue 10 Mar 2026" not in html and "Thu 12 Mar 2026" not in html
    assert "(1, newest first)" in html
    assert '<figure class="chart"' in html and "<svg" in html
    assert "EBP blind L3/L4" in html  # the treatment marked on the chart
    assert "Epidural blood patch" in html  # and in the treatments table


def test_a_bad_date_range_shows_the_error_and_the_whole_diary(cast):
    EntryFactory(patient=cast.patient_a)
    html = (
        logged_in(cast.coordinator)
        .get(
            reverse("clinic:patient", args=[cast.patient_a.pk]),
            {"date_from": "2026-03-12", "date_to": "2026-03-11"},
        )
        .content.decode()
    )
    assert "The first day is after the last day." in html
    assert "(1, newest first)" in html


def test_opening_a_patients_page_is_recorded_in_the_audit_trail(cast):
    logged_in(cast.coordinator).get(reverse("clinic:patient", args=[cast.patient_a.pk]))

    event = AuditEvent.objects.get(action=Action.READ, patient_id=cast.patient_a.pk)
    assert event.record_type == "patient"
    assert event.actor_username == "coord"
    assert event.request == f"GET /clinic/patients/{cast.patient_a.pk}/"


def test_an_out_of_scope_page_read_leaves_no_read_in_the_trail(cast):
    logged_in(cast.clinician_off).get(reverse("clinic:patient", args=[cast.patient_a.pk]))
    assert not AuditEvent.objects.filter(action=Action.READ, patient_id=cast.patient_a.pk)


def test_patient_search_matches_part_of_the_name(cast):
    html = logged_in(cast.coordinator).get(reverse("clinic:patients"), {"q": "ali"})
    assert "Alice" in html.content.decode() and "Bob" not in html.content.decode()


def test_export_requested_on_the_page_is_polled_then_downloadable(
    cast, django_capture_on_commit_callbacks
):
    client = logged_in(cast.coordinator, **{"HX-Request": "true"})
    EntryFactory(patient=cast.patient_a)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = client.post(
            reverse("clinic:export-create", args=[cast.patient_a.pk]), {"format": "csv"}
        )
    polling = first.content.decode()
    assert "<progress" in polling and 'hx-trigger="load delay' in polling
    for callback in queued:
        callback()  # the build, as the worker would run it
    job_url = polling.split('hx-get="')[1].split('"')[0]

    done = client.get(job_url).content.decode()

    assert "<progress" not in done and "Download CSV" in done
    download = client.get(done.split('href="')[1].split('"')[0])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert str(cast.patient_a.pk)[:8] in download["Content-Disposition"]


def test_treatment_description_is_the_pdfs_wording():
    assert (
        treatment_description(
            kind="epidural_blood_patch", approach="targeted", levels=["C6/C7"], volume_ml=15
        )
        == "Epidural blood patch, targeted, C6/C7, 15 mL"
    )


def test_a_bad_export_range_answers_400_with_the_message_and_queues_nothing(cast):
    client = logged_in(cast.coordinator, **{"HX-Request": "true"})
    response = client.post(
        reverse("clinic:export-create", args=[cast.patient_a.pk]),
        {"format": "pdf", "date_from": "2026-03-12", "date_to": "2026-03-11"},
    )
    assert response.status_code == 400
    assert "The first day is after the last day." in response.content.decode()
    assert not cast.patient_a.exports.exists()
