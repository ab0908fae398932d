"""Sync of day logs and PGIC answers: sections in the batch and the pull."""

import datetime as dt
import uuid

import pytest
import time_machine

from audit.models import AuditEvent, RecordRevision
from diary.models import DayLog, Impression, SymptomEntry
from diary.services.sync import SyncPosition
from tests.factories import DayLogFactory, ImpressionFactory, TreatmentFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
travel = time_machine.travel(NOW, tick=False)
URL = "/api/v1/sync/"


def day_log(**overrides):
    body = {"id": str(uuid.uuid4()), "date": "2026-03-09", "upright_hours": 4, "binder": False}
    return {**body, **overrides}


def patch():
    return {
        "id": str(uuid.uuid4()),
        "performed_at": "2026-03-07T10:00:00Z",
        "kind": "epidural_blood_patch",
        "approach": "targeted",
        "levels": ["T12/L1"],
        "volume_ml": 18,
    }


def impression(treatment_id, **overrides):
    body = {
        "id": str(uuid.uuid4()),
        "treatment": str(treatment_id),
        "answered_at": "2026-03-10T10:00:00+01:00",
        "checkpoint": "72h",
        "score": 2,
    }
    return {**body, **overrides}


@pytest.fixture
def alice(cast, api):
    return api(cast.patient_a.user)


def statuses(section):
    return [item["status"] for item in section]


@travel
def test_a_mixed_batch_is_created_then_replayed_unchanged(alice):
    new_patch = patch()
    body = {
        "entries": [
            {
                "id": str(uuid.uuid4()),
                "recorded_at": "2026-03-09T08:00:00+01:00",
                "posture": "sitting",
                "headache": 6,
                "triggers": ["walking", "sitting_up", "walking"],
            }
        ],
        "patches": [new_patch],
        "day_logs": [day_log(), day_log(date="2026-03-08")],
        # An answer about the patch of the same batch.
        "impressions": [impression(new_patch["id"])],
    }

    first = alice.post(URL, body, format="json").json()
    again = alice.post(URL, body, format="json").json()
    body["day_logs"][0]["note"] = "an edit"
    third = alice.post(URL, body, format="json").json()

    for section in ("entries", "patches", "day_logs", "impressions"):
        assert set(statuses(first[section])) == {"created"}, first
        assert set(statuses(again[section])) == {"unchanged"}, again
    assert statuses(third["day_logs"]) == ["updated", "unchanged"]
    assert statuses(third["impressions"]) == ["unchanged"]
    assert SymptomEntry.objects.get().triggers == ["sitting_up", "walking"]
    assert DayLog.objects.count() == 2 and Impression.objects.count() == 1
    assert AuditEvent.objects.filter(action="create", record_type="day_log").count() == 2
    assert AuditEvent.objects.filter(action="create", record_type="impression").count() == 1


@travel
def test_a_log_for_a_day_already_logged_is_a_conflict_with_the_stored_one(cast, alice):
    stored = DayLogFactory(patient=cast.patient_a, date=dt.date(2026, 3, 9), upright_hours=2)

    result = alice.post(
        URL, {"day_logs": [day_log(), day_log(date="2026-03-08")]}, format="json"
    ).json()

    clash, fine = result["day_logs"]
    assert clash["status"] == "conflict"
    assert clash["error"]["current"]["id"] == str(stored.uuid)
    assert clash["error"]["current"]["upright_hours"] == 2
    assert fine["status"] == "created"
    stored.refresh_from_db()
    assert stored.upright_hours == 2


@travel
def test_two_logs_for_one_day_in_one_batch_keep_the_first(alice):
    first, second = day_log(), day_log(upright_hours=9)

    result = alice.post(URL, {"day_logs": [first, second]}, format="json").json()

    assert statuses(result["day_logs"]) == ["created", "error"]
    assert set(result["day_logs"][1]["error"]["fields"]) == {"date"}
    assert DayLog.objects.get().uuid == uuid.UUID(first["id"])


@travel
def test_a_second_answer_for_a_checkpoint_is_a_conflict(cast, alice):
    treatment = TreatmentFactory(patient=cast.patient_a)
    stored = ImpressionFactory(treatment=treatment, checkpoint="7d", score=5)

    result = alice.post(
        URL,
        {
            "impressions": [
                impression(treatment.uuid, checkpoint="7d", score=1),
                impression(treatment.uuid, checkpoint="other"),
            ]
        },
        format="json",
    ).json()

    assert statuses(result["impressions"]) == ["conflict", "created"]
    assert result["impressions"][0]["error"]["current"]["id"] == str(stored.uuid)
    assert result["impressions"][0]["error"]["current"]["score"] == 5


@travel
def test_an_answer_naming_no_treatment_of_this_diary_is_reported_alone(cast, alice):
    theirs = TreatmentFactory(patient=cast.patient_b)

    result = alice.post(
        URL,
        {"impressions": [impression(theirs.uuid)], "day_logs": [day_log()]},
        format="json",
    ).json()

    (refused,) = result["impressions"]
    assert refused["status"] == "error"
    assert set(refused["error"]["fields"]) == {"treatment"}
    assert statuses(result["day_logs"]) == ["created"]
    assert not Impression.objects.exists()


@travel
def test_invalid_items_name_their_fields(alice):
    result = alice.post(
        URL,
        {"day_logs": [day_log(upright_hours=30)], "impressions": [{"id": str(uuid.uuid4())}]},
        format="json",
    ).json()

    assert set(result["day_logs"][0]["error"]["fields"]) == {"upright_hours"}
    assert {"treatment", "answered_at", "checkpoint", "score"} <= set(
        result["impressions"][0]["error"]["fields"]
    )


@travel
def test_deletions_leave_tombstones_in_the_pull(cast, alice):
    log = DayLogFactory(patient=cast.patient_a)
    answer = ImpressionFactory(treatment=TreatmentFactory(patient=cast.patient_a))
    before = alice.get(URL).json()
    assert [d["id"] for d in before["day_logs"]] == [str(log.uuid)]
    assert [i["id"] for i in before["impressions"]] == [str(answer.uuid)]

    result = alice.post(
        URL,
        {
            "deleted": [
                {"type": "day_log", "id": str(log.uuid)},
                {"type": "impression", "id": str(answer.uuid)},
            ]
        },
        format="json",
    ).json()
    after = alice.get(URL, {"cursor": before["cursor"]}).json()

    assert statuses(result["deleted"]) == ["deleted", "deleted"]
    assert (after["day_logs"], after["impressions"]) == ([], [])
    assert {(d["type"], d["id"]) for d in after["deleted"]} == {
        ("day_log", str(log.uuid)),
        ("impression", str(answer.uuid)),
    }


def test_a_cursor_from_before_day_logs_reads_them_from_the_start(cast):
    import base64
    import json

    old = base64.urlsafe_b64encode(json.dumps({"v": 1, "e": [3, 7], "t": [0, 0]}).encode())
    position = SyncPosition.decode(old.decode().rstrip("="))

    assert position == SyncPosition(entries=(3, 7))


@travel
def test_the_500_item_limit_counts_the_new_sections(alice):
    body = {
        "entries": [],
        "day_logs": [day_log(date=f"2025-{1 + i // 28:02d}-{1 + i % 28:02d}") for i in range(300)],
        "impressions": [{"id": str(uuid.uuid4())}] * 201,
    }

    response = alice.post(URL, body, format="json")

    assert response.status_code == 400
    assert not DayLog.objects.exists()


@travel
def test_an_answer_with_another_patients_id_is_refused_in_sync(cast, alice):
    theirs = ImpressionFactory(treatment=TreatmentFactory(patient=cast.patient_b))
    mine = TreatmentFactory(patient=cast.patient_a)

    result = alice.post(
        URL, {"impressions": [impression(mine.uuid, id=str(theirs.uuid))]}, format="json"
    ).json()

    (refused,) = result["impressions"]
    assert (refused["status"], refused["error"]["code"]) == ("error", "id_taken")
    assert Impression.objects.get().patient == cast.patient_b


def _delete_patch_by_api(client, treatment):
    return client.delete(f"/api/v1/patches/{treatment.uuid}/").status_code


def _delete_patch_by_sync(client, treatment):
    body = {"deleted": [{"type": "patch", "id": str(treatment.uuid)}]}
    return statuses(client.post(URL, body, format="json").json()["deleted"])


@pytest.mark.parametrize(
    ("delete", "first", "replayed"),
    [(_delete_patch_by_api, 204, 404), (_delete_patch_by_sync, ["deleted"], ["unchanged"])],
    ids=["api", "sync"],
)
def test_deleting_a_treatment_deletes_its_answers(cast, alice, delete, first, replayed):
    gone = TreatmentFactory(patient=cast.patient_a)
    kept = TreatmentFactory(patient=cast.patient_a)
    answers = [ImpressionFactory(treatment=gone, checkpoint=c) for c in ("72h", "7d")]
    other = ImpressionFactory(treatment=kept, checkpoint="72h")
    before = alice.get(URL).json()

    assert delete(alice, gone) == first
    after = alice.get(URL, {"cursor": before["cursor"]}).json()
    listed = alice.get("/api/v1/impressions/").json()
    events = AuditEvent.objects.filter(action="delete", record_type="impression")
    revisions = RecordRevision.objects.filter(record_type="impression", change="delete")

    assert {(d["type"], d["id"]) for d in after["deleted"]} == {
        ("patch", str(gone.uuid)),
        *(("impression", str(a.uuid)) for a in answers),
    }
    assert after["impressions"] == []
    assert [i["id"] for i in listed["results"]] == [str(other.uuid)]
    assert {r.record_uuid for r in revisions} == {a.uuid for a in answers}
    assert {e.record_id for e in events} == {str(a.uuid) for a in answers}
    assert Impression.objects.get(pk=other.pk).deleted_at is None

    assert delete(alice, gone) == replayed
    assert alice.get(URL, {"cursor": after["cursor"]}).json()["deleted"] == []
    assert revisions.count() == 2
    assert events.count() == 2


def test_a_batch_deleting_a_treatment_and_its_answer_keeps_one_revision(cast, alice):
    gone = TreatmentFactory(patient=cast.patient_a)
    answer = ImpressionFactory(treatment=gone, checkpoint="72h")
    body = {
        "deleted": [
            {"type": "patch", "id": str(gone.uuid)},
            {"type": "impression", "id": str(answer.uuid)},
        ]
    }

    result = alice.post(URL, body, format="json").json()

    assert statuses(result["deleted"]) == ["deleted", "deleted"]
    assert RecordRevision.objects.filter(record_uuid=answer.uuid).count() == 1


def test_deleting_treatments_by_sync_costs_the_same_for_one_or_many(cast, alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_to_delete(count):
        gone = [TreatmentFactory(patient=cast.patient_a) for _ in range(count)]
        for treatment in gone:
            for checkpoint in ("72h", "7d"):
                ImpressionFactory(treatment=treatment, checkpoint=checkpoint)
        body = {"deleted": [{"type": "patch", "id": str(t.uuid)} for t in gone]}
        with CaptureQueriesContext(connection) as captured:
            result = alice.post(URL, body, format="json").json()
        assert statuses(result["deleted"]) == ["deleted"] * count
        return len(captured)

    assert queries_to_delete(1) == queries_to_delete(5)
    assert not Impression.objects.filter(deleted_at=None).exists()
