"""Real parts broken on purpose (issue 15): a worker killed with SIGKILL
mid-evaluation, a Redis restart that loses the queue, PostgreSQL connections
terminated. Each ends with every proved flag raised once and every clinician
of the care team told once.

Worker and beat run as processes against this test database and a
redis-server of the test's own (never the shared one).
"""

import threading
import time

import psycopg
import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from config.celery import app
from diary.models import Flag, Patient
from notifications.models import Delivery, DeliveryStatus, InboxItem
from tests.diary.test_worker import relapse_story, reset_producer_pools, waiting_on_a_lock
from tests.factories import ClinicianFactory, EntryFactory, TreatmentFactory
from tests.resilience.servers import CeleryProcess, RedisServer, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Processes of these tests hand out a waiting judgement after 1 s, not 60.
FAST_OUTBOX = {"OUTBOX_REDISPATCH_SECONDS": "1", "OUTBOX_DISPATCH_SECONDS": "2"}


@pytest.fixture
def own_redis(postgres_only, tmp_path):
    server = RedisServer(tmp_path).start()
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager, app.conf.broker_url = False, server.url
    reset_producer_pools()
    yield server
    app.conf.task_always_eager, app.conf.broker_url = saved
    reset_producer_pools()
    server.stop()


@pytest.fixture
def processes(own_redis, tmp_path):
    started = []

    def start(kind, name, **env):
        process = CeleryProcess(kind, own_redis.url, tmp_path / f"{name}.log", **env)
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def teams(cast):
    """Two clinicians with email on each patient's care team."""
    second = ClinicianFactory(username="dr_two", clinic=cast.clinic, email="two@example.org")
    cast.clinician_on.email = "on@example.org"
    cast.clinician_on.save(update_fields=["email"])
    for patient in (cast.patient_a, cast.patient_b):
        patient.care_team.add(cast.clinician_on, second)
    return [cast.clinician_on, second]


def write_relapse(patient, now):
    """A proved relapse in the diary, with the judgement asked for as a write would."""
    entries, patch = relapse_story(now)
    TreatmentFactory(patient=patient, uuid=patch["id"], performed_at=patch["performed_at"])
    for entry in entries:
        EntryFactory(patient=patient, recorded_at=entry["recorded_at"], headache=entry["headache"])
    Patient.objects.filter(pk=patient.pk).update(evaluation_requested_at=timezone.now())


def assert_each_flag_raised_and_told_once(patients, team, log):
    def all_told():
        return Delivery.objects.filter(status=DeliveryStatus.SENT).count() == len(patients) * len(
            team
        )

    assert wait_for(all_told, timeout=90), log()
    time.sleep(3)  # a duplicate would have landed by now
    for patient in patients:
        [flag] = Flag.objects.filter(patient=patient)
        assert flag.kind == "relapse"
        told = sorted(InboxItem.objects.filter(flag=flag).values_list("recipient", flat=True))
        assert told == sorted(u.pk for u in team)
        sent = Delivery.objects.filter(flag=flag, status=DeliveryStatus.SENT)
        assert sorted(sent.values_list("recipient", flat=True)) == sorted(u.pk for u in team)
    assert Delivery.objects.count() == len(patients) * len(team)


def test_a_worker_killed_mid_evaluation_whose_message_stays_unacked(
    cast, teams, processes, own_redis
):
    """The message sits unacked for an hour (visibility timeout): the outbox's
    re-dispatch at beat start brings the flag anyway."""
    from diary.tasks import evaluate_pending

    patient = cast.patient_a
    write_relapse(patient, timezone.now())
    locked, release = threading.Event(), threading.Event()

    def hold_lock():  # the evaluation stops half-way, inside its transaction
        try:
            with transaction.atomic():
                Patient.objects.select_for_update().get(pk=patient.pk)
                locked.set()
                release.wait(60)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        first = processes("worker", "first", CELERY_VISIBILITY_TIMEOUT="3600")
        evaluate_pending.delay(str(patient.pk))
        blocked = wait_for(lambda: waiting_on_a_lock() > 0)
        first.kill()
    finally:
        release.set()
        holder.join(10)
    assert blocked, first.log()
    assert not Flag.objects.exists()
    assert Patient.objects.get(pk=patient.pk).evaluation_requested_at is not None

    second = processes("worker", "second", CELERY_VISIBILITY_TIMEOUT="3600", **FAST_OUTBOX)
    processes("beat", "beat", **FAST_OUTBOX)
    assert_each_flag_raised_and_told_once([patient], teams, second.log)


def test_a_redis_restart_losing_the_queue_still_raises_every_flag(
    cast, teams, processes, own_redis
):
    from diary.tasks import evaluate_pending

    patients = [cast.patient_a, cast.patient_b]
    for patient in patients:
        write_relapse(patient, timezone.now())
        evaluate_pending.delay(str(patient.pk))  # queued while no worker runs
    assert own_redis.answers()

    own_redis.stop()
    own_redis.start()  # empty: the queued judgements are gone

    worker = processes("worker", "worker", **FAST_OUTBOX)
    processes("beat", "beat", **FAST_OUTBOX)
    assert_each_flag_raised_and_told_once(patients, teams, worker.log)


def test_postgres_connections_terminated_mid_evaluation(cast, teams, processes):
    """The worker's backend is terminated while it judges: the task's database
    error is retried, and the flag comes once."""
    from diary.tasks import evaluate_pending

    patient = cast.patient_a
    write_relapse(patient, timezone.now())
    worker = processes("worker", "worker", **FAST_OUTBOX)
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
    try:
        assert locked.wait(10)
        evaluate_pending.delay(str(patient.pk))
        assert wait_for(lambda: waiting_on_a_lock() > 0), worker.log()
        assert terminate_backends(waiting_only=True) >= 1
    finally:
        release.set()
        holder.join(10)

    assert_each_flag_raised_and_told_once([patient], teams, worker.log)
    assert "OperationalError" in worker.log() or "terminating connection" in worker.log()


def test_a_terminated_web_connection_answers_503_then_works(cast, api):
    client = api(cast.patient_a.user)
    assert client.get("/api/v1/entries/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [own_pid] = cursor.fetchone()
    terminate_backends(pid=own_pid)

    refused = client.get("/api/v1/entries/")

    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "unavailable"
    assert int(refused["Retry-After"]) > 0
    connection.close_if_unusable_or_obsolete()  # what the end of a request does
    assert client.get("/api/v1/entries/").status_code == 200


def terminate_backends(*, pid=None, waiting_only=False) -> int:
    """pg_terminate_backend on backends of this test's database only, from a
    connection of its own (never the server, never another database)."""
    db = connection.settings_dict
    query = (
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()"
    )
    params = [db["NAME"]]
    if pid is not None:
        query += " AND pid = %s"
        params.append(pid)
    if waiting_only:
        query += " AND wait_event_type = 'Lock'"
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"], autocommit=True
    ) as own:
        return own.execute(query, params).fetchone()[0]
