"""With a real Celery worker process, the real Redis and PostgreSQL.

- A diary written through the API raises its flag with no sweep called.
- A worker killed (-9) in the middle of an evaluation loses nothing and
  duplicates nothing: the message comes back (acks_late) and one flag results.
- A no-response checkpoint that came due is claimed by beat's job and judged
  by the worker, with no diary write and no sweep.
"""

import datetime as dt
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.db import connection, connections, transaction
from django.utils import timezone
from kombu import pools

from config.celery import app
from diary.models import Flag, Patient
from tests.conftest import services_required
from tests.factories import EntryFactory, TreatmentFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[2]
# This checkout's broker keys: another checkout's run on the same Redis
# database never sees (or deletes) them.
KEY_PREFIX = f"test-{hashlib.sha256(str(REPO).encode()).hexdigest()[:10]}:"
VISIBILITY_TIMEOUT = 2  # seconds before a dead worker's message is handed out again


def wait_for(predicate, timeout=30.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


@pytest.fixture
def broker(postgres_only):
    url = os.environ.get("TEST_REDIS_URL")
    try:
        client = redis.Redis.from_url(url) if url else None
        if client is not None:
            client.ping()
    except redis.RedisError:
        client = None
    if client is None:
        if services_required():
            pytest.fail("REQUIRE_SERVICES is set but Redis (TEST_REDIS_URL) does not answer")
        pytest.skip("needs Redis: set TEST_REDIS_URL")
    forget_keys(client)
    # A queue of this run's own: no stray worker of another run can take its messages.
    queue = f"test-{uuid.uuid4().hex[:8]}"
    conf = app.conf
    saved = (
        conf.task_always_eager,
        conf.broker_url,
        conf.task_default_queue,
        conf.broker_transport_options,
    )
    conf.task_always_eager, conf.broker_url, conf.task_default_queue = False, url, queue
    conf.broker_transport_options = {**saved[3], "global_keyprefix": KEY_PREFIX}
    reset_producer_pools()
    yield Broker(url=url, queue=queue)
    (
        conf.task_always_eager,
        conf.broker_url,
        conf.task_default_queue,
        conf.broker_transport_options,
    ) = saved
    reset_producer_pools()
    forget_keys(client)


def forget_keys(client):
    """This checkout's broker keys only (never FLUSHDB: the database is shared)."""
    for key in client.scan_iter(match=f"{KEY_PREFIX}*"):
        client.delete(key)


@dataclass(frozen=True)
class Broker:
    url: str
    queue: str


def reset_producer_pools():
    """Send through the broker configured now, not a pool made for an earlier one."""
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


class Worker:
    def __init__(self, broker: Broker, log_path):
        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "CELERY_BROKER_URL": broker.url,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "CELERY_KEY_PREFIX": KEY_PREFIX,
        }
        self.queue = broker.queue
        self.log_path = log_path
        self.process = None

    def start(self):
        log = open(self.log_path, "a")  # noqa: SIM115 - the worker owns it while it runs
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency", "1",
             "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--loglevel", "INFO", "-Q", self.queue, "-n", f"{self.queue}@%h"],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        assert wait_for(lambda: "ready." in self.log(), timeout=60), self.log()

    def log(self) -> str:
        return Path(self.log_path).read_text()

    def kill(self):
        """kill -9, the whole process group: no chance to hand the message back."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def worker(broker, tmp_path):
    worker = Worker(broker, tmp_path / "worker.log")
    worker.start()
    yield worker
    worker.stop()


def relapse_story(now):
    """Upright 8 before a patch, 2 for a day and a half after, then 8 again."""
    patch_at = now - dt.timedelta(days=5)
    half_days = [-k for k in range(14, 0, -1)] + [1, 2, 3, 4, 5]
    scores = [8] * 14 + [2, 2, 2, 8, 8]
    entries = [
        {
            "id": str(uuid.uuid4()),
            "recorded_at": (patch_at + dt.timedelta(hours=12 * k)).isoformat(),
            "posture": "standing",
            "headache": score,
        }
        for k, score in zip(half_days, scores, strict=True)
    ]
    patch = {
        "id": str(uuid.uuid4()),
        "performed_at": patch_at.isoformat(),
        "kind": "epidural_blood_patch",
        "approach": "blind",
        "levels": ["L3/L4"],
        "volume_ml": 20,
    }
    return entries, patch


def test_entries_posted_through_the_api_raise_a_flag_without_a_sweep(cast, api, worker):
    entries, patch = relapse_story(timezone.now())
    client = api(cast.patient_a.user)

    response = client.post("/api/v1/sync/", {"entries": entries, "patches": [patch]}, format="json")

    assert response.status_code == 200
    assert wait_for(lambda: Flag.objects.filter(patient=cast.patient_a).exists()), worker.log()
    flag = Flag.objects.get(patient=cast.patient_a)
    assert (flag.kind, str(flag.treatment.uuid)) == ("relapse", patch["id"])
    assert Patient.objects.get(pk=cast.patient_a.pk).evaluation_requested_at is None


def test_a_worker_killed_mid_evaluation_loses_and_duplicates_nothing(cast, broker, tmp_path):
    from diary.tasks import evaluate_patient

    patient = cast.patient_a
    entries, patch = relapse_story(timezone.now())
    TreatmentFactory(patient=patient, uuid=patch["id"], performed_at=patch["performed_at"])
    for entry in entries:
        EntryFactory(patient=patient, recorded_at=entry["recorded_at"], headache=entry["headache"])

    # Hold the patient's row lock so the evaluation stops half-way, inside its transaction.
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        try:
            with transaction.atomic():
                Patient.objects.select_for_update().get(pk=patient.pk)
                locked.set()
                release.wait(60)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    first = Worker(broker, tmp_path / "first.log")
    try:
        assert locked.wait(10)
        first.start()
        evaluate_patient.delay(str(patient.pk))
        blocked = wait_for(lambda: waiting_on_a_lock() > 0)
        first.kill()
    finally:
        release.set()
        holder.join(10)
        first.stop()
    assert blocked, first.log()
    assert not Flag.objects.filter(patient=patient).exists()

    time.sleep(VISIBILITY_TIMEOUT + 1)  # the message becomes visible again
    second = Worker(broker, tmp_path / "second.log")
    second.start()
    try:
        assert wait_for(lambda: Flag.objects.filter(patient=patient).exists()), second.log()
        time.sleep(2)  # a duplicate delivery would have landed by now
        assert Flag.objects.filter(patient=patient).count() == 1
    finally:
        second.stop()


def waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_a_due_checkpoint_is_claimed_and_judged_by_the_worker(cast, worker):
    from diary.models import TreatmentFollowUp
    from diary.services.evaluation import patient_evaluate
    from diary.tasks import judge_due_checkpoints

    patient = cast.patient_a
    patch_at = timezone.now() - dt.timedelta(hours=73)  # its 72 h checkpoint passed an hour ago
    TreatmentFactory(patient=patient, performed_at=patch_at)
    for k in range(-14, 6):  # 8/10 upright every 12 h, before the patch and after it
        at = patch_at + dt.timedelta(hours=12 * k + 1)
        EntryFactory(patient=patient, recorded_at=at, headache=8)
    # Judged (a diary write) before the checkpoint: nothing yet, the checkpoint stored.
    patient_evaluate(patient_id=patient.pk, now=patch_at + dt.timedelta(hours=60))
    assert not Flag.objects.exists()

    assert judge_due_checkpoints() == 1  # beat's job: claims here, the worker judges

    assert wait_for(lambda: Flag.objects.filter(patient=patient).exists()), worker.log()
    assert Flag.objects.get(patient=patient).kind == "no_response"
    assert TreatmentFollowUp.objects.get(patient=patient).next_checkpoint_at is None
