"""Celery tasks: thin, safe to run twice, each a call into a service.

Exactly-once comes from the database (unique rows, conditional UPDATE claims),
so every task may run with acks_late and reject_on_worker_lost.
"""

from celery import shared_task
from django.utils import timezone

from config.celery import IDEMPOTENT_DB_TASK
from notifications.services.alerts import (
    flag_fan_out,
    flags_due_for_escalation,
    flags_missing_fan_out,
)
from notifications.services.deliveries import (
    deliveries_due,
    deliveries_release_stale,
    delivery_send,
    digest_recipients_due,
    digest_send,
)
from notifications.services.reminders import checkins_schedule, reminder_send, reminders_due

SAFE = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**IDEMPOTENT_DB_TASK)
def notify_flag(flag_id: str, reason: str = "raised") -> int:
    """Plan a flag's inbox items and deliveries (queued once the flag commits)."""
    return flag_fan_out(flag_id=flag_id, reason=reason)


@shared_task(**IDEMPOTENT_DB_TASK)
def send_delivery(delivery_id: str) -> str | None:
    """Send one delivery. A transient failure leaves it pending with a later
    `due_at`, and the minute-ly sweep sends it then: no countdown message sits
    in the broker (with Redis, one held past the visibility timeout would be
    handed out again and again)."""
    outcome = delivery_send(delivery_id=delivery_id)
    return outcome.status if outcome else None  # None: sent, failed or held already


@shared_task(**SAFE)
def sweep_notifications() -> dict:
    """The periodic backstop: lost fan-outs, escalations, due retries and digests."""
    now = timezone.now()
    released = deliveries_release_stale(now=now)
    missing = flags_missing_fan_out(now=now)
    for flag_id in missing:
        notify_flag.delay(flag_id, "raised")
    escalated = flags_due_for_escalation(now=now)
    for flag_id in escalated:
        notify_flag.delay(flag_id, "escalated")
    due = deliveries_due(now=now)
    for delivery_id in due:
        send_delivery.delay(delivery_id)
    digests = digest_recipients_due(now=now)
    for recipient_id in digests:
        send_digest.delay(recipient_id)
    return {
        "released": released,
        "fanned_out": len(missing),
        "escalated": len(escalated),
        "due": len(due),
        "digests": len(digests),
    }


@shared_task(**IDEMPOTENT_DB_TASK)
def send_digest(recipient_id: int) -> str | None:
    outcome = digest_send(recipient_id=recipient_id)
    return outcome.status if outcome else None


@shared_task(**SAFE)
def send_due_reminders() -> int:
    """Plan check-ins of new treatments, then claim and send every due reminder."""
    now = timezone.now()
    checkins_schedule(now=now)
    return sum(
        reminder_send(reminder_id=reminder_id, now=now) is not None
        for reminder_id in reminders_due(now=now)
    )
