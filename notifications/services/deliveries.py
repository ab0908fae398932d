"""Send planned deliveries: claim, send, record the outcome; retry or give up.

A delivery is claimed with a conditional UPDATE (pending and due → sending)
that commits before anything leaves the building, so two workers, two sweeps
or a redelivered task never send the same row twice. A worker that dies
mid-send leaves a stale claim that the sweep hands back after STALE_CLAIM:
the only case where a message can go out twice.
"""

import datetime as dt
import logging
import random
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from diary.models import FlagKind
from notifications.models import Channel, Delivery, DeliveryStatus, Reason
from notifications.services.alerts import flag_still_needs_escalation
from notifications.transports import TransportError, send_email, send_webhook

logger = logging.getLogger(__name__)

STALE_CLAIM = dt.timedelta(minutes=10)
RETRY_BASE_SECONDS = 30
RETRY_CAP_SECONDS = 3600

NOT_A_DIAGNOSIS = gettext_lazy(
    "Flags ask a clinician to look at a patient's course; they are not a diagnosis."
)


def retry_delay(attempt: int, *, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: half fixed, half random ("equal jitter"),
    so retries of many deliveries spread out instead of hammering together."""
    ceiling = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


@dataclass(frozen=True)
class SendOutcome:
    status: str
    retry_in: float | None = None


def flag_link(flag_id) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/api/v1/flags/{flag_id}/"


# The flag kinds in the recipient's language (the model's labels stay English:
# the clinic pages and exports use them as they are).
KIND_WORDS = {
    FlagKind.RELAPSE: gettext_lazy("Relapse after improvement"),
    FlagKind.NO_RESPONSE: gettext_lazy("No response"),
    FlagKind.REBOUND_PATTERN: gettext_lazy("Worse lying down (rebound pattern)"),
}


def _kind(flag) -> str:
    return str(KIND_WORDS.get(flag.kind, flag.get_kind_display()))


def _email_line(delivery: Delivery) -> str:
    flag = delivery.flag
    # The patient's display name and the flag kind, nothing more: email is no diary.
    return f"{flag.patient.display_name}: {_kind(flag)} - {flag_link(flag.pk)}"


def _email_for(delivery: Delivery) -> tuple[str, str]:
    """Subject and body, in the recipient's language."""
    flag = delivery.flag
    with translation.override(delivery.recipient.language):
        names = {"kind": _kind(flag), "patient": flag.patient.display_name}
        if delivery.reason == Reason.ESCALATED:
            hours = settings.ESCALATE_AFTER.total_seconds() / 3600
            subject = _("Still open: %(kind)s for %(patient)s") % names
            intro = _("This flag has been open and unacknowledged for over %(hours)s hours.") % {
                "hours": f"{hours:g}"
            }
        else:
            subject = _("New flag: %(kind)s for %(patient)s") % names
            intro = _("A new flag is waiting for review.")
        return subject, f"{intro}\n\n{_email_line(delivery)}\n\n{NOT_A_DIAGNOSIS}\n"


def webhook_payload(delivery: Delivery) -> dict:
    flag = delivery.flag
    return {
        "event": f"flag.{delivery.reason}",
        "delivery": str(delivery.pk),
        "flag": {
            "id": str(flag.pk),
            "patient": str(flag.patient_id),
            "kind": flag.kind,
            "status": flag.status,
            "detected_at": flag.detected_at.isoformat(),
            "url": flag_link(flag.pk),
        },
    }


def _transmit(delivery: Delivery) -> None:
    if delivery.channel == Channel.EMAIL:
        subject, body = _email_for(delivery)
        send_email(to=delivery.recipient.email, subject=subject, body=body)
    elif delivery.channel == Channel.WEBHOOK:
        webhook = getattr(delivery.clinic, "webhook", None)
        if webhook is None or not webhook.is_active:
            raise TransportError("webhook removed or disabled", permanent=True)
        send_webhook(url=webhook.url, secret=webhook.secret, payload=webhook_payload(delivery))
    else:  # pragma: no cover - the check constraint keeps channels known
        raise TransportError(f"unknown channel {delivery.channel}", permanent=True)


def _as_transport_error(exc: Exception) -> TransportError:
    """Whatever a transport raised, as a failure the retry policy can judge.

    An exception the transports do not know (a bug, a library's surprise) used
    to leave the delivery `sending` for good, released and retried every ten
    minutes without an error. Now it is recorded and counts as an attempt.
    """
    if isinstance(exc, TransportError):
        return exc
    logger.exception("Unexpected failure sending a delivery")
    return TransportError(f"{type(exc).__name__}: {exc}", permanent=False)


def _record_failure(claimed, exc: TransportError, attempts: int, now) -> SendOutcome:
    """Permanent, or out of attempts: failed for good. Otherwise pending again, later."""
    if exc.permanent or attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        claimed.update(status=DeliveryStatus.FAILED, claim=None, last_error=str(exc)[:500])
        logger.warning("Delivery failed for good after %s attempt(s): %s", attempts, exc)
        return SendOutcome(DeliveryStatus.FAILED)
    delay = retry_delay(attempts)
    claimed.update(
        status=DeliveryStatus.PENDING,
        claim=None,
        due_at=now + dt.timedelta(seconds=delay),
        last_error=str(exc)[:500],
    )
    return SendOutcome(DeliveryStatus.PENDING, retry_in=delay)


def delivery_send(*, delivery_id, now: dt.datetime | None = None) -> SendOutcome | None:
    """Send one delivery if it is due and nobody else holds it; None if there was nothing to do.

    Not atomic on purpose: the claim must commit before the send.
    """
    now = now or timezone.now()
    token = uuid.uuid4()
    won = Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, digest=False, due_at__lte=now
    ).update(status=DeliveryStatus.SENDING, claim=token, claimed_at=now, attempts=F("attempts") + 1)
    if not won:
        return None
    claimed = Delivery.objects.filter(pk=delivery_id, claim=token)
    delivery = Delivery.objects.select_related("flag__patient", "recipient", "clinic__webhook").get(
        pk=delivery_id
    )
    if delivery.reason == Reason.ESCALATED and not flag_still_needs_escalation(delivery.flag):
        claimed.update(
            status=DeliveryStatus.SKIPPED, claim=None, last_error="acknowledged meanwhile"
        )
        return SendOutcome(DeliveryStatus.SKIPPED)
    try:
        _transmit(delivery)
    except Exception as exc:  # every delivery ends: see _as_transport_error
        return _record_failure(claimed, _as_transport_error(exc), delivery.attempts, now)
    claimed.update(status=DeliveryStatus.SENT, claim=None, sent_at=timezone.now(), last_error="")
    return SendOutcome(DeliveryStatus.SENT)


def deliveries_release_stale(*, now: dt.datetime) -> int:
    """Claims held longer than STALE_CLAIM belong to a dead worker: hand them back."""
    return Delivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(status=DeliveryStatus.PENDING, claim=None)


def deliveries_due(*, now: dt.datetime, limit: int = 1000) -> list[str]:
    return [
        str(pk)
        for pk in Delivery.objects.filter(
            status=DeliveryStatus.PENDING, digest=False, due_at__lte=now
        )
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    ]


# --- Daily digests ------------------------------------------------------------------


def digest_recipients_due(*, now: dt.datetime) -> list[int]:
    return list(
        Delivery.objects.filter(
            channel=Channel.EMAIL, digest=True, status=DeliveryStatus.PENDING, due_at__lte=now
        )
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )


def digest_send(*, recipient_id: int, now: dt.datetime | None = None) -> SendOutcome | None:
    """One email with every due digest delivery of one person, claimed together."""
    now = now or timezone.now()
    token = uuid.uuid4()
    won = Delivery.objects.filter(
        recipient_id=recipient_id,
        channel=Channel.EMAIL,
        digest=True,
        status=DeliveryStatus.PENDING,
        due_at__lte=now,
    ).update(status=DeliveryStatus.SENDING, claim=token, claimed_at=now, attempts=F("attempts") + 1)
    if not won:
        return None
    claimed = Delivery.objects.filter(claim=token)
    deliveries = list(
        claimed.select_related("flag__patient", "recipient").order_by("flag__detected_at")
    )
    with translation.override(deliveries[0].recipient.language):  # the recipient's language
        lines = "\n".join(f"- {_email_line(d)}" for d in deliveries)
        subject = ngettext(
            "%(count)d new flag for review", "%(count)d new flags for review", len(deliveries)
        ) % {"count": len(deliveries)}
        body = _("Flags raised since your last digest:") + f"\n\n{lines}\n\n{NOT_A_DIAGNOSIS}\n"
    try:
        send_email(to=deliveries[0].recipient.email, subject=subject, body=body)
    except Exception as exc:  # every delivery ends: see _as_transport_error
        attempts = max(d.attempts for d in deliveries)
        return _record_failure(claimed, _as_transport_error(exc), attempts, now)
    claimed.update(status=DeliveryStatus.SENT, claim=None, sent_at=timezone.now(), last_error="")
    return SendOutcome(DeliveryStatus.SENT)
