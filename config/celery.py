"""The Celery app. Workers: `celery -A config worker`; beat: `celery -A config beat`."""

import logging
import os

from celery import Celery
from celery.signals import beat_init
from django.db import InterfaceError, OperationalError

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
