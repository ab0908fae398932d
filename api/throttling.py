"""Throttles that fail open: a rate limit is worth less than the request.

Their counters live in the cache (Redis in production). When it cannot be
reached, a request is let through with a logged warning instead of every
endpoint answering 500 (issue 15): logins stay protected by the lockout,
whose counts are kept in PostgreSQL.
"""

import logging

import redis
from rest_framework import throttling
from rest_framework.permissions import SAFE_METHODS

logger = logging.getLogger(__name__)


class FailOpen:
    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except (redis.RedisError, OSError):
            logger.warning(
                "Throttle %s let a request through: its cache is unreachable",
                type(self).__name__,
                exc_info=True,
            )
            return True


class AnonRateThrottle(FailOpen, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(FailOpen, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(FailOpen, throttling.ScopedRateThrottle):
    pass


class WriteRateThrottle(UserRateThrottle):
    """A per-user ceiling on writes; reads only count against the general rate."""

    scope = "write"

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS or not (request.user and request.user.is_authenticated):
            return True
        return super().allow_request(request, view)
