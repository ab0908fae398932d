"""Issue 17: triage order, cards, the worklist, the time rule, the record number."""

import datetime as dt
import re
from zoneinfo import ZoneInfo, available_timezones

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from clinic.forms import EnrolForm
from diary.models import Flag, FlagStatus, Patient
from diary.time_zones import canonical_zones
from tests.factories import (
    EntryFactory,
    FlagFactory,
    ImpressionFactory,
    PatientFactory,
    TreatmentFactory,
)

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
ZURICH = ZoneInfo("Europe/Zurich")


def logged_in(user, **headers) -> Client:
    client = Client(headers=headers)
    client.force_login(user)
    return client


def flag(patient, kind, *, hours_old, status=FlagStatus.OPEN, **fields) -> Flag:
    detected = NOW - dt.timedelta(hours=hours_old)
    return FlagFactory(
        treatment=TreatmentFactory(patient=patient, performed_at=detected - dt.timedelta(days=5)),
        kind=kind,
        status=status,
        detected_at=detected,
        proven_at=detected,
        acknowledged_at=detected if status != FlagStatus.OPEN else None,
        **fields,
    )


def card_ids(html: str) -> list[str]:
    return re.findall(r'<article class="flag card[^"]*" id="flag-([0-9a-f-]+)"', html)


@time_machine.travel(NOW, tick=False)
def test_inbox_orders_by_state_then_clinical_weight_then_escalation_then_age(cast):
    a = cast.patient_a
    # Created in an order that differs from the expected one on every key.
    old_no_response = flag(a, "no_response", hours_old=200)
    ack_relapse = flag(a, "relapse", hours_old=300, status=FlagStatus.ACKNOWLEDGED)
    new_relapse = flag(a, "relapse", hours_old=2)
    rebound = flag(a, "rebound_pattern", hours_old=100)
    old_relapse = flag(a, "relapse", hours_old=20)  # escalates in 4 h: before new_relapse
    ack_no_response = flag(a, "no_response", hours_old=400, status=FlagStatus.ACKNOWLEDGED)
    newer_no_response = flag(a, "no_response", hours_old=50)

    html = logged_in(cast.clinician_on).get(reverse("clinic:inbox")).content.decode()

    assert card_ids(html) == [
        str(f.pk)
        for f in (
            old_relapse,
            new_relapse,
            rebound,
            old_no_response,
            newer_no_response,
            ack_relapse,
            ack_no_response,
        )
    ]


@time_machine.travel(NOW, tick=False)
def test_a_card_says_its_age_its_escalation_and_the_latest_upright_score(cast):
    a = cast.patient_a
    EntryFactory(patient=a, posture="lying", headache=1, recorded_at=NOW - dt.timedelta(hours=1))
    EntryFactory(patient=a, posture="standing", headache=7, recorded_at=NOW - dt.timedelta(hours=3))
    EntryFactory(patient=a, posture="sitting", headache=4, recorded_at=NOW - dt.timedelta(days=2))
    relapse = flag(a, "relapse", hours_old=20)
    no_response = flag(a, "no_response", hours_old=30)

    html = logged_in(cast.clinician_on).get(reverse("clinic:inbox")).content.decode()
    relapse_card = html[html.index(f'id="flag-{relapse.pk}"') :]
    relapse_card = relapse_card[: relapse_card.index("</article>")]
    other_card = html[html.index(f'id="flag-{no_response.pk}"') :]

    assert "20\xa0hours ago" in relapse_card
    assert "in 4\xa0hours," in relapse_card  # 24 h after detection
    # The latest upright rating (not the later lying one), in the patient's time.
    assert "7/10" in relapse_card and "Nov. 30, 2026, 10 a.m." in relapse_card
    assert "does not escalate" in other_card[: other_card.index("</article>")]


def test_acting_from_the_patients_page_without_javascript_returns_there(cast):
    f = FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a))
    page = reverse("clinic:patient", args=[cast.patient_a.pk])
    client = logged_in(cast.clinician_on)

    html = client.get(page).content.decode()
    assert f'id="flag-{f.pk}"' in html and ">Acknowledge</button>" in html

    response = client.post(reverse("clinic:flag-acknowledge", args=[f.pk]), {"next": page})
    assert response.status_code == 302 and response["Location"] == page
    # Anything but a clinic path goes to the inbox.
    response = client.post(
        reverse("clinic:flag-resolve", args=[f.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("clinic:inbox")
    f.refresh_from_db()
    assert f.status == FlagStatus.RESOLVED


@time_machine.travel(NOW, tick=False)
def test_acted_moments_show_in_the_readers_zone_diary_moments_in_the_patients(cast):
    """A clinician in New York acknowledges a flag of a patient in Zurich."""
    cast.clinician_on.timezone = "America/New_York"  # their profile's zone
    cast.clinician_on.save()
    a = cast.patient_a  # Europe/Zurich
    f = FlagFactory(
        treatment=TreatmentFactory(
            patient=a, performed_at=dt.datetime(2026, 11, 20, 9, 0, tzinfo=ZURICH)
        ),
        kind="no_response",
        detected_at=dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC),
        proven_at=dt.datetime(2026, 11, 29, 22, 0, tzinfo=dt.UTC),
    )
    client = logged_in(cast.clinician_on, **{"HX-Request": "true"})
    with time_machine.travel(dt.datetime(2026, 11, 30, 2, 15, tzinfo=dt.UTC), tick=False):
        html = client.post(reverse("clinic:flag-acknowledge", args=[f.pk])).content.decode()

    # Acknowledged 02:15 UTC: 21:15 the evening before in New York (03:15 in Zurich).
    assert "Acknowledged Nov. 29, 2026, 9:15 p.m. (your time, America/New_York)" in html
    # Detected 23:30 UTC: 18:30 in New York.
    assert "Detected Nov. 29, 2026, 6:30 p.m. (your time, America/New_York)" in html
    # Diary moments in the patient's zone: evidence 22:00 UTC is 23:00 in Zurich.
    assert "Evidence complete Nov. 29, 2026, 11 p.m. (patient's time, Europe/Zurich)" in html
    assert "After the epidural blood patch" in html and "Nov. 20, 2026, 9 a.m." in html

    # A reader who never chose a zone reads UTC; a German reader reads German dates.
    german = logged_in(cast.coordinator, **{"Accept-Language": "de"})
    html = german.get(reverse("clinic:patient", args=[a.pk])).content.decode()
    assert '<html lang="de">' in html
    assert "29. November 2026 23:00" in html  # evidence complete, Zurich time, German format
    assert "30. November 2026 02:15" in html  # acknowledged, the coordinator's UTC


def test_the_timeline_names_symptoms_in_words(cast):
    EntryFactory(patient=cast.patient_a, symptoms=["neck_pain", "cognitive_fog"])
    html = logged_in(cast.clinician_on).get(reverse("clinic:patient", args=[cast.patient_a.pk]))
    text = html.content.decode()
    assert "Neck pain, Cognitive fog" in text and "neck_pain" not in text


def test_the_chart_has_a_data_table_of_its_days(cast):
    EntryFactory(
        patient=cast.patient_a,
        posture="standing",
        headache=6,
        recorded_at=dt.datetime(2026, 3, 10, 9, tzinfo=ZURICH),
    )
    html = (
        logged_in(cast.clinician_on)
        .get(reverse("clinic:patient", args=[cast.patient_a.pk]))
        .content.decode()
    )
    assert "The chart&#x27;s figures as a table" in html or "The chart's figures" in html
    assert '<th scope="row">March 10, 2026</th><td>6</td><td>—</td><td>—</td>' in html


# --- the worklist ----------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_worklist_shows_last_entry_days_since_treatment_and_open_flags(cast):
    a = cast.patient_a
    a.record_number = "MRN-0042"
    a.save()
    EntryFactory(patient=a, recorded_at=dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC))
    # 00:30 in Zurich on 28 November: two of the patient's days ago (not one, as in UTC).
    TreatmentFactory(patient=a, performed_at=dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC))
    flag(a, "relapse", hours_old=3)
    flag(a, "no_response", hours_old=3, status=FlagStatus.RESOLVED)

    html = logged_in(cast.coordinator).get(reverse("clinic:patients")).content.decode()
    row = html[html.index("Alice") :]
    row = row[: row.index("</tr>")]

    assert "MRN-0042" in row
    assert "Nov. 30, 2026, 12:30 a.m." in row  # the last entry, in Zurich time
    assert 'data-label="Days since last treatment"><div class="cell">2 ' in row
    assert '<span class="badge">1</span>' in row


@time_machine.travel(NOW, tick=False)
def test_worklist_sorts_by_any_column_and_searches_name_or_record_number(cast):
    a, b = cast.patient_a, cast.patient_b
    a.record_number, b.record_number = "A-900", "B-100"
    a.save(), b.save()
    EntryFactory(patient=a, recorded_at=NOW - dt.timedelta(days=1))
    EntryFactory(patient=b, recorded_at=NOW - dt.timedelta(days=9))
    flag(b, "relapse", hours_old=1)
    client = logged_in(cast.coordinator)

    def names(**params):
        html = client.get(reverse("clinic:patients"), params).content.decode()
        return re.findall(r'<a href="/clinic/patients/[^"]+/">([^<]+)</a>', html)

    assert names() == ["Bob", "Alice"]  # default: most open flags first
    assert names(sort="name") == ["Alice", "Bob"]
    assert names(sort="-name") == ["Bob", "Alice"]
    assert names(sort="record") == ["Alice", "Bob"]
    assert names(sort="-record") == ["Bob", "Alice"]
    assert names(sort="last_entry") == ["Bob", "Alice"]  # longest without an entry first
    assert names(sort="nonsense; drop table") == ["Bob", "Alice"]  # unknown: the default
    assert names(q="b-1") == ["Bob"]  # record number, from its start
    assert names(q="ali") == ["Alice"]  # part of the name


def test_worklist_reads_a_page_in_a_fixed_number_of_queries(cast, django_assert_num_queries):
    client = logged_in(cast.coordinator)
    # Session, user, savepoint pair, page count, the page of patients with their last
    # entry, last treatment and open flags, the header's unread count.
    with django_assert_num_queries(7) as one:
        client.get(reverse("clinic:patients"))
    for _ in range(5):
        patient = PatientFactory(clinic=cast.clinic)
        EntryFactory(patient=patient)
        FlagFactory(treatment=TreatmentFactory(patient=patient))
    with django_assert_num_queries(len(one.captured_queries)):
        html = client.get(reverse("clinic:patients")).content.decode()
    assert html.count('<span class="badge">1</span>') == 5


# --- record number, enrolment, time-zone picker ----------------------------------------


def test_enrolment_takes_a_record_number_unique_within_the_clinic(cast):
    client = logged_in(cast.coordinator)
    form = {"display_name": "Lena", "timezone": "Europe/Vienna", "condition": "pdph"}

    first = client.post(reverse("clinic:enrol"), {**form, "record_number": " MRN-7 "})
    again = client.post(reverse("clinic:enrol"), {**form, "record_number": "MRN-7"})
    blank = client.post(reverse("clinic:enrol"), {**form, "record_number": ""})
    blank_too = client.post(reverse("clinic:enrol"), {**form, "record_number": ""})

    assert first.status_code == 200 and "MRN-7" in first.content.decode()
    assert "Another patient of this clinic has this record number." in again.content.decode()
    assert "enrolment-code" in blank.content.decode()
    assert "enrolment-code" in blank_too.content.decode()  # many without a number
    assert Patient.objects.filter(record_number="MRN-7").count() == 1
    # Another clinic may use the same number.
    other = logged_in(cast.coordinator_other)
    assert (
        "enrolment-code"
        in other.post(reverse("clinic:enrol"), {**form, "record_number": "MRN-7"}).content.decode()
    )


def test_the_time_zone_picker_offers_canonical_names_and_refuses_aliases(cast):
    html = logged_in(cast.coordinator).get(reverse("clinic:enrol")).content.decode()
    assert '<select name="timezone"' in html
    assert '<option value="Europe/Zurich" selected>Zurich</option>' in html
    assert 'value="Europe/Kiev"' not in html and 'value="Europe/Kyiv"' in html

    for alias in ("US/Eastern", "Asia/Calcutta", "Europe/Kiev", "Not/AZone"):
        form = EnrolForm(
            {"display_name": "X", "timezone": alias, "condition": "unknown"}, clinic=cast.clinic
        )
        assert not form.is_valid() and "timezone" in form.errors, alias


def test_the_canonical_zone_list_is_known_and_free_of_aliases():
    zones = set(canonical_zones())
    assert len(zones) > 300 and zones <= set(available_timezones())
    assert {"Europe/Zurich", "America/New_York", "Asia/Kolkata", "Europe/Kyiv"} <= zones
    assert not {"US/Eastern", "Asia/Calcutta", "Europe/Kiev", "GMT0", "EST5EDT"} & zones


@time_machine.travel(NOW, tick=False)
def test_the_enrolment_codes_expiry_is_in_the_coordinators_zone(cast, settings):
    cast.coordinator.timezone = "Asia/Tokyo"
    cast.coordinator.save()
    settings.ENROLLMENT_CODE_TTL = dt.timedelta(hours=72)
    html = (
        logged_in(cast.coordinator)
        .post(
            reverse("clinic:enrol"),
            {"display_name": "Lena", "timezone": "Europe/Vienna", "condition": "pdph"},
        )
        .content.decode()
    )
    # 12:00 UTC + 72 h is 21:00 in Tokyo.
    assert "works until Dec. 3, 2026, 9 p.m. (your time, Asia/Tokyo)" in html


def test_the_evidence_names_its_days_in_the_locales_format(cast):
    FlagFactory(
        treatment=TreatmentFactory(patient=cast.patient_a),
        evidence={"summary": "Upright headache back to 8/10 on 2026-11-22 (improved 2026-11-18)."},
    )
    html = logged_in(cast.clinician_on).get(reverse("clinic:inbox")).content.decode()
    assert "back to 8/10 on Nov. 22, 2026 (improved Nov. 18, 2026)." in html
    german = logged_in(cast.clinician_on, **{"Accept-Language": "de"}).get(reverse("clinic:inbox"))
    assert "on 22. November 2026" in german.content.decode()


@time_machine.travel(NOW, tick=False)
def test_a_card_quotes_the_latest_pgic_answer_to_the_flags_treatment(cast):
    f = flag(cast.patient_a, "relapse", hours_old=5)
    ImpressionFactory(
        treatment=f.treatment, checkpoint="72h", score=2, answered_at=NOW - dt.timedelta(days=3)
    )
    ImpressionFactory(
        treatment=f.treatment, checkpoint="7d", score=5, answered_at=NOW - dt.timedelta(hours=7)
    )
    other = flag(cast.patient_a, "no_response", hours_old=6)  # no answer to its treatment

    html = logged_in(cast.clinician_on).get(reverse("clinic:inbox")).content.decode()

    card = html[html.index(f'id="flag-{f.pk}"') :]
    assert "impression of change (PGIC)" in card[: card.index("</article>")]
    assert "5, minimally worse (at 7 days)" in card[: card.index("</article>")]
    other_card = html[html.index(f'id="flag-{other.pk}"') :]
    assert "PGIC" not in other_card[: other_card.index("</article>")]


def test_the_timeline_names_triggers_in_words(cast):
    EntryFactory(patient=cast.patient_a, triggers=["coughing_or_straining"])
    html = logged_in(cast.clinician_on).get(reverse("clinic:patient", args=[cast.patient_a.pk]))
    assert "Coughing or straining" in html.content.decode()
