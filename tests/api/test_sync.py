import datetime as dt
import threading
import uuid

import pytest
import time_machine
from django.db import connection, connections, transaction

from api.serializers.records import EntrySerializer
from diary.models import Patient, SymptomEntry, Treatment
from diary.services.records import record_create
from diary.services.sync import (
    SyncItem,
    SyncPosition,
    item_digest,
    sync_apply,
    sync_changes,
    sync_replayed,
)
from tests.factories import EntryFactory, TreatmentFactory

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
travel = time_machine.travel(NOW, tick=False)


def entry(**overrides):
    body = {
        "id": str(uuid.uuid4()),
        "recorded_at": "2026-03-09T08:00:00+01:00",
        "posture": "sitting",
        "headache": 6,
    }
    return {**body, **overrides}


def patch(**overrides):
    body = {
        "id": str(uuid.uuid4()),
        "performed_at": "2026-03-08T10:00:00Z",
        "kind": "epidural_blood_patch",
        "approach": "blind",
        "levels": ["L3/L4"],
        "volume_ml": 20,
    }
    return {**body, **overrides}


@pytest.fixture
def alice(cast, api):
    return api(cast.patient_a.user)


def statuses(section):
    return [item["status"] for item in section]


@pytest.mark.django_db
@travel
def test_bad_items_are_reported_and_good_ones_saved(alice):
    good = [entry(), entry(headache=0)]
    bad = entry(headache=42)
    body = {"entries": [good[0], bad, good[1]], "patches": [patch(levels=["L9/L10"]), patch()]}

    result = alice.post("/api/v1/sync/", body, format="json").json()

    assert statuses(result["entries"]) == ["created", "error", "created"]
    assert result["entries"][1]["id"] == bad["id"]
    assert "headache" in result["entries"][1]["error"]["fields"]
    assert statuses(result["patches"]) == ["error", "created"]
    assert SymptomEntry.objects.count() == 2 and Treatment.objects.count() == 1


@pytest.mark.django_db
@travel
def test_replaying_a_batch_changes_nothing(cast, alice):
    body = {"entries": [entry() for _ in range(3)], "patches": [patch()]}
    alice.post("/api/v1/sync/", body, format="json")
    cast.patient_a.refresh_from_db()
    version = cast.patient_a.diary_version

    replay = alice.post("/api/v1/sync/", body, format="json").json()

    assert statuses(replay["entries"]) == ["unchanged"] * 3
    assert statuses(replay["patches"]) == ["unchanged"]
    assert SymptomEntry.objects.count() == 3
    cast.patient_a.refresh_from_db()
    assert cast.patient_a.diary_version == version


@pytest.mark.django_db
@travel
def test_an_exact_replay_answers_what_the_full_path_would(cast, alice):
    gone = EntryFactory(patient=cast.patient_a)
    body = {
        "entries": [entry(), entry(id=str(uuid.uuid4()).upper())],
        "patches": [patch()],
        "deleted": [{"type": "entry", "id": str(gone.uuid)}],
    }
    first = alice.post("/api/v1/sync/", body, format="json").json()

    replay = alice.post("/api/v1/sync/", body, format="json").json()

    for key in ("entries", "patches", "deleted"):
        assert [r["id"] for r in replay[key]] == [r["id"] for r in first[key]]
        assert statuses(replay[key]) == ["unchanged"] * len(body[key])
    assert SymptomEntry.objects.count() == 3


def without_id(item):
    return {key: value for key, value in item.items() if key != "id"}


@pytest.mark.django_db
@travel
@pytest.mark.parametrize(
    ("body", "replayed"),
    [
        ({"entries": [entry(), entry(headache=42)]}, ["unchanged", "error"]),  # refused when sent
        (  # refused when applied, beside an item that was
            {"entries": [entry()], "deleted": [{"type": "entry", "id": str(uuid.uuid4())}]},
            ["unchanged", "error"],
        ),
        ({"entries": [entry(), without_id(entry())]}, ["unchanged", "created"]),
    ],
    ids=["invalid-item", "unknown-deletion", "no-client-id"],
)
def test_a_batch_that_did_not_apply_cleanly_is_judged_again(alice, body, replayed):
    alice.post("/api/v1/sync/", body, format="json")

    replay = alice.post("/api/v1/sync/", body, format="json").json()

    # The same errors again; an item without an id is a new item every time.
    assert [status for key in body for status in statuses(replay[key])] == replayed


@pytest.mark.django_db
@travel
def test_a_batch_that_writes_and_deletes_one_record_is_judged_again(alice):
    item = entry(headache=6)
    alice.post("/api/v1/sync/", {"entries": [item]}, format="json")
    body = {"entries": [{**item, "headache": 3}], "deleted": [{"type": "entry", "id": item["id"]}]}
    first = alice.post("/api/v1/sync/", body, format="json").json()

    replay = alice.post("/api/v1/sync/", body, format="json").json()

    assert (statuses(first["entries"]), statuses(first["deleted"])) == (["updated"], ["deleted"])
    assert replay["entries"][0]["error"]["code"] == "deleted"
    assert statuses(replay["deleted"]) == ["unchanged"]


@pytest.mark.django_db
@travel
def test_a_batch_that_met_a_write_made_after_its_first_read_is_not_kept(cast):
    """Items answered from the read before the lock were not looked at again:
    if the diary changed in between, sending the batch again must not be
    answered from the shortcut."""
    patient = Patient.objects.get(pk=cast.patient_a.pk)  # loaded first, as by the request
    values = dict(EntrySerializer().run_validation(entry()))
    item_uuid = values.pop("uuid")
    record_create(model=SymptomEntry, patient=patient, values=dict(values))  # meanwhile

    sync_apply(
        patient=patient,
        entries=[SyncItem(index=0, uuid=item_uuid, values=values)],
        patches=[],
        deletions=[],
        absent_ids={"entry": frozenset({item_uuid})},
        batch_digest="d" * 64,
    )

    assert SymptomEntry.objects.filter(uuid=item_uuid).exists()
    assert Patient.objects.get(pk=patient.pk).last_batch_digest == ""


@pytest.mark.django_db
@travel
def test_an_exact_replay_after_another_write_takes_the_full_path(alice):
    item = entry(headache=6)
    body = {"entries": [item]}
    alice.post("/api/v1/sync/", body, format="json")
    alice.post("/api/v1/entries/", entry(), format="json")  # the diary moves on

    replay = alice.post("/api/v1/sync/", body, format="json").json()
    alice.patch(f"/api/v1/entries/{item['id']}/", {"headache": 2}, format="json")
    again = alice.post("/api/v1/sync/", body, format="json").json()

    assert statuses(replay["entries"]) == ["unchanged"]
    assert statuses(again["entries"]) == ["updated"]
    assert SymptomEntry.objects.get(uuid=item["id"]).headache == 6


@pytest.mark.django_db
@travel
def test_a_replay_after_an_edit_elsewhere_is_applied_not_waved_through(alice):
    # The replay fast path must not mistake a row edited since the upload for
    # the one the phone sent.
    item = entry(headache=6)
    alice.post("/api/v1/sync/", {"entries": [item]}, format="json")
    alice.patch(f"/api/v1/entries/{item['id']}/", {"headache": 2}, format="json")

    result = alice.post("/api/v1/sync/", {"entries": [item]}, format="json").json()

    assert statuses(result["entries"]) == ["updated"]
    assert SymptomEntry.objects.get(uuid=item["id"]).headache == 6


@pytest.mark.django_db
@travel
def test_a_replay_is_recognised_whatever_path_wrote_the_row(alice):
    item = entry(recorded_at="2026-03-09T08:00:00+01:00")
    alice.post("/api/v1/entries/", item, format="json")
    same_moment_spelled_otherwise = {**item, "recorded_at": "2026-03-09T08:00:00.000+01:00"}

    result = alice.post(
        "/api/v1/sync/",
        {"entries": [item, {**same_moment_spelled_otherwise, "id": item["id"]}]},
        format="json",
    ).json()

    assert statuses(result["entries"]) == ["unchanged", "error"]
    assert SymptomEntry.objects.count() == 1


@pytest.mark.django_db
@travel
def test_a_replayed_batch_still_reports_a_repeated_id(alice):
    item = entry()
    alice.post("/api/v1/sync/", {"entries": [item, item]}, format="json")

    result = alice.post("/api/v1/sync/", {"entries": [item, item]}, format="json").json()

    assert statuses(result["entries"]) == ["unchanged", "error"]


@pytest.mark.django_db
@travel
def test_changed_item_is_updated(alice):
    item = entry(headache=6)
    alice.post("/api/v1/sync/", {"entries": [item]}, format="json")

    result = alice.post("/api/v1/sync/", {"entries": [{**item, "headache": 3}]}, format="json")

    assert statuses(result.json()["entries"]) == ["updated"]
    assert SymptomEntry.objects.get(uuid=item["id"]).headache == 3


@pytest.mark.django_db
@travel
def test_deletions_report_each_outcome(cast, alice):
    live = EntryFactory(patient=cast.patient_a)
    gone = EntryFactory(patient=cast.patient_a, deleted_at=NOW)
    treatment = TreatmentFactory(patient=cast.patient_a)
    someone_elses = EntryFactory(patient=cast.patient_b)
    deleted = [
        {"type": "entry", "id": str(live.uuid)},
        {"type": "entry", "id": str(gone.uuid)},
        {"type": "patch", "id": str(treatment.uuid)},
        {"type": "entry", "id": str(someone_elses.uuid)},
        {"type": "ghost", "id": str(uuid.uuid4())},
    ]

    result = alice.post("/api/v1/sync/", {"deleted": deleted}, format="json").json()["deleted"]

    assert statuses(result) == ["deleted", "unchanged", "deleted", "error", "error"]
    assert result[3]["error"]["code"] == "not_found"
    someone_elses.refresh_from_db()
    assert someone_elses.deleted_at is None


@pytest.mark.django_db
@travel
def test_a_deleted_record_is_not_brought_back_by_a_stale_upsert(cast, alice):
    item = entry()
    alice.post("/api/v1/sync/", {"entries": [item]}, format="json")
    alice.post("/api/v1/sync/", {"deleted": [{"type": "entry", "id": item["id"]}]}, format="json")

    result = alice.post("/api/v1/sync/", {"entries": [item]}, format="json").json()

    assert result["entries"][0]["error"]["code"] == "deleted"
    assert SymptomEntry.objects.get(uuid=item["id"]).deleted_at is not None


@pytest.mark.django_db
@travel
def test_the_same_id_twice_in_a_batch_is_refused_once(alice):
    item = entry()
    result = alice.post("/api/v1/sync/", {"entries": [item, item]}, format="json").json()

    assert statuses(result["entries"]) == ["created", "error"]
    assert SymptomEntry.objects.count() == 1


@pytest.mark.django_db
@travel
def test_items_without_an_id_get_one_from_the_server(alice):
    item = entry()
    del item["id"]
    result = alice.post("/api/v1/sync/", {"entries": [item]}, format="json").json()

    assert result["entries"][0]["status"] == "created"
    assert SymptomEntry.objects.filter(uuid=result["entries"][0]["id"]).exists()


@pytest.mark.django_db
@travel
def test_more_than_500_items_are_refused_whole(alice):
    body = {"entries": [entry() for _ in range(400)], "patches": [patch() for _ in range(101)]}
    response = alice.post("/api/v1/sync/", body, format="json")

    assert response.status_code == 400
    assert "500" in response.json()["error"]["message"]
    assert SymptomEntry.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [[], {"entries": "nope"}, {"entries": [1, 2]}, {"deleted": [{"type": "entry"}]}],
    ids=["a list", "entries not a list", "entries not objects", "deletion without id"],
)
def test_malformed_batches_are_a_clear_400_not_a_500(alice, body):
    response = alice.post("/api/v1/sync/", body, format="json")
    if response.status_code == 200:  # item-level problems are reported per item
        section = next(key for key in ("entries", "deleted") if key in body)
        assert set(statuses(response.json()[section])) == {"error"}
    else:
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid"


# --- Reading changes -----------------------------------------------------------


@pytest.mark.django_db
@travel
def test_first_sync_returns_everything_and_a_cursor(cast, alice):
    alice.post(
        "/api/v1/sync/", {"entries": [entry(), entry()], "patches": [patch()]}, format="json"
    )

    changes = alice.get("/api/v1/sync/").json()

    assert (len(changes["entries"]), len(changes["patches"]), changes["deleted"]) == (2, 1, [])
    assert changes["has_more"] is False
    again = alice.get("/api/v1/sync/", {"cursor": changes["cursor"]}).json()
    assert (again["entries"], again["patches"], again["deleted"]) == ([], [], [])
    assert again["cursor"] == changes["cursor"]


@pytest.mark.django_db
@travel
def test_cursor_brings_edits_and_deletes_as_tombstones(cast, alice):
    first, second = entry(), entry()
    alice.post("/api/v1/sync/", {"entries": [first, second]}, format="json")
    cursor = alice.get("/api/v1/sync/").json()["cursor"]

    alice.patch(f"/api/v1/entries/{first['id']}/", {"headache": 1}, format="json")
    alice.delete(f"/api/v1/entries/{second['id']}/")
    changes = alice.get("/api/v1/sync/", {"cursor": cursor}).json()

    assert [(e["id"], e["headache"]) for e in changes["entries"]] == [(first["id"], 1)]
    assert [(d["type"], d["id"]) for d in changes["deleted"]] == [("entry", second["id"])]


@pytest.mark.django_db
def test_sync_never_shows_another_patients_diary(cast, api):
    EntryFactory(patient=cast.patient_a)
    assert api(cast.patient_b.user).get("/api/v1/sync/").json()["entries"] == []


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", ["garbage", "eyJ2IjogMn0", "!!!"])
def test_an_invalid_cursor_is_a_400(alice, cursor):
    response = alice.get("/api/v1/sync/", {"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


@pytest.mark.django_db
def test_changes_come_in_pages_without_gaps(cast):
    entries = EntryFactory.create_batch(5, patient=cast.patient_a, version=1)
    seen, position = [], SyncPosition()
    while True:
        page = sync_changes(patient=cast.patient_a, position=position, limit=2)
        seen += [e.pk for e in page.entries]
        position = page.position
        if not page.has_more:
            break
    assert sorted(seen) == sorted(e.pk for e in entries)


@pytest.mark.django_db(transaction=True)
def test_a_write_committing_late_is_not_skipped_by_the_cursor(cast, postgres_only):
    """The trap of timestamp cursors: a transaction that started first but
    commits last. Here the slow writer holds the diary lock, so the fast one
    waits, and a reader in between neither sees nor skips either change."""
    slow_has_written, release_slow = threading.Event(), threading.Event()
    patient = cast.patient_a
    values = {"recorded_at": NOW, "posture": "standing", "headache": 5}

    def slow_writer():
        try:
            with transaction.atomic():
                record_create(model=SymptomEntry, patient=patient, values=values)
                slow_has_written.set()
                release_slow.wait(10)
        finally:
            connections.close_all()

    def fast_writer():
        try:
            record_create(model=SymptomEntry, patient=patient, values=values)
        finally:
            connections.close_all()

    slow = threading.Thread(target=slow_writer)
    slow.start()
    assert slow_has_written.wait(10)
    fast = threading.Thread(target=fast_writer)
    fast.start()
    fast.join(timeout=1)  # it must be waiting for the diary lock

    between = sync_changes(patient=patient, position=SyncPosition())
    release_slow.set()
    slow.join(10)
    fast.join(10)
    after = sync_changes(patient=patient, position=between.position)

    assert between.entries == []
    assert len(after.entries) == 2
    assert connection.vendor == "postgresql"


@pytest.mark.django_db
@travel
@pytest.mark.parametrize("written_meanwhile", [False, True])
def test_ids_read_before_the_lock_are_checked_again_if_the_diary_changed(cast, written_meanwhile):
    """A fresh upload takes the diary lock without looking its ids up again;
    that is only right if nothing was written since they were read, as when
    a phone's retry races its first attempt."""
    patient = Patient.objects.get(pk=cast.patient_a.pk)  # loaded first, as by the request
    raw = entry()
    recognised = sync_replayed(
        patient=patient, record_type="entry", raw_items=[raw], digests=[item_digest(raw)]
    )
    values = dict(EntrySerializer().run_validation(raw))
    item_uuid = values.pop("uuid")
    if written_meanwhile:
        record_create(model=SymptomEntry, patient=patient, values=values, record_uuid=item_uuid)

    outcome = sync_apply(
        patient=patient,
        entries=[SyncItem(index=0, uuid=item_uuid, values=values)],
        patches=[],
        deletions=[],
        absent_ids={"entry": recognised.absent},
    )

    assert recognised.absent == {item_uuid}
    assert outcome.entries == {0: "unchanged" if written_meanwhile else "created"}
    assert SymptomEntry.objects.filter(uuid=item_uuid).count() == 1


@pytest.mark.django_db
@travel
def test_an_entry_and_a_patch_may_share_an_id(alice):
    shared = str(uuid.uuid4())
    alice.post("/api/v1/sync/", {"patches": [patch(id=shared)]}, format="json")

    result = alice.post(
        "/api/v1/sync/",
        {"entries": [entry(id=shared)], "patches": [patch(id=shared, volume_ml=15)]},
        format="json",
    )

    assert result.status_code == 200
    assert statuses(result.json()["entries"]) == ["created"]
    assert statuses(result.json()["patches"]) == ["updated"]


@pytest.mark.django_db
@travel
def test_an_item_the_database_could_not_hold_does_not_lose_the_batch(alice):
    body = {
        "entries": [
            entry(),
            entry(minutes_in_posture=10**10),
            entry(recorded_at="2026-03-09T08:00:00+20:00"),
        ]
    }
    result = alice.post("/api/v1/sync/", body, format="json").json()
    assert statuses(result["entries"]) == ["created", "error", "error"]
    assert SymptomEntry.objects.count() == 1


@pytest.mark.django_db
@travel
def test_an_item_that_is_not_an_object_is_reported_alone(alice):
    good = entry()
    result = alice.post("/api/v1/sync/", {"entries": [good, [1, 2], "x"]}, format="json").json()

    assert statuses(result["entries"]) == ["created", "error", "error"]
    assert SymptomEntry.objects.filter(uuid=good["id"]).exists()


@pytest.mark.django_db
@travel
def test_a_time_before_1900_is_an_item_error_not_a_lost_batch(alice):
    good = entry()
    ancient = entry(recorded_at="0001-01-01T00:30:00+01:00")

    result = alice.post("/api/v1/sync/", {"entries": [good, ancient]}, format="json").json()

    assert statuses(result["entries"]) == ["created", "error"]
    assert "recorded_at" in result["entries"][1]["error"]["fields"]
    assert SymptomEntry.objects.filter(uuid=good["id"]).exists()
