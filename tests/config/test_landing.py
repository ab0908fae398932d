"""`/` answers a landing page (not a 404) that says where everything is."""

import pytest
from django.utils import translation

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


def test_the_landing_page_is_rendered_in_the_active_language(client):
    with translation.override("de"):
        html = client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="de">' in html


def test_the_landing_page_is_accessible(live_server):
    if not chromium_available():
        if services_required():
            pytest.fail("REQUIRE_SERVICES is set but /usr/bin/chromium is missing (see .ci/run)")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    from tests.browser import assert_accessible

    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{live_server.url}/")
        page.get_by_role("link", name="Clinic pages").click()
        page.wait_for_load_state()
        assert "/clinic/" in page.url
        page.goto(f"{live_server.url}/")
        assert_accessible(page)
