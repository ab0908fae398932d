"""The shell, service worker, manifest and catalogues the patient app is served from."""

import io
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", ["/app/", "/app/enrol", "/app/reset", "/app/history"])
def test_every_screen_is_the_same_shell_without_inline_script(client, path):
    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<script type="module" src="/static/patient_app/js/app.js"></script>' in html
    assert html.count("<script") == 1  # no inline script: a strict CSP fits
    assert " on" not in html.split("<body", 1)[1].split(">", 1)[0]  # no inline handlers


def test_service_worker_is_scoped_to_the_app_and_precaches_the_shell(client):
    response = client.get("/app/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/app/"
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    for url in ("/app/", "/app/i18n/de.json", "/static/patient_app/js/sync.js"):
        assert f'"{url}"' in body
    assert client.get("/app/").context["release"] in body  # a new release, a new cache


def test_manifest_makes_the_app_installable(client):
    manifest = json.loads(client.get("/app/manifest.webmanifest").content)

    assert manifest["start_url"] == manifest["scope"] == "/app/"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_catalogue_per_language_and_none_for_others(client):
    german = json.loads(client.get("/app/i18n/de.json").content)["catalog"]

    assert german["How are you now?"] == "Wie geht es Ihnen jetzt?"
    assert json.loads(client.get("/app/i18n/en.json").content)["catalog"] == {}
    assert client.get("/app/i18n/xx.json").status_code == 404


@pytest.mark.parametrize("lang", ["de", "fr", "es"])
def test_every_app_text_is_translated(lang):
    po = ROOT / "patient_app" / "locale" / lang / "LC_MESSAGES" / "djangojs.po"
    # Entries are blocks between blank lines; the first is the header.
    entries = po.read_text().strip().split("\n\n")[1:]

    assert len(entries) > 150
    untranslated = [e for e in entries if re.search(r'^msgstr(\[\d\])? ""\Z', e, re.M)]
    fuzzy = [e for e in entries if "#, fuzzy" in e]
    assert untranslated == [] and fuzzy == []


def test_demo_link_logs_the_app_in_through_a_token_family(client):
    out = io.StringIO()
    call_command("seed_demo", "--app-link", "http://127.0.0.1:8000", stdout=out)

    link = out.getvalue().strip().splitlines()[-1].split(": ", 1)[1]
    assert link.startswith("http://127.0.0.1:8000/app/#")
    tokens = {key: values[0] for key, values in parse_qs(urlsplit(link).fragment).items()}
    assert tokens["username"] == "maria"
    refreshed = client.post(
        "/api/v1/auth/token/refresh/",
        {"refresh": tokens["refresh"]},
        content_type="application/json",
    )
    assert refreshed.status_code == 200
    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")
    assert me.json()["username"] == "maria"
