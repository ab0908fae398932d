"""End to end in a real headless Chromium against the live server.

Few and fast: one browser for the module, a fresh context (cookies) per test.
"""

import io

import pytest
from django.core.management import call_command

from diary.models import Flag, FlagStatus, Patient
from exports.models import ExportJob, ExportStatus
from tests.browser import VIEWPORT, chromium, chromium_available, log_in
from tests.conftest import services_required
from tests.factories import ClinicianFactory

DEMO_PASSWORD = "demo-password"


@pytest.fixture(scope="module")
def browser():
    if not chromium_available():
        if services_required():
            pytest.fail("REQUIRE_SERVICES is set but /usr/bin/chromium is missing (see .ci/run)")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def demo(transactional_db):
    """The demo clinic; its diaries go in through sync, so the flags are raised by the
    same evaluation that runs after a phone's sync (eager Celery, after commit)."""
    call_command("seed_demo", stdout=io.StringIO())
    return Patient.objects.get(user__username="tom")


def test_clinician_sees_the_relapse_flag_and_acknowledges_it_in_place(live_server, page, demo):
    flag = Flag.objects.get(patient=demo, kind="relapse")
    log_in(page, live_server.url, "clinician", DEMO_PASSWORD)

    assert page.url.endswith("/clinic/flags/")
    assert page.locator("#unread-count").inner_text() == "2"  # Tom's relapse, Ana's no-response
    card = page.locator(f"#flag-{flag.pk}")
    assert "Tom Whitaker" in card.inner_text()
    assert "After the epidural blood patch, blind, T12/L1, 20 mL" in card.inner_text()
    assert "Upright headache back to" in card.inner_text()  # the evidence, in words
    assert "not a diagnosis" in page.content()

    # A marker on the window survives only if the page is not reloaded.
    page.evaluate("window.stillHere = true")
    card.get_by_role("button", name="Acknowledge").click()
    page.locator(f"#flag-{flag.pk}.status-acknowledged").wait_for()

    assert page.evaluate("window.stillHere") is True
    assert page.locator("#unread-count").inner_text() == "1"
    flag.refresh_from_db()
    assert flag.status == FlagStatus.ACKNOWLEDGED

    card = page.locator(f"#flag-{flag.pk}")
    card.get_by_label("Resolution note").fill("Second patch at T11/T12 booked.")
    card.get_by_role("button", name="Resolve with note").click()
    page.locator(f"#flag-{flag.pk}.status-resolved").wait_for()
    assert "Second patch at T11/T12 booked." in page.locator(f"#flag-{flag.pk}").inner_text()
    assert page.evaluate("window.stillHere") is True


def test_coordinator_enrols_a_patient_and_downloads_a_pdf_export(live_server, page, demo):
    log_in(page, live_server.url, "coordinator", DEMO_PASSWORD)
    page.get_by_role("link", name="Enrol a patient").first.click()
    page.get_by_label("Name shown to the care team").fill("Lena Novak")
    page.get_by_label("Time zone").fill("Europe/Vienna")
    page.get_by_label("Condition").select_option("pdph")
    page.get_by_label("clinician").check()
    page.get_by_role("button", name="Enrol and show the code").click()

    code = page.locator("#enrolment-code").inner_text()
    assert len(code) >= 8
    assert page.locator(".qr svg").count() == 1
    lena = Patient.objects.get(display_name="Lena Novak")
    assert list(lena.care_team.values_list("username", flat=True)) == ["clinician"]

    page.get_by_role("link", name="Patients").click()
    page.get_by_label("Search by name").fill("Whitaker")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Tom Whitaker (helps, then fails)").click()
    assert page.locator("figure.chart svg").count() == 1

    page.get_by_label("Format").select_option("pdf")
    page.get_by_role("button", name="Request export").click()
    download_link = page.get_by_role("link", name="Download PDF for the clinician")
    download_link.wait_for()  # polled into place once the build is done
    with page.expect_download() as info:
        download_link.click()
    assert info.value.path().read_bytes()[:5] == b"%PDF-"
    job = ExportJob.objects.get(patient=demo)
    assert job.status == ExportStatus.DONE and job.requested_by.username == "coordinator"


def test_clinician_off_the_care_team_gets_404_on_the_patients_page(live_server, page, demo):
    ClinicianFactory(username="dr_off", clinic=demo.clinic, password=DEMO_PASSWORD)
    log_in(page, live_server.url, "dr_off", DEMO_PASSWORD)

    response = page.goto(f"{live_server.url}/clinic/patients/{demo.pk}/")

    assert response.status == 404
    assert "Tom" not in page.content()
