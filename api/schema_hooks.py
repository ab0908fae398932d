"""Document the contract's error shape on every operation of the served schema.

Every API failure answers `{"error": {"code", "message", "fields", "field_codes"}}`
(api/errors.py);
saying so as each operation's `default` response lets a client, and a schema
fuzzer, check error bodies as strictly as successes.
"""

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields", "field_codes"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object"},
                "field_codes": {"type": "object"},
                "current": {"type": "object", "description": "The stored record (conflicts)."},
            },
        }
    },
}


# A time of day is the user's wall-clock time, "19:30" or "19:30:00", with no
# offset; OpenAPI's format "time" (RFC 3339 full-time) would demand one.
TIME_OF_DAY = {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"}


def _local_times(node) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            del node["format"]
            node["pattern"] = TIME_OF_DAY["pattern"]
        for value in node.values():
            _local_times(value)
    elif isinstance(node, list):
        for value in node:
            _local_times(value)


def add_error_responses(result, generator, request, public):
    _local_times(result.get("components", {}))
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault(
                    "default",
                    {
                        "description": "An error, in the contract's shape.",
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
