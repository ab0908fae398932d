"""Plan who is told about a flag, on which channels, exactly once.

Planning writes rows (inbox items, pending deliveries) under unique
constraints, so a fan-out run twice, or two racing, plans the same set once.
Sending happens later, per delivery, in `deliveries`.
"""

import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import Role, User
from config.broker import enqueue
from diary.models import Flag, FlagKind, FlagStatus
from notifications.models import (
    Channel,
    ClinicWebhook,
    Delivery,
    DeliveryStatus,
    EmailMode,
    FanOut,
    InboxItem,
    NotificationPreference,
    Reason,
)
from notifications.schedule import next_local_time

logger = logging.getLogger(__name__)

# The flag row is the outbox: a raised flag without its RAISED fan-out is
# handed out again by the minute-ly sweep once it is OUTBOX_REDISPATCH_AFTER
# old (before that the signal's job is given its chance); flags older than
# the look-back are not dug up.
SAFETY_NET_LOOKBACK = dt.timedelta(days=7)


def flag_raised_received(*, flag_id, **kwargs) -> None:
    """diary's `flag_raised` (sent once the flag has committed): fan it out now."""
    from notifications.tasks import notify_flag  # tasks import services, not the reverse

    enqueue(notify_flag, str(flag_id), Reason.RAISED.value)


def _recipients(flag: Flag, reason: str) -> list[User]:
    team = flag.patient.care_team.filter(role=Role.CLINICIAN, is_active=True)
    if reason == Reason.RAISED:
        return list(team)
    coordinators = User.objects.filter(
        role=Role.COORDINATOR, clinic_id=flag.patient.clinic_id, is_active=True
    )
    return list((team | coordinators).distinct())


def _email_delivery(flag, user, reason, preference, now) -> Delivery | None:
    if preference is not None and not preference.email_enabled:
        return None
    # Escalations are urgent: they never wait for the digest.
    digest = (
        preference is not None
        and preference.email_mode == EmailMode.DIGEST
        and reason == Reason.RAISED
    )
    delivery = Delivery(
        flag=flag,
        channel=Channel.EMAIL,
        reason=reason,
        recipient=user,
        digest=digest,
        due_at=next_local_time(now, preference.digest_time, user.timezone) if digest else now,
    )
    if not user.email:
        delivery.status, delivery.last_error = DeliveryStatus.SKIPPED, "no email address"
    return delivery


@transaction.atomic
def flag_fan_out(*, flag_id, reason: str = Reason.RAISED, now: dt.datetime | None = None) -> int:
    """Plan every message of a flag for one reason; returns how many are new.

    Deliveries due now are handed to the send task once this commits.
    """
    now = now or timezone.now()
    flag = Flag.objects.select_related("patient").filter(pk=flag_id).first()
    if flag is None:
        return 0
    FanOut.objects.get_or_create(flag=flag, reason=reason)
    users = _recipients(flag, reason)
    preferences = {
        p.user_id: p for p in NotificationPreference.objects.filter(user__in=[u.pk for u in users])
    }
    InboxItem.objects.bulk_create(
        [InboxItem(recipient=u, flag=flag, reason=reason, created_at=now) for u in users],
        ignore_conflicts=True,
    )
    planned = [
        delivery
        for user in users
        if (delivery := _email_delivery(flag, user, reason, preferences.get(user.pk), now))
    ]
    webhook = ClinicWebhook.objects.filter(clinic_id=flag.patient.clinic_id, is_active=True).first()
    if webhook is not None:
        planned.append(
            Delivery(
                flag=flag,
                channel=Channel.WEBHOOK,
                reason=reason,
                clinic_id=webhook.clinic_id,
                due_at=now,
            )
        )
    before = Delivery.objects.filter(flag=flag, reason=reason).count()
    Delivery.objects.bulk_create(planned, ignore_conflicts=True)
    due = list(
        Delivery.objects.filter(
            flag=flag, reason=reason, status=DeliveryStatus.PENDING, digest=False, due_at__lte=now
        ).values_list("pk", flat=True)
    )
    transaction.on_commit(partial(_enqueue_sends, [str(pk) for pk in due]))
    return Delivery.objects.filter(flag=flag, reason=reason).count() - before


def _enqueue_sends(delivery_ids: list[str]) -> None:
    from notifications.tasks import send_delivery

    for delivery_id in delivery_ids:
        # Still pending in the database if this fails: the periodic sweep sends it.
        enqueue(send_delivery, delivery_id)


def flags_missing_fan_out(*, now: dt.datetime) -> list[str]:
    """Raised flags nobody was told about (say, the broker was down at the time)."""
    return [
        str(pk)
        for pk in Flag.objects.filter(
            detected_at__gte=now - SAFETY_NET_LOOKBACK,
            detected_at__lte=now - settings.OUTBOX_REDISPATCH_AFTER,
        )
        .exclude(Exists(FanOut.objects.filter(flag=OuterRef("pk"), reason=Reason.RAISED)))
        .values_list("pk", flat=True)
    ]


def flags_due_for_escalation(*, now: dt.datetime) -> list[str]:
    """Relapse flags still open and unacknowledged after ESCALATE_AFTER, not yet escalated."""
    return [
        str(pk)
        for pk in Flag.objects.filter(
            kind=FlagKind.RELAPSE,
            status=FlagStatus.OPEN,
            acknowledged_at__isnull=True,
            detected_at__lte=now - settings.ESCALATE_AFTER,
        )
        .exclude(Exists(FanOut.objects.filter(flag=OuterRef("pk"), reason=Reason.ESCALATED)))
        .values_list("pk", flat=True)
    ]


def flag_still_needs_escalation(flag: Flag) -> bool:
    return flag.status == FlagStatus.OPEN and flag.acknowledged_at is None
