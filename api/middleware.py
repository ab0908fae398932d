"""HTTP-level guards for the API: the audit trail's write, body limits, headers."""

import logging

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.http import HttpResponse, JsonResponse

from api.errors import UNAVAILABLE_ERRORS, error_body, unavailable_body
from audit.models import Outcome
from audit.services import AuditWriteFailed, audit_scope, audit_write, is_read_action

logger = logging.getLogger(__name__)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def unavailable_response(request, retry_after: int | None = None):
    """The JSON 503 (a plain one for pages) with Retry-After."""
    retry_after = retry_after or settings.UNAVAILABLE_RETRY_AFTER_SECONDS
    body = unavailable_body()
    if _is_api(request):
        response = JsonResponse(body, status=503)
    else:
        message = body["error"]["message"]
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    return response


class DegradedServiceMiddleware:
    """A database or Redis outage answers 503 with Retry-After, never a 500.

    ATOMIC_REQUESTS has rolled the request back by the time this runs, so
    "nothing was changed" holds; Django drops the broken connection at the
    end of the request and the next one connects afresh.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, UNAVAILABLE_ERRORS):
            return None
        logger.warning("Answered 503 for %s %s: %r", request.method, request.path, exception)
        return unavailable_response(request)


class AuditMiddleware:
    """Collect the request's audit events; write them in one INSERT at the end.

    It runs outside the ATOMIC_REQUESTS transaction, so the request's data has
    committed (or rolled back) before the trail is written: a failing audit
    write never takes a diary entry with it. If the write fails it was logged
    at ERROR, event by event (audit.services); a read we could not record is
    then not handed out (503), a write stays done.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_scope(
            ip=get_client_ip_address(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            request=f"{request.method} {request.path}"[:300],
        ) as scope:
            response = self.get_response(request)
        status = response.status_code
        try:
            audit_write(
                scope,
                default_outcome=Outcome.SUCCESS if status < 400 else Outcome.FAILURE,
                status_code=status,
                actor=getattr(request, "user", None),  # DRF sets the token's user here
            )
        except AuditWriteFailed:
            if any(is_read_action(event.action) for event in scope.events):
                response = JsonResponse(
                    error_body(
                        "audit_unavailable",
                        "This could not be recorded in the audit trail, so it is not shown. "
                        "Try again shortly.",
                    ),
                    status=503,
                )
                response["Retry-After"] = str(settings.UNAVAILABLE_RETRY_AFTER_SECONDS)
        return response


class ApiGuardMiddleware:
    """For /api/: refuse oversized bodies, and never let health data be cached.

    DRF's JSON parser reads the request stream directly, so Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE (checked only by request.body) does not
    protect the API: the size is checked here, before anything is read.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _is_api(request):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY_BYTES:
            response = JsonResponse(
                error_body(
                    "too_large",
                    f"The request body is larger than {settings.API_MAX_BODY_BYTES} bytes.",
                ),
                status=413,
            )
        else:
            response = self.get_response(request)
        # Diaries, flags and tokens must not sit in a browser or proxy cache.
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        if "Content-Security-Policy" not in response and not request.path.startswith("/api/docs/"):
            response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
        return response
