"""The patient app end to end: Debian's chromium at a phone viewport against the
live server, on the public API only. axe-core runs on every screen.

One browser for the module, a fresh context (a fresh phone) per test.
"""

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import TokenFamily
from diary.models import DayLog, Impression, SymptomEntry, Treatment
from diary.services.patients import enrollment_code_issue, reset_code_issue
from tests.browser import assert_accessible
from tests.conftest import client_for
from tests.factories import ClinicianFactory, PatientFactory, TreatmentFactory, UserFactory

PHONE = {"width": 360, "height": 740}
PASSWORD = "a-long-patient-password"


@pytest.fixture
def phone(browser, live_server, transactional_db):
    """new_phone() → a page in a fresh browser context: a phone of its own.

    Set up after the database, so its phones are closed before the tables are
    flushed: a sync still in flight would otherwise deadlock with the flush.
    """
    contexts = []

    def new_phone(**options):
        context = browser.new_context(viewport=PHONE, locale="en-GB", **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield new_phone
    for context in contexts:
        context.close()
    wait_for_the_servers_requests()


def wait_for_the_servers_requests(timeout: float = 10.0) -> None:
    """Until no other session of the test database is busy: a request the phone sent
    just before it closed may still hold row locks that the table flush would
    deadlock with. Two quiet looks in a row, since a request may sit between queries."""
    if connection.vendor != "postgresql":
        return
    quiet, deadline = 0, time.monotonic() + timeout
    with connection.cursor() as cursor:
        while quiet < 2 and time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state <> 'idle'"
            )
            quiet = quiet + 1 if cursor.fetchone()[0] == 0 else 0
            time.sleep(0.05)


@pytest.fixture
def patient(transactional_db):
    user = UserFactory(username="lena")
    user.set_password(PASSWORD)
    user.save()
    return PatientFactory(user=user, display_name="Lena", timezone="Europe/Zurich")


def open_app(page, url):
    page.goto(url)
    page.locator("body[data-ready=true]").wait_for()


def log_in(page, base):
    open_app(page, f"{base}/app/login")
    page.get_by_label("Username").fill("lena")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="How are you now?").wait_for()


def rate(page, question, rating):
    page.get_by_role("group", name=question).get_by_text(str(rating), exact=True).click()


def log_entry(page, posture, rating, note=""):
    page.get_by_role("group", name="Right now I am").get_by_text(posture, exact=True).click()
    rate(page, "My headache is", rating)
    if note:
        page.get_by_text("Symptoms, triggers and a note (optional)").click()
        page.get_by_label("Note").fill(note)
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Last entry:").wait_for()


def send_now(page):
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="Send and fetch now").click()
    page.locator(".sync-status", has_text="Everything is sent.").wait_for()


def test_patient_enrols_from_the_link_and_logs_an_entry(live_server, phone, transactional_db):
    patient = PatientFactory(user=None, display_name="Noor")
    code = enrollment_code_issue(patient=patient, issued_by=None).code
    page = phone()

    open_app(page, f"{live_server.url}/app/enrol#code={code}")
    assert "#" not in page.url  # the code leaves the address bar
    assert page.get_by_label("Code from your clinic").input_value() == code
    assert_accessible(page)
    page.get_by_label("Username").fill("noor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Start my diary").click()

    page.get_by_role("heading", name="How are you now?").wait_for()
    assert_accessible(page)
    log_entry(page, "Standing", 6, note="after lunch")
    page.get_by_text("Symptoms, triggers and a note (optional)").click()
    send_now(page)

    patient.refresh_from_db()
    assert patient.user.username == "noor"
    entry = SymptomEntry.objects.get(patient=patient)
    assert (entry.posture, entry.headache, entry.note) == ("standing", 6, "after lunch")


def history_notes(page):
    page.goto(page.url.split("/app/")[0] + "/app/history")
    page.locator("body[data-ready=true]").wait_for()
    return sorted(page.locator(".record .note").all_inner_texts())


def test_entries_logged_offline_survive_a_reload_and_reach_the_server_exactly_once(
    live_server, phone, patient
):
    page = phone()
    log_in(page, live_server.url)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    page.context.set_offline(True)
    for posture, rating in (("Lying down", 2), ("Sitting", 5), ("Standing", 7)):
        log_entry(page, posture, rating, note=f"{posture} offline")
    assert page.locator("#net").inner_text() == "Offline: saving on this phone"

    page.reload()  # still offline: the service worker serves the shell
    page.locator("body[data-ready=true]").wait_for()
    page.get_by_role("link", name="My course").click()
    page.get_by_role("link", name="History: edit or delete entries").click()
    expect(page.locator(".record .pending")).to_have_count(3)  # the outbox survived
    assert_accessible(page)
    assert not SymptomEntry.objects.filter(patient=patient).exists()

    # Back online, the first sync's reply is lost on the way: the phone sends again.
    lost = []

    def lose_first_reply(route):
        if route.request.method == "POST" and not lost:
            lost.append(route.fetch().status)
            route.abort()
        else:
            route.continue_()

    page.route("**/api/v1/sync/", lose_first_reply)
    page.context.set_offline(False)
    page.locator(".record .pending").first.wait_for(state="detached", timeout=20_000)

    assert lost == [200]
    stored = SymptomEntry.objects.filter(patient=patient, deleted_at__isnull=True)
    assert sorted((e.posture, e.headache) for e in stored) == [
        ("lying", 2),
        ("sitting", 5),
        ("standing", 7),
    ]


def test_two_phones_of_one_patient_converge(live_server, phone, patient):
    first, second = phone(), phone()
    log_in(first, live_server.url)
    log_in(second, live_server.url)

    log_entry(first, "Sitting", 4, note="from the first phone")
    send_now(first)
    first.get_by_role("link", name="Log").click()
    log_entry(first, "Standing", 6, note="to be deleted")
    send_now(first)
    log_entry(second, "Lying down", 1, note="from the second phone")
    send_now(second)

    # The first phone deletes one of its entries from its history.
    first.goto(f"{live_server.url}/app/history")
    record = first.locator(".record", has_text="to be deleted")
    record.get_by_role("button", name="Delete").click()
    assert_accessible(first)
    record.get_by_role("button", name="Yes, delete").click()
    record.wait_for(state="detached")
    send_now(first)
    send_now(second)

    expected = ["from the first phone", "from the second phone"]
    assert history_notes(first) == expected
    assert history_notes(second) == expected
    assert SymptomEntry.objects.filter(patient=patient, deleted_at__isnull=True).count() == 2


def test_stand_up_test_with_a_controlled_clock_gives_the_minutes(live_server, phone, patient):
    page = phone()
    # The phone's clock, 30 minutes back: the test's 19 minutes never run ahead of the server.
    page.clock.install(time=timezone.now() - dt.timedelta(minutes=30))
    log_in(page, live_server.url)
    page.get_by_role("link", name="Stand-up test").click()
    assert_accessible(page)

    page.get_by_role("button", name="I am standing up now").click()
    page.clock.fast_forward("12:10")
    assert page.get_by_role("timer").inner_text() == "12:10"
    assert_accessible(page)
    page.get_by_role("button", name="The headache has started").click()
    page.get_by_text("The headache started after 12 minutes upright.").wait_for()
    rate(page, "How bad is the headache now?", 6)
    page.get_by_role("button", name="I am lying down now").click()
    page.clock.fast_forward("06:50")
    page.get_by_role("button", name="The headache has eased").click()
    page.get_by_text("It eased after 7 minutes lying down.").wait_for()
    assert_accessible(page)
    rate(page, "How bad is the headache now?", 2)
    page.get_by_role("button", name="Save the test").click()
    page.get_by_text("Saved: headache after 12 minutes upright").wait_for()
    send_now(page)

    standing = SymptomEntry.objects.get(patient=patient, posture="standing")
    lying = SymptomEntry.objects.get(patient=patient, posture="lying")
    assert (standing.headache, standing.onset_minutes, standing.minutes_in_posture) == (6, 12, 12)
    assert (lying.headache, lying.relief_minutes, lying.minutes_in_posture) == (2, 7, 7)


def test_treatment_course_and_history_edit(live_server, phone, patient):
    page = phone()
    log_in(page, live_server.url)
    log_entry(page, "Standing", 8)
    page.get_by_role("link", name="My course").click()
    page.get_by_role("link", name="Record a treatment").click()
    assert_accessible(page)
    page.get_by_label("Spinal levels").fill("l3/l4, T12/L1")
    page.get_by_label("Approach").select_option("targeted")
    page.get_by_label("Volume in mL").fill("150")
    page.get_by_role("button", name="Save treatment").click()
    page.get_by_text("Between 0 and 100 mL.").wait_for()
    assert_accessible(page)
    page.get_by_label("Volume in mL").fill("18")
    page.get_by_role("button", name="Save treatment").click()
    page.get_by_role("heading", name="History").wait_for()

    page.locator(".record.entry").get_by_role("link", name="Edit").click()
    page.get_by_role("heading", name="Edit entry").wait_for()
    page.get_by_role("group", name="My headache is").get_by_text("3", exact=True).click()
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text("Standing: headache 3 of 10").wait_for()
    send_now(page)

    page.get_by_role("link", name="My course").click()
    expect(page.locator(".chart polyline.upright, .chart circle.upright")).not_to_have_count(0)
    expect(page.locator(".chart line.patch")).to_have_count(1)
    assert "not diagnoses" in page.content()
    page.get_by_text("Show the numbers").click()
    assert_accessible(page)

    entry = SymptomEntry.objects.get(patient=patient)
    assert entry.headache == 3
    treatment = Treatment.objects.get(patient=patient)
    assert (treatment.approach, sorted(treatment.levels), treatment.volume_ml) == (
        "targeted",
        ["L3/L4", "T12/L1"],
        18,
    )


def test_due_pgic_shows_as_a_banner_and_the_day_log_conflict_is_shown(live_server, phone, patient):
    # Its +72 h check-in fell due at the last local noon (never in quiet hours).
    local_now = timezone.now().astimezone(ZoneInfo(patient.timezone))
    noon = local_now.replace(hour=12, minute=0, second=0, microsecond=0)
    due = noon if noon <= local_now else noon - dt.timedelta(days=1)
    treatment = TreatmentFactory(patient=patient, performed_at=due - dt.timedelta(hours=72))
    first, second = phone(), phone()
    log_in(first, live_server.url)
    banner = first.locator(".banner.reminder", has_text="72 hours after your treatment")
    banner.filter(has_text="How has your condition changed").get_by_role("link").click()
    first.get_by_role("heading", name="How are you since the treatment?").wait_for()
    assert_accessible(first)
    first.get_by_text("Much better", exact=True).click()
    first.get_by_role("button", name="Save the answer").click()
    first.get_by_role("heading", name="How are you now?").wait_for()

    # The same day logged on two phones: the second hears of the first's as a conflict.
    log_in(second, live_server.url)
    for page, hours in ((first, "6"), (second, "3")):
        page.get_by_role("link", name="My day").click()
        page.get_by_label("Hours upright (sitting or standing)").fill(hours)
        page.get_by_role("button", name="Save the day").click()
        page.get_by_role("heading", name="History").wait_for()
        send_now(page) if page is first else None
    assert_accessible(first)
    second.get_by_role("link", name="Settings").click()
    second.get_by_role("button", name="Send and fetch now").click()
    conflict = second.locator(".banner.conflict")
    conflict.wait_for()
    assert "3 h upright" in conflict.inner_text() and "6 h upright" in conflict.inner_text()
    assert_accessible(second)
    conflict.get_by_role("button", name="Keep mine").click()
    conflict.wait_for(state="detached")
    send_now(second)

    answer = Impression.objects.get(patient=patient)
    assert (answer.treatment_id, answer.checkpoint, answer.score) == (treatment.pk, "72h", 2)
    day = DayLog.objects.get(patient=patient)
    assert day.upright_hours == 3  # the patient chose the second phone's figures


def test_a_refresh_whose_reply_is_lost_keeps_the_patient_logged_in(live_server, phone, patient):
    page = phone()
    log_in(page, live_server.url)
    log_entry(page, "Sitting", 4)
    send_now(page)

    # The access token "expires" (the server says so until the phone holds a new
    # one), and the first refresh's reply is lost on the way back.
    refreshes = []

    def expired_once(route):
        if len(refreshes) < 2:
            route.fulfill(status=401, json={"error": {"code": "token_not_valid", "message": "x"}})
        else:
            route.continue_()

    def lose_first_refresh(route):
        refreshes.append(route.fetch().status)
        if len(refreshes) == 1:
            route.abort()
        else:
            route.continue_()

    page.route("**/api/v1/sync/", expired_once)
    page.route("**/api/v1/auth/token/refresh/", lose_first_refresh)
    page.get_by_role("link", name="Log").click()
    log_entry(page, "Lying down", 1)
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="Send and fetch now").click()
    page.locator(".sync-status", has_text="Everything is sent.").wait_for(timeout=20_000)

    assert refreshes[:2] == [200, 200]  # the same refresh token, again within the grace
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()  # still logged in
    assert SymptomEntry.objects.filter(patient=patient).count() == 2


def test_reset_link_and_language_switch(live_server, phone, patient):
    code = reset_code_issue(patient=patient, issued_by=ClinicianFactory()).code
    page = phone()
    open_app(page, f"{live_server.url}/app/reset#code={code}")
    assert "#" not in page.url
    assert_accessible(page)
    page.get_by_label("New password").fill("another-long-password")
    page.get_by_role("button", name="Save the new password").click()
    page.get_by_role("heading", name="How are you now?").wait_for()

    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Language").select_option("de")
    page.get_by_role("button", name="Change language").click()
    page.get_by_role("heading", name="Einstellungen").wait_for()
    assert page.locator("html").get_attribute("lang") == "de"
    assert_accessible(page)
    page.get_by_role("link", name="Eintrag").click()
    page.get_by_role("heading", name="Wie geht es Ihnen jetzt?").wait_for()
    assert_accessible(page)

    patient.user.refresh_from_db()
    assert patient.user.language == "de"  # the profile follows, so a new phone starts in German
    fresh = phone()
    open_app(fresh, f"{live_server.url}/app/login")
    fresh.get_by_label("Username").fill("lena")
    fresh.get_by_label("Password").fill("another-long-password")
    fresh.get_by_role("button", name="Log in").click()
    fresh.get_by_role("heading", name="Wie geht es Ihnen jetzt?").wait_for()


def test_password_change_logs_out_the_other_phone_and_log_out_clears_this_one(
    live_server, phone, patient
):
    first, second = phone(), phone()
    log_in(first, live_server.url)
    log_in(second, live_server.url)

    first.get_by_role("link", name="Settings").click()
    first.get_by_label("Current password").fill(PASSWORD)
    first.get_by_label("New password").fill("a-new-long-password")
    first.get_by_role("button", name="Change password").click()
    first.get_by_text("Password changed. Every other login is logged out.").wait_for()
    assert_accessible(first)

    # The other phone's next call is refused: it lands on the login screen.
    second.get_by_role("link", name="Settings").click()
    second.get_by_role("button", name="Send and fetch now").click()
    second.get_by_role("heading", name="Log in").wait_for()
    assert_accessible(second)

    first.get_by_role("button", name="Log out of this phone").click()
    first.get_by_role("heading", name="Log in").wait_for()
    assert (
        first.evaluate(
            """() => new Promise((resolve) => {
            const open = indexedDB.open("symptom-diary");
            open.onsuccess = () => open.result.transaction("meta").objectStore("meta")
                .count().onsuccess = (event) => resolve(event.target.result);
        })"""
        )
        == 0
    )  # nothing of the diary is left on the phone


def test_log_out_everywhere_sends_the_other_phone_to_the_login_screen(live_server, phone, patient):
    first, second = phone(), phone()
    log_in(first, live_server.url)
    log_in(second, live_server.url)

    first.get_by_role("link", name="Settings").click()
    first.get_by_role("button", name="Log out of this phone").wait_for()  # both are offered
    first.get_by_role("button", name="Log out everywhere").click()
    first.get_by_role("heading", name="Log in").wait_for()

    # The other phone's next sync is refused: it lands on the login screen.
    second.get_by_role("link", name="Settings").click()
    second.get_by_role("button", name="Send and fetch now").click()
    second.get_by_role("heading", name="Log in").wait_for()
    assert_accessible(second)
    assert not TokenFamily.objects.filter(user=patient.user, revoked_at__isnull=True).exists()


@pytest.mark.parametrize("width", [320])
def test_screens_reflow_at_320_px_and_200_percent_text(live_server, browser, patient, width):
    context = browser.new_context(viewport={"width": width, "height": 640}, locale="en-GB")
    page = context.new_page()
    try:
        log_in(page, live_server.url)
        # Text at 200 % (through the CSSOM: the Content-Security-Policy refuses inline styles).
        page.evaluate("() => { document.documentElement.style.fontSize = '200%' }")
        for link in ("Log", "Stand-up test", "My day", "My course", "Settings"):
            page.get_by_role("link", name=link, exact=True).click()
            page.locator("main h1").wait_for()
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            wide = page.evaluate(
                """() => [...document.querySelectorAll('main *')]
                    .filter((el) => el.getBoundingClientRect().right > innerWidth + 1)
                    .map((el) => el.tagName + '.' + el.className + '#' + el.id).slice(0, 5)"""
            )
            assert overflow <= 0, f"{link}: {overflow}px of horizontal scrolling: {wide}"
            assert_accessible(page)
        # Every control a finger aims at is at least 44 px each way.
        small = page.evaluate(
            """() => [...document.querySelectorAll('main button, main a, nav a, .option label')]
                .map((el) => el.getBoundingClientRect())
                .filter((r) => r.width && (r.width < 44 || r.height < 44)).length"""
        )
        assert small == 0
    finally:
        context.close()


def test_a_clinicians_edit_meanwhile_comes_back_as_a_conflict_the_patient_sees(
    live_server, phone, patient
):
    clinician = ClinicianFactory(clinic=patient.clinic)
    patient.care_team.add(clinician)
    page = phone()
    log_in(page, live_server.url)
    page.get_by_role("link", name="My course").click()
    page.get_by_role("link", name="Record a treatment").click()
    page.get_by_label("Spinal levels").fill("L3/L4")
    page.get_by_label("Volume in mL").fill("20")
    page.get_by_role("button", name="Save treatment").click()
    send_now(page)  # sent, and pulled back with its version

    # The clinician corrects it while the phone is out of reach; the patient,
    # offline, corrects it too, from the version the phone has.
    page.context.set_offline(True)
    treatment = Treatment.objects.get(patient=patient)
    answer = client_for(clinician).patch(
        f"/api/v1/patches/{treatment.uuid}/", {"volume_ml": 15}, format="json"
    )
    assert answer.status_code == 200
    page.get_by_role("link", name="My course").click()
    page.get_by_role("link", name="History: edit or delete entries").click()
    page.locator(".record.patch").get_by_role("link", name="Edit").click()
    page.get_by_label("Volume in mL").fill("18")
    page.get_by_role("button", name="Save treatment").click()
    page.get_by_role("heading", name="History").wait_for()
    page.context.set_offline(False)  # the sync on reconnect meets the clinician's version
    conflict = page.locator(".banner.conflict")
    conflict.wait_for()
    assert "18 mL" in conflict.inner_text() and "15 mL" in conflict.inner_text()
    assert_accessible(page)
    treatment.refresh_from_db()
    assert treatment.volume_ml == 15  # nothing was overwritten

    conflict.get_by_role("button", name="Keep mine").click()
    conflict.wait_for(state="detached")
    send_now(page)
    treatment.refresh_from_db()
    assert treatment.volume_ml == 18  # sent again over the clinician's version, knowingly
