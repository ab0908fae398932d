"""The patient app end to end: Debian's chromium at a phone viewport against the
live server, on the public API only. axe-core runs on every screen.

One browser for the module, a fresh context (a fresh phone) per test.
"""

import pytest

from diary.models import SymptomEntry
from diary.services.patients import enrollment_code_issue
from tests.browser import assert_accessible, chromium, chromium_available
from tests.conftest import services_required
from tests.factories import PatientFactory, UserFactory

PHONE = {"width": 360, "height": 740}
PASSWORD = "a-long-patient-password"


@pytest.fixture(scope="module")
def browser():
    if not chromium_available():
        if services_required():
            pytest.fail("REQUIRE_SERVICES is set but /usr/bin/chromium is missing (see .ci/run)")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    with chromium() as browser:
        yield browser


@pytest.fixture
def phone(browser):
    """new_phone() → a page in a fresh browser context: a phone of its own."""
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


def log_entry(page, posture, rating, note=""):
    page.get_by_role("group", name="Right now I am").get_by_text(posture, exact=True).click()
    page.get_by_role("group", name="My headache is").get_by_text(str(rating), exact=True).click()
    if note:
        page.get_by_text("Symptoms, triggers and a note (optional)").click()
        page.get_by_label("Note").fill(note)
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Last entry:").wait_for()


def send_now(page):
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="Send and fetch now").click()
    page.get_by_text("Everything is sent.").wait_for()


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
