"""The cast every access test uses (after healthchecks' Alice, Bob and Charlie).

- patient A and patient B, both of clinic 1;
- a clinician on A's care team, a clinician of clinic 1 off it;
- a coordinator of clinic 1 and a coordinator of clinic 2.
"""

import os
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import (
    ClinicFactory,
    ClinicianFactory,
    CoordinatorFactory,
    PatientFactory,
    UserFactory,
)


def pytest_configure(config):
    """The catalogues are compiled by the build; a bare `pytest` compiles them too."""
    from config.catalogues import compile_catalogues

    compile_catalogues()


def services_required() -> bool:
    """In CI a missing service is a failure, never a skip."""
    return os.environ.get("REQUIRE_SERVICES") == "1"


@dataclass
class Cast:
    clinic: object
    other_clinic: object
    patient_a: object
    patient_b: object
    clinician_on: object
    clinician_off: object
    coordinator: object
    coordinator_other: object

    def user(self, name):
        if name == "patient_a":
            return self.patient_a.user
        if name == "patient_b":
            return self.patient_b.user
        return getattr(self, name)


@pytest.fixture(autouse=True)
def fast_hashing_and_fresh_cache(settings):
    """A fast hasher (the real one costs ~0.3 s a user) and fresh throttle
    counters and evaluation markers for every test."""
    from django.core.cache import cache

    from config import broker

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    broker.reset()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def english_to_start_with():
    """Each test starts in English: a request may leave its caller's language
    active in the thread (as Django's LocaleMiddleware does), and code a test
    calls directly would speak it."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


# --- Exports (issue 5) ---------------------------------------------------------------
@pytest.fixture(autouse=True)
def export_storage(settings, tmp_path_factory):
    """Export files of each test go to a throwaway directory, never to var/exports."""
    root = tmp_path_factory.mktemp("exports")
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


# --- end exports ---


@pytest.fixture
def cast(db) -> Cast:
    clinic = ClinicFactory(name="Clinic One")
    other = ClinicFactory(name="Clinic Two")
    clinician_on = ClinicianFactory(username="dr_on", clinic=clinic)
    clinician_off = ClinicianFactory(username="dr_off", clinic=clinic)
    return Cast(
        clinic=clinic,
        other_clinic=other,
        patient_a=PatientFactory(
            clinic=clinic,
            user=UserFactory(username="alice"),
            display_name="Alice",
            care_team=[clinician_on],
        ),
        patient_b=PatientFactory(
            clinic=clinic, user=UserFactory(username="bob"), display_name="Bob"
        ),
        clinician_on=clinician_on,
        clinician_off=clinician_off,
        coordinator=CoordinatorFactory(username="coord", clinic=clinic),
        coordinator_other=CoordinatorFactory(username="coord_other", clinic=other),
    )


class BearerClient(APIClient):
    """Sends a real JWT, minted at each request so tests may travel in time."""

    def __init__(self, user, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def request(self, **kwargs):
        if self.user is not None:
            token = AccessToken.for_user(self.user)
            kwargs["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return super().request(**kwargs)


def client_for(user) -> APIClient:
    return BearerClient(user)


@pytest.fixture
def api():
    """api(user) → an APIClient authenticated as that user (None: anonymous)."""
    return client_for


@pytest.fixture
def postgres_only():
    """For tests about PostgreSQL's concurrency; CI always runs on PostgreSQL."""
    from django.db import connection

    if connection.vendor != "postgresql":
        if services_required():
            pytest.fail("REQUIRE_SERVICES is set but the tests are not on PostgreSQL")
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture(scope="module")
def browser():
    """One headless Debian chromium per test module (tests/browser.py)."""
    from tests.browser import chromium, chromium_available

    if not chromium_available():
        if services_required():
            pytest.fail("REQUIRE_SERVICES is set but /usr/bin/chromium is missing (see .ci/run)")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    with chromium() as browser:
        yield browser
