"""Celery tasks of the audit app: thin and safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from audit.partitions import partitions_ensure
from config.celery import IDEMPOTENT_DB_TASK


@shared_task(**IDEMPOTENT_DB_TASK)
def ensure_audit_partitions() -> list[str]:
    """Daily: this month's partition of the trail and the next months' exist."""
    return partitions_ensure(now=timezone.now(), ahead=settings.AUDIT_PARTITIONS_AHEAD)
