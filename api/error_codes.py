"""Every error `code` the API can answer, in one place.

The OpenAPI schema lists them as an enum and `docs/` as a table; a test
(tests/api/test_error_codes.py) holds this list equal to the codes the code
base can answer. The label says what a client should do about it.

Field codes (`field_codes` beside `fields` in an `invalid` error) are a
separate, open list: `FieldCode` names the common ones.
"""

from django.db import models


class ErrorCode(models.TextChoices):
    # Generic HTTP failures (api/errors.py).
    INVALID = "invalid", "Fix the fields named in `fields` / `field_codes`; do not retry as is."
    BAD_REQUEST = "bad_request", "The request could not be read; do not retry as is."
    PARSE_ERROR = "parse_error", "The body is not valid JSON; do not retry as is."
    NOT_AUTHENTICATED = "not_authenticated", "Send `Authorization: Bearer <access>`."
    AUTHENTICATION_FAILED = "authentication_failed", "Log in again."
    BAD_AUTHORIZATION_HEADER = (
        "bad_authorization_header",
        "Send `Authorization: Bearer <access>`, two values separated by a space.",
    )
    TOKEN_NOT_VALID = "token_not_valid", "Refresh the access token, or log in again."
    PERMISSION_DENIED = "permission_denied", "This login may not do this."
    NOT_FOUND = "not_found", "No such record for this login."
    METHOD_NOT_ALLOWED = "method_not_allowed", "Use another method."
    NOT_ACCEPTABLE = "not_acceptable", "Accept `application/json`."
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", "Send `Content-Type: application/json`."
    TOO_LARGE = "too_large", "Send a smaller body (split the batch)."
    THROTTLED = "throttled", "Wait for `Retry-After` seconds, then retry."
    SERVER_ERROR = "server_error", "Retry later with the same ids; nothing was saved."
    # Accounts and logins.
    NO_ACTIVE_ACCOUNT = "no_active_account", "Wrong username or password: ask the user again."
    USER_NOT_FOUND = "user_not_found", "The login no longer exists: log in again."
    USER_INACTIVE = "user_inactive", "The account is closed: stop syncing, log out."
    LOCKED_OUT = "locked_out", "Too many failed logins: wait, then try again."
    TOKEN_REUSED = (
        "token_reused",
        "A refresh token was used twice after its 30-second grace: every token of that "
        "login is revoked; log in again.",
    )
    ENROLLMENT_REFUSED = "enrollment_refused", "The code is wrong, used or expired: ask the clinic."
    ALREADY_ENROLLED = "already_enrolled", "This patient already has a login."
    RESET_REFUSED = "reset_refused", "The reset code is wrong, used or expired: ask the clinic."
    NOT_ENROLLED = "not_enrolled", "The patient has no login yet: hand out an enrolment code."
    # Diary, sync, flags, exports.
    DELETED = "deleted", "The record was deleted: drop the local copy (sync pulls its tombstone)."
    PRECONDITION_FAILED = (
        "precondition_failed",
        "The record changed since your copy: merge with `error.current`, then send again "
        "with its ETag.",
    )
    CONFLICT = (
        "conflict",
        "Sync item: the record moved past its `base_version`, or (day log, PGIC answer) "
        "another record holds its day or checkpoint; merge with `error.current` and send "
        "again (with the new version).",
    )
    DAY_EXISTS = (
        "day_exists",
        "That day already has a day log: change the stored one (in `error.current`).",
    )
    INVALID_CURSOR = "invalid_cursor", "Pull again without a cursor."
    IMPRESSION_EXISTS = (
        "impression_exists",
        "This treatment and checkpoint have an answer (in `error.current`): change that one.",
    )
    FLAG_RESOLVED = "flag_resolved", "The flag is already resolved."
    NOT_READY = "not_ready", "The export is still being built: poll its status."
    EXPIRED = "expired", "The export expired: request a new one."
    AUDIT_UNAVAILABLE = "audit_unavailable", "Retry later: the read could not be recorded."
    ID_TAKEN = "id_taken", "The id belongs to another record: send it with a new id."
    # Degraded service (issue 15): a part it needs is down for a moment.
    UNAVAILABLE = "unavailable", "Retry after `Retry-After` seconds; nothing was changed."


class FieldCode(models.TextChoices):
    """The common codes in `field_codes` (Django's and DRF's validators add others,
    such as `password_too_short`; a phone words an unknown one generically)."""

    REQUIRED = "required", "The field is missing."
    NULL = "null", "The field may not be null."
    BLANK = "blank", "The field may not be empty."
    INVALID = "invalid", "The value is not of the right type or form."
    INVALID_CHOICE = "invalid_choice", "The value is not one of the allowed choices."
    MAX_VALUE = "max_value", "The number is too large."
    MIN_VALUE = "min_value", "The number is too small."
    MAX_LENGTH = "max_length", "The text or list is too long."
    FUTURE_TIME = "future_time", "The time is more than 10 minutes in the future."
    NAIVE = "naive", "The time has no UTC offset."
    UPRIGHT_ONLY = "upright_only", "`onset_minutes` is for sitting or standing entries."
    LYING_ONLY = "lying_only", "`relief_minutes` is for lying entries."
    INVALID_LEVEL = "invalid_level", "Not a spinal interspace such as `L3/L4`."
    DUPLICATE_ID = "duplicate_id", "The same id twice in one sync batch."
    TIMEZONE_ALIAS = "timezone_alias", "An alias or pseudo-zone: send the canonical IANA name."
    UNKNOWN_TIMEZONE = "unknown_timezone", "Not an IANA time zone."
    WRONG_PASSWORD = "wrong_password", "`old_password` is not the current password."
