"""The client's IP, by one rule for throttles, lockouts and the audit trail."""

from django.conf import settings


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or with NUM_PROXIES trusted proxies the address the outermost
    one saw (DRF's rule): anything further left in X-Forwarded-For is the
    client's own say and is ignored."""
    remote = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not settings.NUM_PROXIES or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-min(settings.NUM_PROXIES, len(hops))] if hops else remote
