"""Throttle counters in Redis, as in production (issue 18): a request's limits
in one round trip, still limiting, and failing open when Redis is away."""

import logging
import socket
import threading
import uuid

import pytest
import redis
import time_machine
from django.core.cache import caches
from redis.connection import AbstractConnection

from api.throttling import UserRateThrottle, count_in_windows
from tests.resilience.servers import RedisServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_cache(tmp_path, settings):
    server = RedisServer(tmp_path).start()
    saved = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    yield server
    server.stop()
    settings.CACHES = saved  # before the shared teardown clears "the" cache


@pytest.fixture
def low_rates(monkeypatch):
    rates = {**UserRateThrottle.THROTTLE_RATES, "user": "6/min", "write": "3/min"}
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)


def entry() -> dict:
    return {
        "id": str(uuid.uuid4()),
        "recorded_at": "2026-03-09T08:00:00+01:00",
        "posture": "sitting",
        "headache": 6,
    }


class RoundTrips:
    def __init__(self, monkeypatch):
        self.count = 0
        send = AbstractConnection.send_packed_command

        def counting(conn, *args, **kwargs):
            self.count += 1
            return send(conn, *args, **kwargs)

        monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)


@time_machine.travel("2026-03-10 12:00:10Z")
def test_the_user_and_write_limits_hold_in_one_round_trip(
    cast, api, redis_cache, low_rates, monkeypatch
):
    alice = api(cast.patient_a.user)
    assert alice.get("/api/v1/entries/").status_code == 200  # connects (a few commands once)
    trips = RoundTrips(monkeypatch)

    writes = [alice.post("/api/v1/entries/", entry(), format="json") for _ in range(4)]

    assert [w.status_code for w in writes] == [201, 201, 201, 429]
    assert trips.count == 4  # both limits of a write counted in one pipeline
    assert writes[-1].json()["error"]["code"] == "throttled"
    assert 0 < int(writes[-1]["Retry-After"]) <= 50  # the rest of the minute
    assert alice.get("/api/v1/entries/").status_code == 200  # the 6th request: reads go on
    assert alice.get("/api/v1/entries/").status_code == 429  # the 7th: the general rate
    # Another patient counts alone.
    assert (
        api(cast.patient_b.user).post("/api/v1/entries/", entry(), format="json").status_code == 201
    )


def test_a_new_window_lets_writes_through_again(cast, api, redis_cache, low_rates):
    alice = api(cast.patient_a.user)
    with time_machine.travel("2026-03-10 12:00:58Z", tick=False):
        statuses = [
            alice.post("/api/v1/entries/", entry(), format="json").status_code for _ in range(4)
        ]
    assert statuses == [201, 201, 201, 429]
    with time_machine.travel("2026-03-10 12:01:01Z", tick=False):
        assert alice.post("/api/v1/entries/", entry(), format="json").status_code == 201


def test_with_redis_down_writes_go_through(cast, api, redis_cache, low_rates, caplog):
    redis_cache.stop()
    caplog.set_level(logging.WARNING, logger="api.throttling")
    alice = api(cast.patient_a.user)

    statuses = [
        alice.post("/api/v1/entries/", entry(), format="json").status_code for _ in range(4)
    ]

    assert statuses == [201] * 4  # no limit without counters, and no 500
    assert "UserRateThrottle let a request through" in caplog.text


def test_every_counter_lives_with_an_expiry(redis_cache):
    raw = redis.Redis.from_url(redis_cache.url)
    fresh, stale = (caches["default"].make_and_validate_key(k) for k in ("t:fresh", "t:stale"))
    # A counter without expiry, as counting in two steps (SET NX, then INCR) left
    # one when the key expired between them: it would stay for ever.
    raw.set(stale, 5)

    assert count_in_windows([("t:fresh", 60), ("t:stale", 60)]) == [1, 6]
    assert count_in_windows([("t:fresh", 60)]) == [2]

    assert 0 < raw.ttl(fresh) <= 60
    assert 0 < raw.ttl(stale) <= 60


def test_counting_uses_the_caches_own_timeouts(settings):
    # A server that takes the connection and never answers: the count gives up
    # after the cache's socket timeout, not redis-py's own (5 s).
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        saved = settings.CACHES
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{port}/0",
                "OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1},
            }
        }
        outcome = []

        def count():
            try:
                count_in_windows([("t:silent", 60)])
            except redis.RedisError as error:  # what the throttles let through on
                outcome.append(error)

        counting = threading.Thread(target=count, daemon=True)
        counting.start()
        counting.join(timeout=2.5)  # a wide margin, under half the 5 s
        settings.CACHES = saved  # before the shared teardown clears "the" cache
        assert not counting.is_alive()
    assert isinstance(outcome[0], redis.TimeoutError)
