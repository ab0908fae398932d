"""docs/errors.md, from the registry (api/error_codes.py) and the served schema."""

from drf_spectacular.generators import SchemaGenerator

from api.error_codes import ErrorCode
from api.schema_hooks import error_statuses

# Codes no operation lists by status: the `default` response of every one.
ANYWHERE = {
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.NOT_ACCEPTABLE: 406,
    ErrorCode.SERVER_ERROR: 500,
    ErrorCode.AUDIT_UNAVAILABLE: 503,
    ErrorCode.UNAVAILABLE: 503,
}
# Codes a sync item's result carries (`POST /sync/`), beside any HTTP answer.
# A day log or PGIC answer that clashes in sync is a `conflict` (issue 13), not `day_exists`.
SYNC_ITEM = {ErrorCode.CONFLICT, ErrorCode.DELETED, ErrorCode.ID_TAKEN}
# Codes on (nearly) every operation: naming them all would hide the rest.
EVERYWHERE = {
    ErrorCode.INVALID,
    ErrorCode.PARSE_ERROR,
    ErrorCode.NOT_AUTHENTICATED,
    ErrorCode.BAD_AUTHORIZATION_HEADER,
    ErrorCode.AUTHENTICATION_FAILED,
    ErrorCode.TOKEN_NOT_VALID,
    ErrorCode.USER_NOT_FOUND,
    ErrorCode.USER_INACTIVE,
    ErrorCode.PERMISSION_DENIED,
    ErrorCode.NOT_FOUND,
    ErrorCode.TOO_LARGE,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    ErrorCode.THROTTLED,
}

HEADER = """# API error codes

Every API error answers `{"error": {"code", "message", "fields"}}` (field
errors add `field_codes`). A client acts on `code`; `message` is for people,
in the request's language. The served schema lists the same codes as
`ErrorCodeEnum` and, on each operation, the statuses it can answer with the
codes each may carry.

This file is generated from the registry (`api/error_codes.py`) and the
schema: `python manage.py error_table > docs/errors.md` (a test fails when it
is out of date).

| code | status | where | what the client should do |
|---|---|---|---|
"""


def _uses() -> dict[ErrorCode, dict[int, set[str]]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    uses: dict[ErrorCode, dict[int, set[str]]] = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            for status, codes in error_statuses(operation, path, method).items():
                for code in codes:
                    uses.setdefault(code, {}).setdefault(status, set()).add(
                        f"`{method.upper()} {path.removeprefix('/api/v1')}`"
                    )
    return uses


def error_table() -> str:
    uses = _uses()
    rows = []
    for code in ErrorCode:
        found = uses.get(code, {})
        statuses = sorted(found) or [ANYWHERE.get(code)]
        if code in EVERYWHERE or code in ANYWHERE:
            where = "any operation"
        else:
            where = ", ".join(sorted(set().union(*found.values())))
        if code in SYNC_ITEM:
            where = ", ".join(filter(None, [where, "a sync item's result (`POST /sync/`)"]))
        status = ", ".join(str(s) for s in statuses if s) or "—"
        rows.append(f"| `{code.value}` | {status} | {where} | {code.label} |")
    return HEADER + "\n".join(rows) + "\n"
