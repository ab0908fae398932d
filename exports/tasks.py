"""Celery tasks for exports: thin and safe to run twice (see exports.services)."""

from celery import shared_task

from config.celery import IDEMPOTENT_DB_TASK
from exports.services import export_build, exports_expire


@shared_task(**IDEMPOTENT_DB_TASK)
def build_export(job_id: str) -> str | None:
    """Build one export; a second delivery finds the job claimed or done and does nothing."""
    job = export_build(job_id=job_id)
    return job.status if job else None


@shared_task(**IDEMPOTENT_DB_TASK)
def expire_exports() -> int:
    """The periodic clean-up: delete files past their time to live."""
    return exports_expire()
