"""Exact query budgets: a list or a sync costs the same for 2 rows as for 40.

Each request runs in a transaction (ATOMIC_REQUESTS); inside the test's own
transaction that is a SAVEPOINT and a RELEASE, counted in every budget below.
"""

import datetime as dt
import uuid

import pytest
import time_machine

from tests.factories import EntryFactory, PatientFactory, TreatmentFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
# The audit trail's one INSERT at the end of a request that read another
# patient's data or wrote to a diary; in the test's transaction it comes with
# a SAVEPOINT and a RELEASE (in production it is the INSERT alone).
AUDIT_WRITE = 3


@pytest.mark.parametrize("rows", [2, 40])
def test_entry_list_queries_do_not_grow_with_rows(cast, api, django_assert_num_queries, rows):
    EntryFactory.create_batch(rows, patient=cast.patient_a)
    client = api(cast.clinician_on)
    # user, count, page
    with django_assert_num_queries(2 + 3 + AUDIT_WRITE):
        assert client.get("/api/v1/entries/").status_code == 200


@pytest.mark.parametrize("rows", [2, 40])
def test_patient_list_queries_do_not_grow_with_rows(cast, api, django_assert_num_queries, rows):
    for _ in range(rows):
        PatientFactory(clinic=cast.clinic, care_team=[cast.clinician_on, cast.clinician_off])
    client = api(cast.coordinator)
    # user, count, page, care teams
    with django_assert_num_queries(2 + 4 + AUDIT_WRITE):
        assert client.get("/api/v1/patients/").status_code == 200


@pytest.mark.parametrize("rows", [2, 40])
def test_nested_patch_list_queries_do_not_grow(cast, api, django_assert_num_queries, rows):
    TreatmentFactory.create_batch(rows, patient=cast.patient_a)
    client = api(cast.coordinator)
    # user, the patient in scope, count, page
    with django_assert_num_queries(2 + 4 + AUDIT_WRITE):
        client.get(f"/api/v1/patients/{cast.patient_a.pk}/patches/")


def batch(entries: int, patches: int) -> dict:
    return {
        "entries": [
            {
                "id": str(uuid.uuid4()),
                "recorded_at": "2026-03-09T08:00:00+01:00",
                "posture": "standing",
                "headache": i % 11,
            }
            for i in range(entries)
        ],
        "patches": [
            {"id": str(uuid.uuid4()), "performed_at": "2026-03-01T08:00:00Z", "kind": "other"}
            for _ in range(patches)
        ],
    }


@time_machine.travel(NOW, tick=False)
# 60 keeps one INSERT on SQLite too (999 parameters at most per statement).
@pytest.mark.parametrize("size", [5, 60])
def test_sync_upload_queries_do_not_grow_with_the_batch(cast, api, django_assert_num_queries, size):
    client = api(cast.patient_a.user)
    body = batch(size, 2)
    # user with own patient, the stored ids (entries, patches), lock the diary
    # and bump its version, COPY entries, COPY patches. No
    # look-up under the lock: nothing was written since the ids were read, and
    # none of them was stored. The trail: one INSERT for the entries' events,
    # one for the patches'.
    with django_assert_num_queries(2 + 7 + AUDIT_WRITE + 1):
        client.post("/api/v1/sync/", body, format="json")
    # The same bytes again, nothing written since: answered from the patient row
    # read with the user.
    with django_assert_num_queries(2 + 1):
        result = client.post("/api/v1/sync/", body, format="json").json()
    assert {r["status"] for r in result["entries"]} == {"unchanged"}
    # After another write, a replay compares each item's fingerprint: user with
    # own patient, the look-ups of entries and of patches.
    client.post("/api/v1/entries/", batch(1, 0)["entries"][0], format="json")
    with django_assert_num_queries(2 + 3):
        result = client.post("/api/v1/sync/", body, format="json").json()
    assert {r["status"] for r in result["entries"]} == {"unchanged"}


@pytest.mark.parametrize("rows", [2, 40])
def test_sync_download_queries_do_not_grow(cast, api, django_assert_num_queries, rows):
    EntryFactory.create_batch(rows, patient=cast.patient_a)
    client = api(cast.patient_a.user)
    # user with own patient, entries, patches, day logs, PGIC answers
    with django_assert_num_queries(2 + 5):
        client.get("/api/v1/sync/")
