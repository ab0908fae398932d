"""End to end in a real headless Chromium against the live server.

Few and fast: one browser for the module, a fresh context (cookies) per test.
"""

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from diary.models import Flag, FlagStatus, Patient
from exports.models import ExportJob, ExportStatus
from tests.browser import VIEWPORT, axe_violations, log_in
from tests.factories import ClinicianFactory, FlagFactory, TreatmentFactory

DEMO_PASSWORD = "demo-password"


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
    page.get_by_label("Time zone").select_option("Europe/Vienna")
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


# --- issue 17: triage, acting from the timeline, every width, accessibility ------------

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def test_inbox_shows_flags_in_triage_order(live_server, page, demo):
    """Known kinds, states and ages: the demo's two open flags plus four more."""
    ana = Patient.objects.get(user__username="ana")
    demo_flags = {f.kind: f for f in Flag.objects.all()}  # Tom's relapse, Ana's no-response
    assert set(demo_flags) == {"relapse", "no_response"}
    now = timezone.now()

    def add(kind, hours_old, status=FlagStatus.OPEN):
        detected = now - dt.timedelta(hours=hours_old)
        return FlagFactory(
            treatment=TreatmentFactory(patient=ana, performed_at=detected - dt.timedelta(days=4)),
            kind=kind,
            status=status,
            detected_at=detected,
            proven_at=detected,
            acknowledged_at=None if status == FlagStatus.OPEN else detected,
        )

    ack_relapse = add("relapse", 90, FlagStatus.ACKNOWLEDGED)
    old_no_response = add("no_response", 400)
    rebound = add("rebound_pattern", 3)
    escalating = add("relapse", 23)  # escalates within the hour: the first card
    log_in(page, live_server.url, "clinician", DEMO_PASSWORD)

    ids = page.locator("article.flag").evaluate_all("cards => cards.map(c => c.id)")

    relapses = sorted([escalating, demo_flags["relapse"]], key=lambda f: (f.detected_at, str(f.pk)))
    no_responses = sorted(
        [old_no_response, demo_flags["no_response"]], key=lambda f: (f.detected_at, str(f.pk))
    )
    expected = [*relapses, rebound, *no_responses, ack_relapse]
    names = {f"flag-{f.pk}": f"{f.kind} {f.status} {f.detected_at:%d %H:%M}" for f in expected}
    assert [names.get(i, i) for i in ids] == [names[f"flag-{f.pk}"] for f in expected]
    first = page.locator(f"#flag-{escalating.pk}")
    assert first.locator(".age").inner_text() == "23\xa0hours ago"
    assert re.match(r"in 5\d\xa0minutes,", first.locator(".escalation").inner_text())
    assert "does not escalate" in page.locator(f"#flag-{rebound.pk} .escalation").inner_text()


def test_clinician_acknowledges_and_resolves_from_the_patients_timeline(live_server, page, demo):
    flag = Flag.objects.get(patient=demo, kind="relapse")
    log_in(page, live_server.url, "clinician", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/clinic/patients/{demo.pk}/")
    page.evaluate("window.stillHere = true")

    card = page.locator(f"#flag-{flag.pk}")
    card.get_by_role("button", name="Acknowledge").click()
    page.locator(f"#flag-{flag.pk}.status-acknowledged").wait_for()
    assert "(your time, Etc/UTC)" in page.locator(f"#flag-{flag.pk} .acted").inner_text()
    page.locator(f"#flag-{flag.pk}").get_by_label("Resolution note").fill("Repeat patch booked.")
    page.locator(f"#flag-{flag.pk}").get_by_role("button", name="Resolve with note").click()
    page.locator(f"#flag-{flag.pk}.status-resolved").wait_for()

    assert page.evaluate("window.stillHere") is True  # acted in place, no reload
    assert page.url.endswith(f"/clinic/patients/{demo.pk}/")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED and flag.resolution_note == "Repeat patch booked."


def clinic_pages(base, tom) -> dict[str, str]:
    return {
        "inbox": f"{base}/clinic/flags/?show=all",
        "patients": f"{base}/clinic/patients/",
        "timeline": f"{base}/clinic/patients/{tom.pk}/",
        "enrol": f"{base}/clinic/patients/new/",
    }


def check_page(page, url) -> list[str]:
    """What is wrong with the page at this size: wider than the viewport, axe violations."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    problems = []
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    if width > viewport:
        problems.append(f"{url} at {viewport} px is {width} px wide")
    problems += [f"{url} at {viewport} px: {v}" for v in axe_violations(page)]
    return problems


def test_every_clinic_page_fits_the_screen_and_has_no_axe_violations(live_server, browser, demo):
    """Phone (390 x 844) and desktop (1366 x 900): nothing wider than the viewport
    (document.documentElement.scrollWidth measured), zero axe-core violations, nothing
    the Content-Security-Policy blocks; and nothing wider than a 320 px screen either."""
    problems = []
    # Anything the Content-Security-Policy blocks (an inline style in the chart, say)
    # is reported on the console.
    csp_reports = []

    def on_console(message):
        csp_reports.append(message.text)

    for viewport in (PHONE, DESKTOP):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("console", on_console)
        problems += check_page(page, f"{live_server.url}/clinic/login/")
        log_in(page, live_server.url, "coordinator", DEMO_PASSWORD)
        for url in clinic_pages(live_server.url, demo).values():
            problems += check_page(page, url)
        # The chart's data table, opened; and the page shown once after an enrolment.
        page.goto(clinic_pages(live_server.url, demo)["timeline"])
        page.locator("details.chart-data summary").click()
        assert not axe_violations(page), "the chart's data table"
        page.goto(clinic_pages(live_server.url, demo)["enrol"])
        page.get_by_label("Name shown to the care team").fill(f"Lena {viewport['width']}")
        page.get_by_role("button", name="Enrol and show the code").click()
        page.locator("#enrolment-code").wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > viewport["width"]:
            problems.append(f"enrolled at {viewport['width']} px is {width} px wide")
        problems += [f"enrolled: {v}" for v in axe_violations(page)]
        context.close()
    # The narrowest phone the pages promise: only the width, axe has seen the layout.
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    log_in(page, live_server.url, "coordinator", DEMO_PASSWORD)
    for url in clinic_pages(live_server.url, demo).values():
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            problems.append(f"{url} at 320 px is {width} px wide")
    context.close()
    problems += [text for text in csp_reports if "Content Security Policy" in text]
    assert problems == []
