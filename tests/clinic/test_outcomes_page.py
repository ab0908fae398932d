"""The clinic's outcomes page: the table, the curves, the caution and the CSV."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from tests.api.test_outcomes import MARCH, cohort  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
QUERY = {"date_from": MARCH["from"], "date_to": MARCH["to"], "group_by": "approach"}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_shows_the_table_the_curves_and_the_caution(cohort, cast):  # noqa: F811
    response = logged_in(cast.clinician_off).get(reverse("clinic:outcomes"), QUERY)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Small numbers." in page
    assert "<svg" in page and "Relapse-free (%)" in page
    assert 'stroke="#c0392b"' in page  # presentation attributes: no inline style for the CSP
    rows = response.context["rows"]
    assert [(key, o.treatments) for key, _label, o in rows] == [
        ("blind", 2),
        ("targeted", 2),
        ("all", 4),
    ]
    assert "1 of 2" in page  # targeted relapsed, blind evaluable
    assert "50 %" in page
    assert "PGIC responders at 7 days (of answered)" in page
    # All treatments: improved by 72 h, within 7 days, and PGIC responders, 2 of 3 each.
    assert page.count("2 of 3") == 3
    # The curve as a table beside the chart: day 3, targeted 50 % relapse-free, 1 at risk.
    day_3 = next(line for line in response.context["curve_table"] if line["day"] == 3)
    assert [(p.at_risk, p.survival) if p else None for p in day_3["cells"]] == [None, (1, 0.5)]
    for patient in cohort:
        assert patient.display_name not in page


def test_the_page_opens_on_the_last_year_by_approach(cast):
    response = logged_in(cast.coordinator).get(reverse("clinic:outcomes"))
    assert response.status_code == 200
    outcomes = response.context["outcomes"]
    assert (outcomes.group_by, (outcomes.end - outcomes.start).days) == ("approach", 364)
    assert "No treatments in this period." in response.content.decode()


def test_a_period_backwards_is_refused_with_its_reason(cast):
    response = logged_in(cast.coordinator).get(
        reverse("clinic:outcomes"), {"date_from": "2026-04-01", "date_to": "2026-03-01"}
    )
    assert response.status_code == 400
    assert "The first day is after the last day." in response.content.decode()


def test_the_csv_has_the_table_and_the_curves(cohort, cast):  # noqa: F811
    response = logged_in(cast.coordinator).get(reverse("clinic:outcomes-csv"), QUERY)

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="outcomes-2026-03-01-2026-03-31-approach.csv"'
    )
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffrow_type,")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    groups = {r["group"]: r for r in rows if r["row_type"] == "group"}
    assert set(groups) == {"blind", "targeted", "all"}
    targeted = groups["targeted"]
    assert (targeted["relapsed_k"], targeted["relapsed_n"], targeted["relapsed_share"]) == (
        "1",
        "2",
        "0.5",
    )
    assert (targeted["relapsed_ci95_low"], targeted["relapsed_ci95_high"]) == ("0.0945", "0.9055")
    assert groups["blind"]["relapsed_share"] == ""  # 0 of 0: no share
    assert [groups["all"][f"pgic_responders_{part}"] for part in ("k", "n", "ci95_low")] == [
        "2",
        "3",
        "0.2077",
    ]
    curve = [
        (r["day"], r["at_risk"], r["relapse_free"])
        for r in rows
        if r["row_type"] == "curve" and r["group"] == "targeted"
    ]
    assert curve[2:4] == [("2", "2", "1.0"), ("3", "1", "0.5")]


# --- In a real browser ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_page_in_a_browser_is_accessible_and_downloads_the_csv(live_server, browser):
    from django.core.management import call_command

    from tests.browser import VIEWPORT, assert_accessible, log_in

    call_command("seed_demo", stdout=io.StringIO())  # three patched patients, judged
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)  # under the CSP
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page, live_server.url, "clinician", "demo-password")
        page.get_by_role("link", name="Outcomes").click()
        page.wait_for_load_state()
        assert page.url.endswith("/clinic/outcomes/")
        table = page.get_by_role("table", name="Outcomes per group")
        assert "All treatments" in table.inner_text()
        assert page.locator("figure.chart svg").count() == 1
        page.get_by_label("Group by").select_option("condition")
        page.get_by_role("button", name="Show").click()
        page.wait_for_load_state()
        assert "group_by=condition" in page.url
        assert_accessible(page)
        with page.expect_download() as download:
            page.get_by_role("link", name="Download CSV").click()
        assert download.value.suggested_filename.endswith("-condition.csv")
    finally:
        context.close()


@pytest.mark.django_db(transaction=True)
def test_the_curves_are_drawn_under_the_pages_content_security_policy(live_server, browser):
    from django.core.management import call_command

    from tests.browser import VIEWPORT, log_in

    call_command("seed_demo", stdout=io.StringIO())
    context = browser.new_context(viewport=VIEWPORT)  # the CSP applies
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page, live_server.url, "clinician", "demo-password")
        page.goto(f"{live_server.url}/clinic/outcomes/")
        strokes = page.evaluate(
            "() => [...document.querySelectorAll('figure.chart svg path')]"
            ".map(p => getComputedStyle(p).stroke)"
        )
        assert "rgb(192, 57, 43)" in strokes  # the first group's curve, in its colour
    finally:
        context.close()
