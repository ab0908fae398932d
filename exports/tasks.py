"""Celery tasks for exports: thin and safe to run twice (see exports.services)."""

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError

from exports.services import export_build, exports_expire

RETRY = {
    "autoretry_for": (OperationalError, InterfaceError, DatabaseError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


@shared_task(**RETRY)
def build_export(job_id: str) -> str | None:
    """Build one export; a second delivery finds the job claimed or done and does nothing."""
    job = export_build(job_id=job_id)
    return job.status if job else None


@shared_task(**RETRY)
def expire_exports() -> int:
    """The periodic clean-up: delete files past their time to live."""
    return exports_expire()
