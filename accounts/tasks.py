"""Celery tasks of the accounts app: thin and safe to run twice."""

from celery import shared_task
from django.utils import timezone

from accounts.tokens import tokens_purge_expired
from config.celery import IDEMPOTENT_DB_TASK


@shared_task(**IDEMPOTENT_DB_TASK)
def purge_expired_tokens() -> int:
    """Daily: every refresh creates a row; rows past the refresh lifetime go."""
    return tokens_purge_expired(now=timezone.now())
