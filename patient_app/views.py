"""The shell, service worker, manifest and translations of the patient app.

Everything else is static files: plain ES modules that talk to /api/v1/ like a
native app would. The shell carries no data and no inline script (a strict
Content-Security-Policy fits it).
"""

import hashlib
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from django.views.i18n import JSONCatalog

from patient_app.languages import LANGUAGES

STATIC_DIR = Path(__file__).parent / "static"


def _asset_paths() -> list[str]:
    """Every file of the app's static folder, as static paths (the offline shell)."""
    return sorted(
        path.relative_to(STATIC_DIR).as_posix()
        for path in (STATIC_DIR / "patient_app").rglob("*")
        if path.is_file()
    )


@cache
def _release_digest() -> str:
    digest = hashlib.sha256()
    for name in _asset_paths():
        digest.update(name.encode())
        digest.update((STATIC_DIR / name).read_bytes())
    for lang in LANGUAGES:
        mo = Path(__file__).parent / "locale" / lang / "LC_MESSAGES" / "djangojs.mo"
        if mo.exists():
            digest.update(mo.read_bytes())
    return digest.hexdigest()[:16]


def release() -> str:
    """Changes whenever a file of the app does, so phones fetch the new shell.

    In DEBUG it is recomputed on every request (files change under runserver).
    """
    if settings.DEBUG:
        _release_digest.cache_clear()
    return _release_digest()


@require_GET
@cache_control(no_cache=True)
def shell(request):
    return render(request, "patient_app/shell.html", {"release": release()})


@require_GET
@cache_control(no_cache=True)
def service_worker(request):
    """Served from /app/ (not /static/) so that its scope is the whole app."""
    assets = [static(name) for name in _asset_paths()]
    catalogs = [f"/app/i18n/{lang}.json" for lang in LANGUAGES]
    precache = ["/app/", "/app/manifest.webmanifest", *catalogs, *assets]
    response = render(
        request,
        "patient_app/sw.js",
        {"release": release(), "precache": precache},
        content_type="text/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = "/app/"
    return response


def _icon(name: str, sizes: str, kind: str, **extra) -> dict:
    return {"src": static(f"patient_app/icons/{name}"), "sizes": sizes, "type": kind, **extra}


@require_GET
@cache_control(no_cache=True)
def manifest(request):
    body = {
        "name": "Symptom diary",
        "short_name": "Diary",
        "description": "Your headache diary, online or offline.",
        "id": "/app/",
        "start_url": "/app/",
        "scope": "/app/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#1f4e79",
        "icons": [
            _icon("icon-192.png", "192x192", "image/png"),
            _icon("icon-512.png", "512x512", "image/png"),
            _icon("icon-512.png", "512x512", "image/png", purpose="maskable"),
            _icon("icon.svg", "any", "image/svg+xml"),
        ],
    }
    return JsonResponse(body, content_type="application/manifest+json")


@require_GET
@cache_control(no_cache=True)
def catalog(request, lang: str):
    """The app's texts in one language (gettext, djangojs domain), as JSON."""
    if lang not in LANGUAGES:
        raise Http404
    view = JSONCatalog.as_view(packages=["patient_app"], domain="djangojs")
    with translation.override(lang):
        response: HttpResponse = view(request)
    return response
