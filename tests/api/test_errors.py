"""Every API failure is JSON in the contract's shape, never HTML, never a 500."""

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def assert_error(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields", "field_codes"}
    assert error["code"] == code
    assert error["message"]


def test_no_token_is_401():
    assert_error(APIClient().get("/api/v1/entries/"), 401, "not_authenticated")


def test_garbage_token_is_401():
    client = APIClient(HTTP_AUTHORIZATION="Bearer not.a.token")
    assert_error(client.get("/api/v1/entries/"), 401, "token_not_valid")


def test_wrong_role_is_403(cast, api):
    assert_error(api(cast.clinician_on).get("/api/v1/sync/"), 403, "permission_denied")


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "path",
    ["/api/v1/nowhere/", "/api/nowhere", "/api/v1/entries/not-a-uuid/", "/api/v1/patients/42/"],
)
def test_unknown_api_paths_are_json_404_even_in_debug(cast, api, settings, path, debug):
    settings.DEBUG = debug
    assert_error(api(cast.coordinator).get(path), 404, "not_found")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writing_to_an_unknown_api_path_is_json_404_not_a_csrf_refusal(method):
    client = Client(enforce_csrf_checks=True)  # as a phone: no session, no CSRF cookie
    response = getattr(client, method)("/api/v1/auth/login/", "{}", content_type="application/json")
    assert_error(response, 404, "not_found")


def test_validation_errors_name_their_fields(cast, api):
    response = api(cast.patient_a.user).post("/api/v1/entries/", {}, format="json")
    assert_error(response, 400, "invalid")
    assert set(response.json()["error"]["fields"]) >= {"recorded_at", "posture", "headache"}


def test_method_not_allowed_is_405(cast, api):
    assert_error(
        api(cast.patient_a.user).put("/api/v1/sync/", {}, format="json"), 405, "method_not_allowed"
    )


def test_form_data_is_415(cast, api):
    response = api(cast.patient_a.user).post("/api/v1/entries/", {"headache": "5"})
    assert_error(response, 415, "unsupported_media_type")


def test_malformed_json_is_400(cast, api):
    response = api(cast.patient_a.user).post(
        "/api/v1/entries/", "{not json", content_type="application/json"
    )
    assert_error(response, 400, "parse_error")


def test_json_that_is_not_an_object_is_400(cast, api):
    response = api(cast.patient_a.user).post(
        "/api/v1/entries/", "[1, 2]", content_type="application/json"
    )
    assert_error(response, 400, "invalid")


def test_too_many_requests_is_429_with_retry_after(cast, api, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
    from rest_framework.throttling import UserRateThrottle

    original = UserRateThrottle.THROTTLE_RATES
    UserRateThrottle.THROTTLE_RATES = {**original, "user": "2/min"}
    try:
        client = api(cast.patient_a.user)
        responses = [client.get("/api/v1/me/") for _ in range(3)]
    finally:
        UserRateThrottle.THROTTLE_RATES = original
        cache.clear()
    assert_error(responses[-1], 429, "throttled")
    assert int(responses[-1]["Retry-After"]) > 0


def test_an_unexpected_failure_is_json_and_rolls_back(cast, api, monkeypatch):
    from diary.models import SymptomEntry
    from diary.services import records

    def explode(**kwargs):
        SymptomEntry.objects.create(
            patient=cast.patient_a, recorded_at="2026-01-01T00:00Z", posture="lying", headache=1
        )
        raise RuntimeError("bug")

    monkeypatch.setattr(records, "diary_change_begin", explode)
    client = api(cast.patient_a.user)
    client.raise_request_exception = False
    body = {"recorded_at": "2026-01-01T08:00:00Z", "posture": "lying", "headache": 2}
    response = client.post("/api/v1/entries/", body, format="json")

    assert_error(response, 500, "server_error")
    assert not SymptomEntry.objects.exists()
