from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import UserRateThrottle


class WriteRateThrottle(UserRateThrottle):
    """A per-user ceiling on writes; reads only count against the general rate."""

    scope = "write"

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS or not (request.user and request.user.is_authenticated):
            return True
        return super().allow_request(request, view)
