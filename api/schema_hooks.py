"""The served schema as a contract a client can be generated from.

- Every operation lists the error statuses it can answer, each with the
  contract's error shape (`ErrorResponse`, whose `code` is the `ErrorCode`
  enum of api/error_codes.py) and, in words, the codes a client may meet there
  and what to do about each. `default` stays as the catch-all (500, 503).
- Local times of day lose OpenAPI's `format: time`, which demands an offset.
"""

from api.error_codes import ErrorCode

ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}

FIELD_MESSAGES = {
    "type": "object",
    "description": "Field name → what is wrong with it, in the request's language. A list "
    'field\'s items are named by position (`{"symptoms": {"0": [...]}}`).',
    "additionalProperties": {},
}


def error_components() -> dict:
    """The error body of api/errors.py, its `code` an enum of the registry."""
    return {
        "ErrorCodeEnum": {
            "type": "string",
            "enum": [code.value for code in ErrorCode],
            "description": "\n".join(f"* `{code.value}` - {code.label}" for code in ErrorCode),
        },
        "ErrorDetail": {
            "type": "object",
            "required": ["code", "message", "fields", "field_codes"],
            "properties": {
                "code": {"$ref": "#/components/schemas/ErrorCodeEnum"},
                "message": {"type": "string", "description": "For people; act on `code`."},
                "fields": FIELD_MESSAGES,
                "field_codes": {
                    **FIELD_MESSAGES,
                    "description": "The same tree as `fields`, a machine code in place of "
                    "each message (`required`, `max_value`, `invalid_choice`, `future_time`, "
                    "`timezone_alias`, ...), so a phone can word the problem itself.",
                },
                "current": {
                    "type": "object",
                    "additionalProperties": {},
                    "description": "Only on a conflict (`precondition_failed`, a sync item's "
                    "`conflict`): the record as it is stored now.",
                },
            },
        },
        "ErrorResponse": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"$ref": "#/components/schemas/ErrorDetail"}},
        },
    }


# The codes any operation may meet at a status, by what the operation does.
GENERIC = {
    400: [ErrorCode.INVALID, ErrorCode.PARSE_ERROR],
    401: [
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.BAD_AUTHORIZATION_HEADER,
        ErrorCode.AUTHENTICATION_FAILED,
        ErrorCode.TOKEN_NOT_VALID,
        ErrorCode.USER_NOT_FOUND,
        ErrorCode.USER_INACTIVE,
    ],
    403: [ErrorCode.PERMISSION_DENIED],
    404: [ErrorCode.NOT_FOUND],
    413: [ErrorCode.TOO_LARGE],
    415: [ErrorCode.UNSUPPORTED_MEDIA_TYPE],
    429: [ErrorCode.THROTTLED],
}

# What only some operations answer (by operationId), beyond the generic ones.
SPECIFIC = {
    "auth_token_create": {401: [ErrorCode.NO_ACTIVE_ACCOUNT], 429: [ErrorCode.LOCKED_OUT]},
    "auth_token_refresh_create": {401: [ErrorCode.TOKEN_NOT_VALID, ErrorCode.TOKEN_REUSED]},
    "auth_reset_create": {400: [ErrorCode.RESET_REFUSED]},
    "patients_reset_code_create": {409: [ErrorCode.NOT_ENROLLED]},
    "auth_logout_create": {400: [ErrorCode.TOKEN_NOT_VALID]},
    "auth_enroll_create": {400: [ErrorCode.ENROLLMENT_REFUSED]},
    "sync_retrieve": {400: [ErrorCode.INVALID_CURSOR]},
    "entries_create": {409: [ErrorCode.DELETED, ErrorCode.ID_TAKEN]},
    "entries_partial_update": {409: [ErrorCode.DELETED], 412: [ErrorCode.PRECONDITION_FAILED]},
    "entries_destroy": {412: [ErrorCode.PRECONDITION_FAILED]},
    "patches_create": {409: [ErrorCode.DELETED, ErrorCode.ID_TAKEN]},
    "patches_partial_update": {409: [ErrorCode.DELETED], 412: [ErrorCode.PRECONDITION_FAILED]},
    "patches_destroy": {412: [ErrorCode.PRECONDITION_FAILED]},
    # Issue 13: day logs and PGIC answers, like entries and patches.
    "day_logs_create": {409: [ErrorCode.DAY_EXISTS, ErrorCode.DELETED, ErrorCode.ID_TAKEN]},
    "day_logs_partial_update": {
        409: [ErrorCode.DAY_EXISTS, ErrorCode.DELETED],
        412: [ErrorCode.PRECONDITION_FAILED],
    },
    "day_logs_destroy": {412: [ErrorCode.PRECONDITION_FAILED]},
    "impressions_create": {
        409: [ErrorCode.IMPRESSION_EXISTS, ErrorCode.DELETED, ErrorCode.ID_TAKEN]
    },
    "impressions_partial_update": {
        409: [ErrorCode.IMPRESSION_EXISTS, ErrorCode.DELETED],
        412: [ErrorCode.PRECONDITION_FAILED],
    },
    "impressions_destroy": {412: [ErrorCode.PRECONDITION_FAILED]},
    # Only a patient has reminders: any other login finds none (404).
    "reminders_due_retrieve": {404: [ErrorCode.NOT_FOUND]},
    "patients_impressions_create": {
        409: [ErrorCode.IMPRESSION_EXISTS, ErrorCode.DELETED, ErrorCode.ID_TAKEN]
    },
    "patients_patches_create": {409: [ErrorCode.DELETED, ErrorCode.ID_TAKEN]},
    "patients_enrollment_code_create": {409: [ErrorCode.ALREADY_ENROLLED]},
    "flags_acknowledge_create": {409: [ErrorCode.FLAG_RESOLVED]},
    "flags_resolve_create": {409: [ErrorCode.FLAG_RESOLVED]},
    "exports_download_retrieve": {409: [ErrorCode.NOT_READY], 410: [ErrorCode.EXPIRED]},
}

# Words for a client developer where the view's docstring speaks to maintainers
# (or the view belongs to a library).
DESCRIPTIONS = {
    "auth_token_create": "Log in with a username and password: an `access` token (send it as "
    "`Authorization: Bearer <access>`, good for minutes) and a `refresh` token (good for "
    "days); each login starts a token family. Wrong credentials answer 401 "
    "`no_active_account`; after repeated failures the account or address is locked out "
    "for a while (429 `locked_out`, even with the right password): tell the user to wait.",
    "auth_enroll_create": "Claim the one-time enrolment code the clinic handed out (typed, or "
    "read from its QR code) and create the patient's login; answers a token pair at once. "
    "400 `enrollment_refused`: the code is mistyped, used or expired, ask the clinic for a "
    "new one. 400 `invalid` on `username`/`password`: let the user choose again.",
    "auth_logout_create": "End this login: its refresh tokens (the whole token family) stop "
    "working. With "
    "`device_token` or `all_devices`, push reminders to that phone (or all of the user's) "
    "stop too. With `everywhere: true`, every login of the user ends, on every phone (their "
    "refresh and access tokens stop working), and push reminders to all their phones stop. "
    "Safe to retry; 400 `token_not_valid` means it was over already.",
    "me_retrieve": "Who is logged in: `role` (`patient`, `clinician`, `coordinator`), the "
    "clinic, and for a patient their own patient id (`patient`), which the phone keeps.",
    "patients_list": "The patients this login may read (a clinician: their care team; a "
    "coordinator: their clinic), paginated; `search` matches the display name.",
    "patients_create": "Enrol a patient (coordinators): answers the patient with a one-time "
    "`enrollment_code`, shown this once, that the phone claims at `POST /auth/enroll/`.",
    "patients_retrieve": "One patient this login may read; anyone else's answers 404.",
    "exports_retrieve": "An export's progress: poll it (every few seconds) until `status` is "
    "`done`, then fetch `download`; `failed` means build a new one.",
    "exports_download_retrieve": "The built file (PDF, CSV or a FHIR R4 Bundle). 409 "
    "`not_ready`: poll the export's status first; 410 `expired`: request a new export.",
    "notifications_inbox_unread_count_retrieve": "How many flags in the inbox have "
    "something unread, for a badge.",
    "sync_create": "Upload what the phone logged offline: at most 500 items in all, in "
    "`entries`, `patches` and `deleted`, each with the id the phone chose. The answer has one "
    "result per item, in the order sent: `created`, `updated`, `unchanged`, `deleted`, or "
    "`error` with the reason (the same shape as an error response's `error`). A bad item never "
    "stops the good ones: keep the items whose result is `error` for the user to fix and "
    "consider the others stored. Idempotent: after a lost reply or a timeout, resend the same "
    "batch as it is; what was stored answers `unchanged`, never a duplicate. A whole-batch 400 "
    "(`invalid`: more than 500 items, a section that is not a list) or a 413 means the batch "
    "must be split or fixed, not resent.",
    "sync_retrieve": "Everything in this diary that changed since `cursor` (all of it without "
    "one): entries, patches, and tombstones in `deleted` (remove those records locally). "
    "Call again with the returned `cursor` while `has_more` is true, then keep the last "
    "cursor for next time. Safe to repeat. 400 `invalid_cursor`: pull again without a cursor.",
    "flags_list": "The flags this login may read (a clinician: their care team's; a "
    "coordinator: their clinic's), open first, newest first; filter by `status`, `patient`, "
    "`kind`. A flag asks a clinician to review a patient's course after a treatment; it is "
    "not a diagnosis. `evidence` holds the numbers and dates that raised it and a `summary`.",
    "flags_retrieve": "One flag with its evidence; opening it marks it read in the inbox.",
    "flags_acknowledge_create": "Say the flag was seen. Safe to repeat; a resolved flag "
    "answers 409 `flag_resolved`.",
    "flags_resolve_create": "Close the flag with an optional `note`. A flag already resolved "
    "answers 409 `flag_resolved`.",
}

TITLES = {
    400: "The request was refused as it is.",
    401: "Not logged in, or the token is no longer good.",
    403: "This login may not do this.",
    404: "No such record for this login (records outside your care are never revealed).",
    409: "The request conflicts with the stored state.",
    410: "Gone.",
    412: "The record changed since the phone's copy; `error.current` is the stored record.",
    413: "The body is too large.",
    415: "The body is not JSON.",
    429: "Too many requests.",
}


def error_statuses(operation: dict, path: str, method: str) -> dict[int, list[ErrorCode]]:
    """The error statuses of one operation, each with its codes (in order, no repeats)."""
    statuses: dict[int, list[ErrorCode]] = {429: list(GENERIC[429])}
    has_body = "requestBody" in operation
    has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
    if has_body or has_query:
        statuses[400] = list(GENERIC[400]) if has_body else [ErrorCode.INVALID]
    if has_body:
        statuses[413] = list(GENERIC[413])
        statuses[415] = list(GENERIC[415])
    if operation.get("security") and {} not in operation["security"]:
        statuses[401] = list(GENERIC[401])
        statuses[403] = list(GENERIC[403])
    if "{" in path:
        statuses[404] = list(GENERIC[404])
    for status, codes in SPECIFIC.get(operation.get("operationId"), {}).items():
        known = statuses.setdefault(status, [])
        known.extend(code for code in codes if code not in known)
    return dict(sorted(statuses.items()))


def _describe(status: int, codes: list[ErrorCode], given: str = "") -> str:
    lines = [given or TITLES.get(status, "An error."), ""]
    lines += [f"- `{code.value}`: {code.label}" for code in codes]
    return "\n".join(lines)


def _local_times(node) -> None:
    # A time of day is the user's wall-clock time, "19:30" or "19:30:00", with no
    # offset; OpenAPI's format "time" (RFC 3339 full-time) would demand one.
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            del node["format"]
            node["pattern"] = r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"
        for value in node.values():
            _local_times(value)
    elif isinstance(node, list):
        for value in node:
            _local_times(value)


def add_error_responses(result, generator, request, public):
    _local_times(result.get("components", {}))
    result.setdefault("components", {}).setdefault("schemas", {}).update(error_components())
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if description := DESCRIPTIONS.get(operation.get("operationId")):
                operation["description"] = description
            responses = operation["responses"]
            for status, codes in error_statuses(operation, path, method).items():
                given = responses.get(str(status), {}).get("description", "")
                responses[str(status)] = {
                    "description": _describe(status, codes, given),
                    "content": {"application/json": {"schema": ERROR_REF}},
                }
            responses.setdefault(
                "default",
                {
                    "description": "Any other error, in the same shape: `server_error` (500; "
                    "retry later with the same ids, nothing was saved), `unavailable` or "
                    "`audit_unavailable` (503; retry after `Retry-After` seconds).",
                    "content": {"application/json": {"schema": ERROR_REF}},
                },
            )
    return result
