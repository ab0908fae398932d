"""The served schema as the phone team's contract: typed, tagged, every error
listed, nothing a generator trips on. (The generated client itself drives the
API in test_generated_client.py.)"""

import json
import re
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.exceptions import ValidationError

from api.error_codes import ErrorCode
from api.serializers.fields import TimeZoneField

REPO = Path(__file__).resolve().parents[2]
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema() -> dict:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


def ref(node) -> str:
    """The component a property points at, described (allOf) or not."""
    return node["$ref"] if "$ref" in node else node["allOf"][0]["$ref"]


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


# --- Time zones ------------------------------------------------------------------------


def test_time_zones_are_strings_not_an_enum(schema):
    components = schema["components"]["schemas"]
    assert not [name for name in components if "timezone" in name.lower()]
    zone = components["PatientEnrollRequest"]["properties"]["timezone"]
    assert zone["type"] == "string" and "enum" not in zone


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("US/Eastern", "timezone_alias"),
        ("GMT0", "timezone_alias"),
        ("Factory", "timezone_alias"),
        ("Mars/Olympus", "unknown_timezone"),
    ],
)
def test_aliases_and_pseudo_zones_are_refused_with_a_code(name, code):
    with pytest.raises(ValidationError) as refused:
        TimeZoneField().run_validation(name)
    assert refused.value.get_codes() == [code]


@pytest.mark.django_db
def test_an_alias_zone_is_refused_at_enrolment_with_its_field_code(cast, api):
    body = {"display_name": "Carla", "timezone": "US/Eastern"}
    refused = api(cast.coordinator).post("/api/v1/patients/", body, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["field_codes"] == {"timezone": ["timezone_alias"]}
    body["timezone"] = "America/New_York"
    assert api(cast.coordinator).post("/api/v1/patients/", body, format="json").status_code == 201


# --- Operations: tags, descriptions, errors -----------------------------------------------


def test_operations_are_tagged_and_named_by_resource(schema):
    for path, method, operation in operations(schema):
        resource = path.removeprefix("/api/v1/").split("/")[0]
        assert operation["tags"] == [resource], (method, path)
        assert not operation["operationId"].startswith("v1"), operation["operationId"]


def test_every_operation_is_described(schema):
    for path, method, operation in operations(schema):
        assert len(operation.get("description", "")) > 20, (method, path)


def test_every_operation_lists_its_error_statuses_with_the_error_schema(schema):
    error = {"$ref": "#/components/schemas/ErrorResponse"}
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        errors = {int(s) for s in responses if s != "default" and int(s) >= 400}
        assert 429 in errors, (method, path)
        if operation.get("security") and {} not in operation["security"]:
            assert {401, 403} <= errors, (method, path)
        if "{id}" in path:
            assert 404 in errors, (method, path)
        if "requestBody" in operation:
            assert {400, 413, 415} <= errors, (method, path)
        for status in [*map(str, errors), "default"]:
            assert responses[status]["content"]["application/json"]["schema"] == error


def test_every_success_with_a_body_is_typed(schema):
    for path, method, operation in operations(schema):
        for status, response in operation["responses"].items():
            if status.startswith("2") and status not in ("204", "205"):
                assert response.get("content"), (method, path, status)
                for media in response["content"].values():
                    assert media["schema"], (method, path, status)


@pytest.mark.parametrize(
    ("operation_id", "status", "code"),
    [
        ("auth_enroll_create", "400", "enrollment_refused"),
        ("auth_token_create", "429", "locked_out"),
        ("sync_retrieve", "400", "invalid_cursor"),
        ("entries_create", "409", "deleted"),
        ("exports_download_retrieve", "409", "not_ready"),
        ("exports_download_retrieve", "410", "expired"),
        ("flags_resolve_create", "409", "flag_resolved"),
        ("patients_enrollment_code_create", "409", "already_enrolled"),
        ("patients_reset_code_create", "409", "not_enrolled"),
        ("auth_reset_create", "400", "reset_refused"),
        ("auth_token_refresh_create", "401", "token_reused"),
    ],
)
def test_operations_name_the_codes_a_client_acts_on(schema, operation_id, status, code):
    (operation,) = [o for _, _, o in operations(schema) if o["operationId"] == operation_id]
    assert f"`{code}`: {ErrorCode(code).label}" in operation["responses"][status]["description"]


def test_enum_names_are_stable(schema):
    """A hashed name (`Kind043Enum`) would rename generated types on a whim."""
    names = [n for n in schema["components"]["schemas"] if n.endswith("Enum")]
    assert [n for n in names if re.search(r"\d", n)] == []
    assert {"TreatmentKindEnum", "FlagKindEnum", "PostureEnum", "ErrorCodeEnum"} <= set(names)


def test_error_codes_are_the_registry_as_an_enum(schema):
    components = schema["components"]["schemas"]
    assert components["ErrorCodeEnum"]["enum"] == [code.value for code in ErrorCode]
    detail = components["ErrorDetail"]
    assert detail["properties"]["code"] == {"$ref": "#/components/schemas/ErrorCodeEnum"}
    assert set(detail["required"]) == {"code", "message", "fields", "field_codes"}


# Where a code is raised: error_response("code", ...), ItemError("code", ...),
# default_code = "code", code="code" of an exception.
RAISED = re.compile(
    r"(?:error_response\(|ItemError\(|ItemConflict\(|default_code = |error_body\(|"
    r'Failed\(.*, code=)\s*"([a-z_]+)"'
)


def test_every_code_the_code_base_answers_is_in_the_registry():
    raised = set()
    for app in ("api", "diary", "accounts", "audit", "exports", "notifications"):
        for source in (REPO / app).rglob("*.py"):
            raised |= set(RAISED.findall(source.read_text()))
    assert raised >= {"invalid_cursor", "deleted", "enrollment_refused", "not_ready"}
    assert raised - set(ErrorCode.values) == set()


# --- Bodies typed, what is always there required -------------------------------------------


def test_sync_sections_and_results_are_typed(schema):
    components = schema["components"]["schemas"]
    batch = components["SyncBatchRequest"]["properties"]
    assert batch["entries"]["items"] == {"$ref": "#/components/schemas/SyncEntryRequest"}
    assert batch["patches"]["items"] == {"$ref": "#/components/schemas/SyncTreatmentRequest"}
    for item in ("SyncEntryRequest", "SyncTreatmentRequest", "DeletionRequest"):
        assert "base_version" in components[item]["properties"]
    entry = components["SyncEntryRequest"]["properties"]
    assert set(entry) - {"base_version"} == set(components["EntryRequest"]["properties"])
    assert batch["deleted"]["items"] == {"$ref": "#/components/schemas/DeletionRequest"}
    result = components["SyncItemResult"]
    assert ref(result["properties"]["error"]) == "#/components/schemas/ErrorDetail"
    assert set(result["required"]) == {"id", "status"}
    pull = components["SyncChanges"]
    assert pull["properties"]["entries"]["items"] == {"$ref": "#/components/schemas/Entry"}
    assert set(pull["required"]) == {
        "entries",
        "patches",
        "day_logs",  # issue 13
        "impressions",
        "deleted",
        "cursor",
        "has_more",
    }


@pytest.mark.parametrize("component", ["Entry", "Treatment", "Patient", "Flag"])
def test_what_a_response_always_holds_is_required(schema, component):
    body = schema["components"]["schemas"][component]
    assert set(body["required"]) == set(body["properties"])
    assert "id" in body["required"]


def test_every_object_names_its_fields(schema):
    """Only an error's field maps are free-form (field names → messages);
    every other object names its fields."""
    open_objects = []

    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" not in node and "$ref" not in node:
                open_objects.append(where)
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(schema["components"]["schemas"], "")
    allowed = ("/ErrorDetail/",)
    assert [w for w in open_objects if not w.startswith(allowed)] == []


@pytest.mark.django_db
def test_an_invalid_sync_item_names_its_id_only_if_it_is_a_string(cast, api):
    body = {"deleted": [{"type": "entry", "id": {}}, {"type": "entry", "id": "x"}]}
    results = api(cast.patient_a.user).post("/api/v1/sync/", body, format="json").json()
    assert [(r["id"], r["status"]) for r in results["deleted"]] == [(None, "error"), ("x", "error")]


# --- The repository's own documentation ----------------------------------------------------


def test_the_error_table_in_docs_is_the_registry():
    from api.error_table import error_table

    table = (REPO / "docs" / "errors.md").read_text()
    assert table == error_table(), "run: python manage.py error_table > docs/errors.md"
    for code in ErrorCode:
        assert f"| `{code.value}` |" in table
    assert " |  | " not in table, "a code the table cannot place: see api/error_table.py"


def test_the_docs_stand_alone():
    """A clone carries its contract: no link leaves the repository's docs."""
    for page in [REPO / "README.md", *(REPO / "docs").glob("*.md")]:
        text = page.read_text()
        assert "../shared" not in text and "DOMAIN.md" not in text, page.name
        for target in re.findall(r"\]\(([^)#]+)\)", text):
            if not target.startswith(("http://", "https://")):
                assert (page.parent / target).exists(), (page.name, target)
