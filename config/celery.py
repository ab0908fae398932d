"""The Celery app. Workers: `celery -A config worker`; beat: `celery -A config beat`."""

import logging
import os

from celery import Celery
from celery.signals import beat_init, task_postrun, task_prerun, worker_init, worker_process_init
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("csf_diary")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The options of every task that touches the database. acks_late with
# reject_on_worker_lost redelivers a job whose worker died, which is only safe
# because each task is idempotent. Only transient database errors are retried:
# a constraint violation would fail the same way eight times.
IDEMPOTENT_DB_TASK = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 120,  # below the visibility timeout (settings)
    "retry_jitter": True,
    "max_retries": 8,
}

# Run at once when beat starts, not one interval later: the outbox's
# re-dispatch, the notifications sweep, the due checkpoints and the relapse
# sweep (daily: its first run would come a day after a deploy; it also fills
# the checkpoints of treatments judged before they were stored).
BEAT_START_TASKS = (
    "diary.tasks.redispatch_evaluations",
    "notifications.tasks.sweep_notifications",
    "diary.tasks.judge_due_checkpoints",
    "diary.tasks.sweep_relapses",
)


@beat_init.connect
def _run_at_beat_start(sender=None, **kwargs) -> None:
    for name in BEAT_START_TASKS:
        try:
            app.send_task(name)
        except Exception:  # the broker is back soon; the schedule runs them anyway
            logging.getLogger(__name__).exception("Could not queue %s at beat start", name)


# --- The worker's database connections ---------------------------------------------
# Celery's Django fixup closes every connection before and after each task
# unless CELERY_DB_REUSE_MAX is set (settings: it then closes them only every
# that many tasks), so each job paid a new PostgreSQL session. We reuse them the
# way Django does around a request: before and after each task, a connection
# that had an error and no longer answers, or that is older than CONN_MAX_AGE,
# is closed; the next query opens a fresh one.


def _is_eager(task) -> bool:
    # An eager task runs inside its caller (a web request, a test): its
    # connection and transaction are the caller's, never ours to close.
    return getattr(getattr(task, "request", None), "is_eager", False)


@task_prerun.connect
def _connections_before_task(sender=None, **kwargs) -> None:
    if not _is_eager(sender):
        close_old_connections()


@task_postrun.connect
def _connections_after_task(sender=None, **kwargs) -> None:
    if not _is_eager(sender):
        close_old_connections()


@worker_init.connect
@worker_process_init.connect
def _health_checks_in_the_worker(**kwargs) -> None:
    """A worker's connection idles between jobs, where a PostgreSQL restart or a
    terminated backend breaks it unseen: check it (one `SELECT 1`) before the
    first query of each task, and reconnect, rather than fail that task. (The
    web keeps Django's default: a request on a dead connection answers 503 and
    the next one connects afresh; a check would cost every request a round trip.)"""
    for alias in settings.DATABASES:
        settings.DATABASES[alias]["CONN_HEALTH_CHECKS"] = True
        connections[alias].settings_dict["CONN_HEALTH_CHECKS"] = True
