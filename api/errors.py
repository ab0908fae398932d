"""Every API failure as the contract's JSON:
{"error": {"code", "message", "fields", "field_codes"}}.

`fields` holds a message per invalid field, `field_codes` the same tree with
a code instead of each message (`required`, `max_value`, `invalid_choice`,
`future_time`, ...), so a phone can word the problem itself. Messages follow
the request's language (Accept-Language, else the user's `language`).
"""

import logging

import redis
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import csrf, defaults
from kombu.exceptions import OperationalError as BrokerError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)

# A part that is down for a moment (PostgreSQL restarting, Redis away): what
# needs it cannot be done now, and says so with a 503 and when to retry.
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError, redis.RedisError, BrokerError)


class BrokerUnavailable(Exception):
    """Raised where a job must be queued now and the broker is known to be down."""


UNAVAILABLE_ERRORS = (*UNAVAILABLE_ERRORS, BrokerUnavailable)


def unavailable_body() -> dict:
    return error_body(
        "unavailable",
        _("The service is briefly unavailable; nothing was changed. Try again shortly."),
    )


MESSAGES = {
    status.HTTP_400_BAD_REQUEST: _("The request is not valid."),
    status.HTTP_401_UNAUTHORIZED: _("Authentication is required."),
    status.HTTP_403_FORBIDDEN: _("You may not do this."),
    status.HTTP_404_NOT_FOUND: _("Not found."),
    status.HTTP_405_METHOD_NOT_ALLOWED: _("This method is not allowed here."),
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: _("Send JSON (Content-Type: application/json)."),
    status.HTTP_429_TOO_MANY_REQUESTS: _("Too many requests; try again later."),
}


def error_body(
    code: str,
    message: str,
    fields: dict | None = None,
    field_codes: dict | None = None,
    current: dict | None = None,
) -> dict:
    """The contract's error; `current` is the stored record a conflict is about."""
    error = {
        "code": code,
        "message": str(message),
        "fields": fields or {},
        "field_codes": field_codes or {},
    }
    if current is not None:
        error["current"] = current
    return {"error": error}


def field_codes_of(detail, codes):
    """The codes beside each message of a ValidationError's field tree."""
    if isinstance(detail, dict):
        return {key: field_codes_of(value, codes.get(key)) for key, value in detail.items()}
    if isinstance(detail, list):
        codes = codes if isinstance(codes, list) else [codes] * len(detail)
        return [field_codes_of(value, code) for value, code in zip(detail, codes, strict=False)]
    return str(codes or getattr(detail, "code", None) or "invalid")


def _first_code(codes) -> str:
    """The first leaf of DRF's get_codes() tree."""
    while isinstance(codes, dict | list):
        if not codes:
            return "invalid"
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return str(codes)


def _as_message(detail) -> str:
    if isinstance(detail, list) and detail:
        return str(detail[0])
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, UNAVAILABLE_ERRORS):
        logger.warning("Answered 503: %r", exc)
        set_rollback()
        return Response(
            unavailable_body(),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(settings.UNAVAILABLE_RETRY_AFTER_SECONDS)},
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        # A bug, not bad input: log it, undo the request's writes, and still
        # answer JSON so the phone never has to parse an HTML page.
        logger.error("Unhandled API error", exc_info=exc)
        set_rollback()
        return Response(
            error_body("server_error", _("Something went wrong on our side; nothing was saved.")),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = {k: v for k, v in detail.items() if k != "non_field_errors"}
        general = detail.get("non_field_errors")
        message = _as_message(general) if general else _("Some fields are not valid.")
        codes = exc.get_codes()
        codes = codes if isinstance(codes, dict) else {"non_field_errors": codes}
        response.data = error_body(
            "invalid", message, fields, field_codes_of(fields, {k: codes.get(k) for k in fields})
        )
    else:
        detail = getattr(exc, "detail", None)
        code = _first_code(exc.get_codes()) if hasattr(exc, "get_codes") else "error"
        if isinstance(detail, dict):  # simplejwt puts {"detail", "code", "messages"} here
            code = str(detail.get("code", code))
            detail = detail.get("detail", "")
        message = str(detail) if detail else MESSAGES.get(response.status_code, _("Error."))
        response.data = error_body(code, message)
    return response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def api_aware_404(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("not_found", MESSAGES[404]), status=404)
    return defaults.page_not_found(request, exception)


def api_aware_500(request):
    if _is_api(request):
        return JsonResponse(
            error_body("server_error", _("Something went wrong on our side; nothing was lost.")),
            status=500,
        )
    return defaults.server_error(request)


def api_aware_400(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("bad_request", MESSAGES[400]), status=400)
    return defaults.bad_request(request, exception)


def api_aware_403(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("permission_denied", MESSAGES[403]), status=403)
    return defaults.permission_denied(request, exception)


def api_aware_csrf_failure(request, reason=""):
    # A cookie-less POST to an unknown /api/ path reaches Django's CSRF check
    # (DRF views are exempt, the JSON 404 catch-all is not): answer JSON there too.
    if _is_api(request):
        return JsonResponse(error_body("permission_denied", MESSAGES[403]), status=403)
    return csrf.csrf_failure(request, reason)


def error_response(
    code: str, message: str, status_code: int, fields=None, field_codes=None, current=None
) -> Response:
    return Response(error_body(code, message, fields, field_codes, current), status=status_code)
