"""v1.1: every field error carries a code beside its message, on every path."""

import datetime as dt
import uuid

import pytest
import time_machine

from tests.factories import EntryFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
travel = time_machine.travel(NOW, tick=False)


def entry(**overrides):
    body = {
        "id": str(uuid.uuid4()),
        "recorded_at": "2026-03-09T08:00:00+01:00",
        "posture": "sitting",
        "headache": 6,
    }
    return {key: value for key, value in {**body, **overrides}.items() if value is not ...}


# (body change, the field codes expected)
ENTRY_CASES = [
    ({"headache": 11}, {"headache": ["max_value"]}),
    ({"headache": -1}, {"headache": ["min_value"]}),
    ({"headache": ...}, {"headache": ["required"]}),
    ({"posture": "upside_down"}, {"posture": ["invalid_choice"]}),
    ({"recorded_at": "2026-03-10T13:11:00Z"}, {"recorded_at": ["future_time"]}),
    ({"recorded_at": "2026-03-09T08:00:00"}, {"recorded_at": ["naive"]}),
    ({"posture": "lying", "onset_minutes": 5}, {"onset_minutes": ["upright_only"]}),
    ({"relief_minutes": 5}, {"relief_minutes": ["lying_only"]}),
    ({"note": "x" * 2001}, {"note": ["max_length"]}),
    ({"symptoms": ["nausea", "hiccups"]}, {"symptoms": {"1": ["invalid_choice"]}}),
]


@travel
@pytest.mark.parametrize(("change", "codes"), ENTRY_CASES)
def test_the_serializer_path_answers_field_codes(cast, api, change, codes):
    response = api(cast.patient_a.user).post("/api/v1/entries/", entry(**change), format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field_codes"] == codes
    assert set(error["fields"]) == set(codes)


@travel
@pytest.mark.parametrize(("change", "codes"), ENTRY_CASES)
def test_a_sync_item_answers_the_same_field_codes(cast, api, change, codes):
    # Well-formed items take the fast path; these fall back to the serializer,
    # and a good item beside them is still saved.
    body = {"entries": [entry(**change), entry()]}

    result = api(cast.patient_a.user).post("/api/v1/sync/", body, format="json").json()

    bad, good = result["entries"]
    assert good["status"] == "created"
    assert bad["status"] == "error"
    assert bad["error"]["code"] == "invalid"
    assert bad["error"]["field_codes"] == codes


@travel
def test_sync_item_errors_of_patches_deletions_and_repeats_have_codes(cast, api):
    repeated = entry()
    body = {
        "entries": [repeated, repeated],
        "patches": [{"performed_at": "2026-03-08T10:00:00Z", "kind": "x", "volume_ml": 0}],
        "deleted": [{"type": "entry"}, "not an object"],
    }

    result = api(cast.patient_a.user).post("/api/v1/sync/", body, format="json").json()

    assert result["entries"][1]["error"]["field_codes"] == {"id": ["duplicate_id"]}
    assert result["patches"][0]["error"]["field_codes"] == {
        "kind": ["invalid_choice"],
        "volume_ml": ["min_value"],
    }
    assert result["deleted"][0]["error"]["field_codes"] == {"id": ["required"]}
    assert result["deleted"][1]["error"]["field_codes"] == {"non_field_errors": ["invalid"]}


@travel
def test_a_patch_with_an_unknown_spinal_level_has_a_code(cast, api):
    body = {"performed_at": "2026-03-08T10:00:00Z", "kind": "other", "levels": ["L9/L10"]}

    response = api(cast.patient_a.user).post("/api/v1/patches/", body, format="json")

    assert response.json()["error"]["field_codes"] == {"levels": ["invalid_level"]}


@travel
def test_an_update_answers_field_codes_too(cast, api):
    stored = EntryFactory(patient=cast.patient_a, posture="lying")

    response = api(cast.patient_a.user).patch(
        f"/api/v1/entries/{stored.uuid}/", {"onset_minutes": 3}, format="json"
    )

    assert response.json()["error"]["field_codes"] == {"onset_minutes": ["upright_only"]}


def test_errors_without_fields_carry_empty_field_codes(cast, api):
    error = api(None).get("/api/v1/entries/").json()["error"]
    assert (error["fields"], error["field_codes"]) == ({}, {})
