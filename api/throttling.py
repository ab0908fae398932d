"""Throttles counted in fixed windows, all of a request's in one Redis round trip,
failing open.

DRF's own rate throttles keep a list of timestamps per key and read it, then
write it back: a GET and a SET each, per throttle, and a pickled list of up to
a rate's worth of times. Here each limit is a counter per window (`INCR`), and
the user's general and write limits are counted by one throttle in one
pipeline. A fixed window lets at most twice the rate through across a window's
edge: enough for a ceiling on abuse, which is all these are.

When the cache cannot be reached, a request is let through with a logged
warning instead of every endpoint answering 500 (issue 15): logins stay
protected by the lockout, whose counts are kept in PostgreSQL.
"""

import logging

import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework import throttling
from rest_framework.permissions import SAFE_METHODS

logger = logging.getLogger(__name__)


def count_in_windows(windows: list[tuple[str, int]]) -> list[int]:
    """Add one to each counter (key, seconds it lives); their counts now."""
    cache = caches["default"]  # the backend itself (django.core.cache.cache is a proxy)
    if isinstance(cache, RedisCache):
        # One round trip for all; the counters are raw Redis integers.
        keys = [cache.make_and_validate_key(key) for key, _ in windows]
        pipe = _client(cache, keys[0]).pipeline(transaction=False)
        for key, (_, seconds) in zip(keys, windows, strict=True):
            pipe.set(key, 0, ex=seconds, nx=True)
            pipe.incr(key)
        return pipe.execute()[1::2]
    counts = []
    for key, seconds in windows:  # another cache (locmem in development and tests)
        cache.add(key, 0, seconds)
        try:
            counts.append(cache.incr(key))
        except ValueError:  # expired since add()
            cache.set(key, 1, seconds)
            counts.append(1)
    return counts


def _client(cache: RedisCache, key: str) -> redis.Redis:
    # Django builds a redis.Redis per call, which costs more than the round
    # trip; one a backend (a thread) on the same connection pool does not.
    client = getattr(cache, "_throttle_client", None)
    if client is None:
        client = cache._throttle_client = cache._cache.get_client(key, write=True)
    return client


class WindowThrottle(throttling.SimpleRateThrottle):
    """A SimpleRateThrottle counted in fixed windows (keys, rates and scopes as DRF's)."""

    wait_seconds: float | None = None

    def limits(self, request, view) -> list[tuple[str, int, int]]:
        """(cache key, requests allowed, window seconds) of each limit the request counts in."""
        if self.rate is None:
            return []
        key = self.get_cache_key(request, view)
        return [] if key is None else [(key, self.num_requests, self.duration)]

    def allow_request(self, request, view) -> bool:
        limits = self.limits(request, view)
        if not limits:
            return True
        now = self.timer()
        windows = [(f"{key}:{int(now // seconds)}", seconds) for key, _, seconds in limits]
        try:
            counts = count_in_windows(windows)
        except (redis.RedisError, OSError):
            logger.warning(
                "Throttle %s let a request through: its cache is unreachable",
                type(self).__name__,
                exc_info=True,
            )
            return True
        for (_, allowed, seconds), count in zip(limits, counts, strict=True):
            if count > allowed:
                self.wait_seconds = seconds - now % seconds
                return False
        return True

    def wait(self) -> float | None:
        return self.wait_seconds


class AnonRateThrottle(WindowThrottle, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(WindowThrottle, throttling.UserRateThrottle):
    """The general rate per user, and for writes the `write` rate too, in one round trip."""

    write_scope = "write"

    def limits(self, request, view) -> list[tuple[str, int, int]]:
        limits = super().limits(request, view)
        write_rate = self.THROTTLE_RATES.get(self.write_scope)
        user = request.user
        if write_rate and request.method not in SAFE_METHODS and user and user.is_authenticated:
            allowed, seconds = self.parse_rate(write_rate)
            key = self.cache_format % {"scope": self.write_scope, "ident": user.pk}
            limits.append((key, allowed, seconds))
        return limits


class ScopedRateThrottle(WindowThrottle, throttling.ScopedRateThrottle):
    def limits(self, request, view) -> list[tuple[str, int, int]]:
        # DRF's ScopedRateThrottle finds its rate in allow_request, which this replaces.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return []
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().limits(request, view)
