"""Every error `code` the API can answer, in one place.

The OpenAPI schema lists them as an enum and `docs/` as a table; a test holds
this list equal to the codes the code base can raise. The label says what a
client should do about it.
"""

from django.db import models


class ErrorCode(models.TextChoices):
    # Generic HTTP failures (api/errors.py).
    INVALID = "invalid", "Fix the fields named in `fields` / `field_codes`; do not retry as is."
    BAD_REQUEST = "bad_request", "The request could not be read; do not retry as is."
    PARSE_ERROR = "parse_error", "The body is not valid JSON; do not retry as is."
    NOT_AUTHENTICATED = "not_authenticated", "Send `Authorization: Bearer <access>`."
    AUTHENTICATION_FAILED = "authentication_failed", "Log in again."
    TOKEN_NOT_VALID = "token_not_valid", "Refresh the access token, or log in again."
    PERMISSION_DENIED = "permission_denied", "This login may not do this."
    NOT_FOUND = "not_found", "No such record for this login."
    METHOD_NOT_ALLOWED = "method_not_allowed", "Use another method."
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", "Send `Content-Type: application/json`."
    TOO_LARGE = "too_large", "Send a smaller body (split the batch)."
    THROTTLED = "throttled", "Wait for `Retry-After` seconds, then retry."
    SERVER_ERROR = "server_error", "Retry later with the same ids; nothing was saved."
    # Accounts and logins.
    LOCKED_OUT = "locked_out", "Too many failed logins: wait, then try again."
    ENROLLMENT_REFUSED = "enrollment_refused", "The code is wrong, used or expired: ask the clinic."
    ALREADY_ENROLLED = "already_enrolled", "This patient already has a login."
    # Diary, sync, flags, exports.
    INVALID_CURSOR = "invalid_cursor", "Pull again without a cursor."
    DAY_EXISTS = "day_exists", "This day has a log (in `error.current`): change that one."
    IMPRESSION_EXISTS = (
        "impression_exists",
        "This treatment and checkpoint have an answer (in `error.current`): change that one.",
    )
    FLAG_RESOLVED = "flag_resolved", "The flag is already resolved."
    NOT_READY = "not_ready", "The export is still being built: poll its status."
    EXPIRED = "expired", "The export expired: request a new one."
    AUDIT_UNAVAILABLE = "audit_unavailable", "Retry later: the read could not be recorded."
