"""The Celery app. Workers: `celery -A config worker`; beat: `celery -A config beat`."""

import os

from celery import Celery
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
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}
