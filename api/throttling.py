"""Throttles counted in fixed windows, all of a request's in one Redis round trip,
failing open.

DRF's own rate throttles keep a list of timestamps per key and read it, then
write it back: a GET and a SET each, per throttle, and a pickled list of up to
a rate's worth of times. Here each limit is a counter per window (`INCR`), and
the user's general and write limits are counted by one throttle in one
script call, which also gives each new counter its expiry. A fixed window
lets at most twice the rate through across a window's edge: enough for a
ceiling on abuse, which is all these are.

When the cache cannot be reached, a request is let through with a logged
warning instead of every endpoint answering 500 (issue 15): logins stay
protected by the lockout, whose counts are kept in PostgreSQL.
"""

import functools
import logging
import re

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils.module_loading import import_string
from redis.commands.core import Script
from rest_framework import throttling
from rest_framework.permissions import SAFE_METHODS

logger = logging.getLogger(__name__)


def count_in_windows(windows: list[tuple[str, int]]) -> list[int]:
    """Add one to each counter (key, seconds it lives); their counts now."""
    cache = caches["default"]  # the backend itself (django.core.cache.cache is a proxy)
    if isinstance(cache, RedisCache):
        # One round trip for all; the counters are raw Redis integers.
        keys = [cache.make_and_validate_key(key) for key, _ in windows]
        config = settings.CACHES["default"]
        counter = _counter(_write_server(config["LOCATION"]), _frozen(config.get("OPTIONS", {})))
        return counter(keys=keys, args=[seconds for _, seconds in windows])
    counts = []
    for key, seconds in windows:  # another cache (locmem in development and tests)
        cache.add(key, 0, seconds)
        try:
            counts.append(cache.incr(key))
        except ValueError:  # expired since add()
            cache.set(key, 1, seconds)
            counts.append(1)
    return counts


# Counting and expiring in one atomic step: a counter never lives without a TTL
# (separate SET NX and INCR could recreate a key that expired between them, without one).
_COUNT = """
local counts = {}
for i, key in ipairs(KEYS) do
    counts[i] = redis.call('INCR', key)
    if redis.call('TTL', key) == -1 then
        redis.call('EXPIRE', key, ARGV[i])
    end
end
return counts
"""


@functools.cache
def _counter(server: str, options: tuple) -> Script:
    """The counting script on one client a process (a configuration), as the cache connects.

    Built as Django's RedisCacheClient builds its write pool (same URL, same
    OPTIONS: timeouts above all), but once: Django makes a redis.Redis per call.
    """
    options = dict(options)
    options.pop("serializer", None)  # the counters are plain integers
    pool_class = _imported(options.pop("pool_class", None)) or redis.ConnectionPool
    options["parser_class"] = (
        _imported(options.pop("parser_class", None)) or redis.connection.DefaultParser
    )
    client = redis.Redis(connection_pool=pool_class.from_url(server, **options))
    return client.register_script(_COUNT)


def _write_server(location: str | list[str]) -> str:
    servers = re.split("[;,]", location) if isinstance(location, str) else location
    return servers[0]  # Django writes to the first


def _frozen(options: dict) -> tuple:
    return tuple(sorted(options.items()))


def _imported(dotted_or_class):
    return import_string(dotted_or_class) if isinstance(dotted_or_class, str) else dotted_or_class


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
