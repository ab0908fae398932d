"""Brute force, rate limits, body limits and the headers of every API response."""

import datetime as dt
import subprocess
import sys
import uuid

import pytest
import time_machine
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from api.throttling import UserRateThrottle
from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def login(username, password=PASSWORD, ip="198.51.100.7"):
    return APIClient().post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=ip,
    )


# --- Failed logins ------------------------------------------------------------------


def test_many_wrong_passwords_lock_the_account_until_the_cool_off_passes(cast):
    limit = django_settings.AXES_FAILURE_LIMIT
    with time_machine.travel(NOW, tick=False) as clock:
        for _ in range(limit - 1):
            assert login("alice", "guess").status_code == 401
        # The failure that reaches the limit is answered as the lockout it starts.
        assert login("alice", "guess").status_code == 429

        locked = login("alice")  # the right password, refused
        assert locked.status_code == 429
        assert locked.json()["error"]["code"] == "locked_out"
        # From another address too: the lock is on the account.
        assert login("alice", ip="192.0.2.44").status_code == 429

        clock.shift(django_settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=30))
        assert login("alice").status_code == 429

        clock.shift(dt.timedelta(seconds=31))
        assert login("alice").status_code == 200
    assert AuditEvent.objects.filter(action="login_failed", outcome="locked_out").count() == 4


def test_one_address_guessing_many_accounts_is_locked_out(cast):
    for n in range(django_settings.AXES_FAILURE_LIMIT):
        assert login(f"nobody{n}", "guess", ip="203.0.113.66").status_code in (401, 429)

    assert login("bob", ip="203.0.113.66").status_code == 429
    assert login("bob", ip="203.0.113.67").status_code == 200  # bob's account is not locked


def test_a_success_before_the_limit_resets_the_accounts_count(cast):
    for round_ in range(2):
        for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
            login("alice", "guess", ip=f"192.0.2.{round_}")
        assert login("alice", ip=f"192.0.2.{round_}").status_code == 200


def test_a_forged_forwarded_for_header_does_not_escape_the_ip_lock(cast):
    for n in range(django_settings.AXES_FAILURE_LIMIT):
        APIClient().post(
            "/api/v1/auth/token/",
            {"username": f"nobody{n}", "password": "guess"},
            format="json",
            REMOTE_ADDR="203.0.113.66",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )

    assert login("bob", ip="203.0.113.66").status_code == 429


# --- Enrolment codes ------------------------------------------------------------------


def guess_code(ip, **headers):
    body = {"code": "AAAA-BBBB-CCCC", "username": "mallory", "password": "a long passphrase"}
    return APIClient().post("/api/v1/auth/enroll/", body, format="json", REMOTE_ADDR=ip, **headers)


def test_enrolment_code_guessing_is_throttled_per_address(cast):
    allowed = int(django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["enroll"].split("/")[0])
    for n in range(allowed):
        # Varying X-Forwarded-For does not buy more guesses: no proxy is trusted.
        assert guess_code("198.51.100.9", HTTP_X_FORWARDED_FOR=f"10.1.1.{n}").status_code == 400

    throttled = guess_code("198.51.100.9")
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "throttled"
    assert guess_code("198.51.100.10").status_code == 400  # another address is not blocked
    assert AuditEvent.objects.filter(action="enroll", outcome="failure").count() == allowed + 1


# --- Writes, bodies, headers -------------------------------------------------------------


def test_writes_are_limited_per_user_and_reads_are_not(cast, api, monkeypatch):
    rates = {**UserRateThrottle.THROTTLE_RATES, "write": "3/min"}
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)
    client = api(cast.patient_a.user)

    def write():
        body = {"recorded_at": "2026-03-04T07:30:00+01:00", "posture": "lying", "headache": 1}
        return client.post("/api/v1/entries/", body, format="json")

    assert [write().status_code for _ in range(4)] == [201, 201, 201, 429]
    assert client.get("/api/v1/entries/").status_code == 200
    assert (
        api(cast.patient_b.user)
        .post(
            "/api/v1/entries/",
            {"recorded_at": "2026-03-04T07:30:00+01:00", "posture": "lying", "headache": 1},
            format="json",
        )
        .status_code
        == 201
    )


def test_an_oversized_body_is_refused_before_it_is_read(cast, api, settings):
    settings.API_MAX_BODY_BYTES = 1000
    body = {"entries": [{"id": str(uuid.uuid4()), "note": "x" * 2000}]}

    response = api(cast.patient_a.user).post("/api/v1/sync/", body, format="json")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert response["Cache-Control"] == "no-store"


def test_a_batch_over_the_item_limit_is_refused(cast, api):
    entry = {"recorded_at": "2026-03-04T07:30:00+01:00", "posture": "lying", "headache": 1}
    body = {"entries": [entry] * (django_settings.SYNC_MAX_ITEMS + 1)}

    response = api(cast.patient_a.user).post("/api/v1/sync/", body, format="json")

    assert response.status_code == 400


@pytest.mark.parametrize(
    "path", ["/api/v1/entries/", "/api/v1/me/", "/api/v1/flags/", "/api/v1/nowhere/"]
)
def test_api_responses_are_never_cached_and_carry_security_headers(cast, api, path):
    response = api(cast.clinician_on).get(path)

    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_tokens_are_not_cached_either(cast):
    assert login("alice")["Cache-Control"] == "no-store"


def test_an_inactive_staff_login_is_refused(cast):
    UserFactory(username="gone", is_active=False)
    assert login("gone").status_code == 401


def test_deploy_checks_are_clean_with_production_settings(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "false",
        "SECRET_KEY": "k" * 10 + "9f3Jw8Lq2Vx7Rt5Zp1Nc4Hb6Md0Gy8Ks3Ue7Wa2Qo5Ti9",
        "ALLOWED_HOSTS": "diary.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        # Production shares throttle and lockout counters through Redis (axes.W001
        # rightly warns about a per-process cache); nothing connects during checks.
        "CACHE_URL": "rediscache://127.0.0.1:6379/1",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "moment", ["0205-03-11T13:38:05.19-19:26", "0001-01-01T00:00:00+01:00", "not-a-time"]
)
def test_odd_filter_times_are_never_a_server_error(cast, api, moment):
    # Found by the schema fuzzer on PostgreSQL, which refuses offsets past ±15:59.
    response = api(cast.clinician_on).get("/api/v1/entries/", {"from": moment})

    assert response.status_code in (200, 400)
    assert "error" in response.json() or "results" in response.json()
