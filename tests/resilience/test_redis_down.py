"""Redis is an accelerator, not a dependency of every request (issue 15).

The web side here (this process) counts throttles in, and sends jobs to, a
redis-server the test started on a free port, then stops and restarts it.
"""

import logging
import time
import uuid

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from config import broker as broker_module
from config.celery import app
from diary.models import Patient
from tests.diary.test_worker import reset_producer_pools
from tests.resilience.servers import RedisServer

pytestmark = pytest.mark.django_db
PASSWORD = "a long safe passphrase"


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def via_own_redis(own_redis, settings):
    """Throttle counters and the broker in the test's own Redis, as in production."""
    saved_caches = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": own_redis.url[:-1] + "1",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.BROKER_BACKOFF_SECONDS = 1
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager, app.conf.broker_url = False, own_redis.url
    reset_producer_pools()
    yield own_redis
    app.conf.task_always_eager, app.conf.broker_url = saved
    reset_producer_pools()
    settings.CACHES = saved_caches  # before the shared teardown clears "the" cache


def login(username, password=PASSWORD, ip="198.51.100.7"):
    body = {"username": username, "password": password}
    return APIClient(REMOTE_ADDR=ip).post("/api/v1/auth/token/", body, format="json")


def entry():
    return {
        "id": str(uuid.uuid4()),
        "recorded_at": "2026-03-09T08:00:00+01:00",
        "posture": "sitting",
        "headache": 6,
    }


def test_with_redis_down_reads_writes_and_logins_work_and_nothing_is_a_500(
    cast, api, via_own_redis, caplog, django_capture_on_commit_callbacks
):
    for user in (cast.patient_a.user, cast.patient_b.user):
        user.set_password(PASSWORD)
        user.save()
    via_own_redis.stop()
    caplog.set_level(logging.WARNING)

    assert login("alice").status_code == 200  # throttles fail open
    alice = api(cast.patient_a.user)
    with django_capture_on_commit_callbacks(execute=True):
        written = alice.post("/api/v1/sync/", {"entries": [entry()]}, format="json")
    assert written.status_code == 200
    assert written.json()["entries"][0]["status"] == "created"
    assert alice.get("/api/v1/entries/").status_code == 200
    assert api(cast.coordinator).get("/api/v1/patients/").status_code == 200
    assert api(cast.clinician_on).get("/api/v1/flags/").status_code == 200
    # The write's judgement waits in the outbox, not in the lost message.
    assert Patient.objects.get(pk=cast.patient_a.pk).evaluation_requested_at is not None
    assert "let a request through" in caplog.text

    # What needs a worker now says when to ask again.
    body = {"patient": str(cast.patient_a.pk), "format": "csv"}
    refused = api(cast.clinician_on).post("/api/v1/exports/", body, format="json")
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "unavailable"
    assert int(refused["Retry-After"]) > 0

    # Logins keep their lockout, counted in PostgreSQL.
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        login("bob", "guess")
    assert login("bob").status_code == 429
    assert AccessAttempt.objects.filter(username="bob").exists()

    # Redis back: the broker is tried again by itself.
    via_own_redis.start()
    time.sleep(django_settings.BROKER_BACKOFF_SECONDS + 0.2)
    assert api(cast.clinician_on).post("/api/v1/exports/", body, format="json").status_code == 202


def test_a_redis_restart_wipes_no_lockout(cast, via_own_redis):
    cast.patient_b.user.set_password(PASSWORD)
    cast.patient_b.user.save()
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        login("bob", "guess")
    assert login("bob").status_code == 429

    via_own_redis.stop()
    via_own_redis.start()  # empty: it keeps nothing on disk

    assert login("bob").status_code == 429
    assert login("bob", ip="203.0.113.9").status_code == 429  # the account is locked


def test_the_lockout_count_survives_the_refused_logins_rollback(cast):
    """ATOMIC_REQUESTS rolls back an error response's writes: not axes' count."""
    cast.patient_b.user.set_password(PASSWORD)
    cast.patient_b.user.save()

    assert login("bob", "guess").status_code == 401

    assert AccessAttempt.objects.get(username="bob").failures_since_start == 1


def test_the_broker_is_skipped_for_a_while_after_a_failed_publish(via_own_redis, settings):
    from diary.tasks import evaluate_pending

    via_own_redis.stop()
    started = time.monotonic()
    assert broker_module.enqueue(evaluate_pending, str(uuid.uuid4())) is False
    assert broker_module.enqueue(evaluate_pending, str(uuid.uuid4())) is False  # not tried
    assert time.monotonic() - started < 5  # a request is never held long
    assert broker_module.unavailable()

    via_own_redis.start()
    time.sleep(settings.BROKER_BACKOFF_SECONDS + 0.2)
    assert broker_module.enqueue(evaluate_pending, str(uuid.uuid4())) is True
