"""`/` answers a landing page (not a 404) that says where everything is."""

import pytest

from tests.browser import chromium, chromium_available
from tests.conftest import services_required

pytestmark = pytest.mark.django_db


def test_the_root_links_the_patient_app_the_clinic_pages_and_the_api_docs(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for href in ('href="/app/"', 'href="/clinic/"', 'href="/api/docs/"', 'href="/api/schema/"'):
        assert href in html
    assert '<html lang="en">' in html


ENGLISH = ["CSF leak symptom diary", "Patient app", "Clinic pages", "API documentation"]


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("de", "Symptomtagebuch bei Liquorleck"),
        ("fr", "Journal des symptômes de fuite de LCR"),
        ("es", "Diario de síntomas de fuga de LCR"),
    ],
)
def test_the_landing_page_speaks_the_browsers_language(client, language, title):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'<html lang="{language}">' in html and f"<h1>{title}</h1>" in html
    assert not [text for text in ENGLISH if text in html]


def test_the_landing_page_is_accessible(live_server):
    if not chromium_available():
        if services_required():
            pytest.fail("REQUIRE_SERVICES is set but /usr/bin/chromium is missing (see .ci/run)")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    from tests.browser import assert_accessible

    with chromium() as browser:
        page = browser.new_page()  # under the site's Content-Security-Policy
        page.goto(f"{live_server.url}/")
        # The stylesheet is our own file, so the CSP (no inline styles) lets it apply.
        assert page.evaluate("getComputedStyle(document.body).maxWidth") == "640px"
        page.get_by_role("link", name="Clinic pages").click()
        page.wait_for_load_state()
        assert "/clinic/" in page.url
        # axe-core is injected inline, which the CSP forbids: a context that bypasses it.
        checked = browser.new_context(bypass_csp=True).new_page()
        checked.goto(f"{live_server.url}/")
        assert_accessible(checked)
