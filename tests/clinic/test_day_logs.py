"""The clinic timeline's day-log table and hours panel (issue 13)."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from diary.models import Patient
from tests.browser import assert_accessible, log_in
from tests.factories import DayLogFactory


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_timeline_lists_day_logs_newest_first_and_draws_the_panel(cast):
    medications = [{"name": "acetazolamide", "dose": "250 mg"}]
    DayLogFactory(patient=cast.patient_a, date=dt.date(2026, 3, 9), upright_hours=3,
                  bed_rest_hours=13, medications=medications)  # fmt: skip
    DayLogFactory(patient=cast.patient_a, date=dt.date(2026, 3, 10), upright_hours=9,
                  bed_rest_hours=6, binder=True)  # fmt: skip
    DayLogFactory(patient=cast.patient_b, date=dt.date(2026, 3, 10), note="Bob's day")

    html = logged_in(cast.clinician_on).get(reverse("clinic:patient", args=[cast.patient_a.pk]))
    html = html.content.decode()

    table = html[html.index('id="day-logs-title"') :]
    assert table.index("March 10, 2026") < table.index("March 9, 2026")  # the locale's format
    assert "Acetazolamide 250 mg" in table
    assert "(bed-rest day)" in table and table.count("(bed-rest day)") == 1
    assert "Bob&#x27;s day" not in html and "Bob's day" not in html
    assert "Hours upright a day (day log)" in html  # the chart's panel


def test_on_a_phone_the_day_log_table_scrolls_inside_its_box(
    live_server, browser, transactional_db
):
    call_command("seed_demo", stdout=io.StringIO())
    tom = Patient.objects.get(user__username="tom")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        log_in(page, live_server.url, "clinician", "demo-password")
        page.goto(f"{live_server.url}/clinic/patients/{tom.pk}/")
        box = page.locator("section:has(#day-logs-title) .scroll")
        box.wait_for()

        sizes = box.evaluate("el => [el.scrollWidth, el.clientWidth]")
        # The section stays within the phone's width (the other tables of the
        # page are issue 17's, being reworked).
        section_right = page.locator("section:has(#day-logs-title)").evaluate(
            "el => el.getBoundingClientRect().right"
        )

        assert sizes[0] > sizes[1], "the table is wider than the phone: it scrolls in its box"
        assert section_right <= 390, "the day-log section itself fits the phone"
        assert box.get_attribute("tabindex") == "0"  # keyboard users can scroll it
        assert page.locator("table.day-logs tbody tr").count() == 23
        # axe-core on this section (tests/clinic/test_browser.py checks whole pages).
        assert_accessible(page, within="section:has(#day-logs-title)")
    finally:
        context.close()
