"""A real Celery worker's PostgreSQL connection (issue 18): kept across jobs
instead of a new session per job, yet replaced when it is broken or older than
CONN_MAX_AGE (config/celery.py).

The worker runs as a process against this test database and a redis-server of
the test's own; its backends are read from pg_stat_activity.
"""

import time

import pytest
from django.db import connection

from config.celery import app
from tests.resilience.servers import wait_for
from tests.resilience.test_worker_failures import (  # noqa: F401 - fixtures
    own_redis,
    processes,
    terminate_backends,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# A job that reads and writes the database and is safe to run any number of times.
JOB = "accounts.tasks.purge_expired_tokens"


def worker_backends() -> list[tuple[int, object]]:
    """(pid, backend_start) of every other client session on this test database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_start FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend' ORDER BY pid"
        )
        return cursor.fetchall()


def run_jobs(worker, n: int) -> None:
    """Queue n jobs one after the other, each waited for until it succeeded."""
    done = worker.log().count("succeeded in")
    for _ in range(n):
        app.send_task(JOB)
        done += 1
        assert wait_for(lambda done=done: worker.log().count("succeeded in") >= done), worker.log()


def test_a_worker_keeps_its_connection_across_jobs(processes):  # noqa: F811
    worker = processes("worker", "worker", CONN_MAX_AGE="60")
    run_jobs(worker, 1)
    kept = worker_backends()
    assert len(kept) == 1, kept  # the pool process's session, still open after its job

    run_jobs(worker, 10)

    assert worker_backends() == kept  # the same backend (pid and start): no new session


def test_a_connection_broken_between_jobs_is_replaced_before_the_next_job(processes):  # noqa: F811
    """A terminated backend (as after a PostgreSQL restart) is found by the health
    check before the next job's first query: a new session, no failed job."""
    worker = processes("worker", "worker", CONN_MAX_AGE="60")
    run_jobs(worker, 1)
    [(pid, _)] = worker_backends()
    assert terminate_backends(pid=pid) == 1

    run_jobs(worker, 2)

    [(new_pid, _)] = worker_backends()
    assert new_pid != pid
    assert "OperationalError" not in worker.log()
    assert "Retry in" not in worker.log()


def test_a_connection_older_than_conn_max_age_is_replaced(processes):  # noqa: F811
    worker = processes("worker", "worker", CONN_MAX_AGE="1")
    run_jobs(worker, 1)
    [(pid, _)] = worker_backends()
    time.sleep(1.5)

    run_jobs(worker, 1)

    [(new_pid, _)] = worker_backends()
    assert new_pid != pid
