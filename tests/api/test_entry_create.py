"""A single-entry create (issue 18's web path): one transaction of its own, the
id told by the INSERT itself, and every guarantee the longer path gave."""

import threading
import time
import uuid

import pytest
from django.db import connection, connections, transaction

from accounts.models import User
from api.authentication import login_with_patient
from audit.models import Action, AuditEvent
from diary.models import Patient, SymptomEntry
from diary.services.records import record_delete
from tests.api.test_query_counts import AUDIT_WRITE

ENTRY = {"recorded_at": "2026-03-09T08:00:00+01:00", "posture": "sitting", "headache": 6}


def entry(record_id=None) -> dict:
    return {**ENTRY, "id": str(record_id or uuid.uuid4())}


def diary_version(patient) -> int:
    return Patient.objects.get(pk=patient.pk).diary_version


def created_events(record_id) -> int:
    return AuditEvent.objects.filter(action=Action.CREATE, record_id=str(record_id)).count()


@pytest.mark.django_db
def test_a_create_costs_the_login_the_lock_and_one_insert(cast, api, django_assert_num_queries):
    client = api(cast.patient_a.user)
    client.post("/api/v1/entries/", entry(), format="json")  # the judgement is asked for once
    # The request's savepoint (a test runs in a transaction; production has
    # none), user with own patient, record_create's savepoint (in production its
    # BEGIN and COMMIT), lock and bump the diary, INSERT ... ON CONFLICT; the trail.
    with django_assert_num_queries(2 + 1 + 2 + 2 + 1 + AUDIT_WRITE):
        assert client.post("/api/v1/entries/", entry(), format="json").status_code == 201
    # A retry: the same, the INSERT finds the id taken, one look-up, and the
    # savepoint rolled back (ROLLBACK TO and RELEASE); nothing written, no trail.
    body = entry()
    client.post("/api/v1/entries/", body, format="json")
    with django_assert_num_queries(2 + 1 + 1 + 2 + 1 + 1 + 2):
        assert client.post("/api/v1/entries/", body, format="json").status_code == 200


@pytest.mark.django_db
def test_a_retry_answers_the_stored_entry_and_changes_nothing(cast, api):
    client = api(cast.patient_a.user)
    body = entry()
    first = client.post("/api/v1/entries/", body, format="json")
    version = diary_version(cast.patient_a)

    retry = client.post("/api/v1/entries/", {**body, "headache": 9}, format="json")

    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()  # the stored record, not the retry's values
    assert retry["ETag"] == first["ETag"]
    assert diary_version(cast.patient_a) == version  # the bump was rolled back with the rest
    assert SymptomEntry.objects.filter(uuid=body["id"]).count() == 1
    assert created_events(body["id"]) == 1


@pytest.mark.django_db
def test_another_patients_id_and_a_deleted_id_are_refused_and_change_nothing(cast, api):
    body = entry()
    assert api(cast.patient_a.user).post("/api/v1/entries/", body, format="json").status_code == 201
    version_b = diary_version(cast.patient_b)

    taken = api(cast.patient_b.user).post("/api/v1/entries/", body, format="json")

    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "id_taken"
    assert diary_version(cast.patient_b) == version_b
    assert not SymptomEntry.objects.filter(patient=cast.patient_b).exists()

    record_delete(record=SymptomEntry.objects.get(uuid=body["id"]))
    version_a = diary_version(cast.patient_a)
    deleted = api(cast.patient_a.user).post("/api/v1/entries/", body, format="json")
    assert deleted.status_code == 409
    assert deleted.json()["error"]["code"] == "deleted"
    assert diary_version(cast.patient_a) == version_a
    assert SymptomEntry.objects.get(uuid=body["id"]).is_deleted


def blocked_on_locks(expected: int, timeout: float = 10.0) -> bool:
    """Whether `expected` other sessions of this database wait for a lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            # Inside a transaction the activity view is a snapshot: take a fresh one.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] >= expected:
                return True
        time.sleep(0.02)
    return False


def post_at_once(posts: list[tuple[User, dict]], locked: list[Patient]) -> list[int]:
    """Each (user, body) POSTed from its own thread and connection, all held at
    the diary locks of `locked` until every one waits, then let go together."""
    from rest_framework.test import APIClient

    statuses: list[int] = [0] * len(posts)

    def post(i, user, body):
        try:
            client = APIClient()
            client.force_authenticate(user)
            statuses[i] = client.post("/api/v1/entries/", body, format="json").status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(i, *p)) for i, p in enumerate(posts)]
    with transaction.atomic():
        list(Patient.objects.select_for_update().filter(pk__in=[p.pk for p in locked]))
        for thread in threads:
            thread.start()
        assert blocked_on_locks(len(posts)), "the creates did not wait for the diary locks"
    for thread in threads:
        thread.join(10)
    return sorted(statuses)


@pytest.mark.django_db(transaction=True)
def test_a_create_and_its_retry_at_once_store_one_entry(cast, postgres_only):
    body = entry()
    version = diary_version(cast.patient_a)
    user = cast.patient_a.user

    statuses = post_at_once([(user, body), (user, body)], locked=[cast.patient_a])

    assert statuses == [200, 201]
    assert SymptomEntry.objects.filter(uuid=body["id"]).count() == 1
    assert diary_version(cast.patient_a) == version + 1  # the retry's bump rolled back
    assert created_events(body["id"]) == 1


@pytest.mark.django_db(transaction=True)
def test_two_patients_creating_one_id_at_once_store_it_once(cast, postgres_only):
    """The second INSERT waits for the first's transaction, then finds the id taken."""
    body = entry()
    versions = {p.pk: diary_version(p) for p in (cast.patient_a, cast.patient_b)}

    statuses = post_at_once(
        [(cast.patient_a.user, body), (cast.patient_b.user, body)],
        locked=[cast.patient_a, cast.patient_b],
    )

    assert statuses == [201, 409]
    (stored,) = SymptomEntry.objects.filter(uuid=body["id"])
    loser = cast.patient_b if stored.patient_id == cast.patient_a.pk else cast.patient_a
    assert diary_version(loser) == versions[loser.pk]
    assert created_events(body["id"]) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["patient", "clinician"])
def test_the_login_look_up_gives_what_the_orm_gives(cast, who):
    user = cast.patient_a.user if who == "patient" else cast.clinician_on
    expected = User.objects.select_related("patient").get(pk=user.pk)

    found = login_with_patient(user.pk, str(uuid.uuid4()))

    fields = User._meta.concrete_fields
    assert [f.value_from_object(found) for f in fields] == [
        f.value_from_object(expected) for f in fields
    ]
    assert found.family_revoked  # a family that does not exist is no live login
    assert login_with_patient(user.pk, None).family_revoked is False
    if who == "clinician":
        assert not hasattr(found, "patient")  # DoesNotExist, as select_related leaves it
        return
    with django_assert_no_queries():
        patient = found.patient
        assert patient.user is found
    assert [f.value_from_object(patient) for f in Patient._meta.concrete_fields] == [
        f.value_from_object(expected.patient) for f in Patient._meta.concrete_fields
    ]


def django_assert_no_queries():
    from django.test.utils import CaptureQueriesContext

    class NoQueries(CaptureQueriesContext):
        def __exit__(self, *exc):
            super().__exit__(*exc)
            assert self.captured_queries == [], self.captured_queries

    return NoQueries(connection)
