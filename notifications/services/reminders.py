"""Reminders pushed to a patient's phone: check-ins after a treatment, a daily nudge.

Each reminder is a stored next-due time. The periodic task claims a due one
with a conditional UPDATE (check-in: scheduled → sent; daily: next_due_at
compare-and-swap to the following day), so two beat processes, or a task run
twice, send it once. Push texts carry no health detail.

Check-ins are derived from Treatment rows by the periodic task rather than
hooked into every write path: a treatment arriving through the API, a sync
batch or the admin gets its check-ins all the same.
"""

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from diary.models import (
    ASKED_CHECKPOINTS,
    UPRIGHT_POSTURES,
    Impression,
    Patient,
    Posture,
    SymptomEntry,
    Treatment,
)
from notifications.models import (
    Device,
    Reminder,
    ReminderKind,
    ReminderPreference,
    ReminderStatus,
)
from notifications.schedule import (
    CHECKIN_STEPS,
    QUIET_END,
    QUIET_START,
    checkin_due_times,
    in_quiet_hours,
    next_daily_reminder,
    outside_quiet_hours,
)
from notifications.transports import Push, TransportError, push_backend

logger = logging.getLogger(__name__)

# A check-in recorded this late (a phone syncing after days offline) is not sent.
CHECKIN_GRACE = dt.timedelta(hours=2)
CHECKIN_REACH = max(delay for _, delay in CHECKIN_STEPS) + dt.timedelta(days=1)
NOTHING_LOGGED_FOR = dt.timedelta(hours=24)

CHECKIN_PUSH = Push(
    title=gettext_lazy("Time for a check-in"),
    body=gettext_lazy("Please log one rating sitting or standing, and one lying down."),
    data={"type": "checkin"},
)
# A check-in stays on the phone's to-do list this long after it is due.
CHECKIN_OPEN_FOR = dt.timedelta(hours=24)


def checkin_push(step: str) -> Push:
    """The +72 h and +7 d check-ins also ask for the PGIC: one push, not two."""
    if step not in ASKED_CHECKPOINTS:
        return CHECKIN_PUSH
    return Push(
        title=gettext_lazy("Time for a check-in"),
        body=gettext_lazy(
            "Please log one rating sitting or standing, one lying down, "
            "and how you feel since your treatment."
        ),
        data={"type": "checkin", "pgic": "true", "checkpoint": step},
    )


DAILY_PUSH = Push(
    title=gettext_lazy("Your diary"),
    body=gettext_lazy("Nothing logged today yet: a quick rating helps your care team."),
    data={"type": "daily"},
)


# --- Planning -------------------------------------------------------------------------


def checkins_schedule(*, now: dt.datetime) -> int:
    """Create the check-ins of recent treatments that have none yet; returns how many."""
    treatments = (
        Treatment.objects.live()
        .filter(performed_at__gte=now - CHECKIN_REACH, patient__user__is_active=True)
        .exclude(Exists(Reminder.objects.filter(treatment=OuterRef("pk"))))
        .select_related("patient")
    )
    planned = []
    for treatment in treatments:
        for step, due in checkin_due_times(treatment.performed_at, treatment.patient.timezone):
            late = due < now - CHECKIN_GRACE
            planned.append(
                Reminder(
                    patient_id=treatment.patient_id,
                    kind=ReminderKind.CHECKIN,
                    treatment=treatment,
                    step=step,
                    status=ReminderStatus.SKIPPED if late else ReminderStatus.SCHEDULED,
                    next_due_at=None if late else due,
                    outcome="recorded after it was due" if late else "",
                )
            )
    return len(Reminder.objects.bulk_create(planned, ignore_conflicts=True))


def reminder_preference_for(*, patient: Patient) -> ReminderPreference:
    return ReminderPreference.objects.filter(patient=patient).first() or ReminderPreference(
        patient=patient
    )


@transaction.atomic
def reminder_preference_update(
    *, patient: Patient, values: dict[str, Any], now: dt.datetime | None = None
) -> ReminderPreference:
    """Opt in or out of the daily reminder, or move it; reschedules it at once."""
    now = now or timezone.now()
    preference, _created = ReminderPreference.objects.select_for_update().get_or_create(
        patient=patient
    )
    for name, value in values.items():
        setattr(preference, name, value)
    at = preference.daily_time
    if at >= QUIET_START or at < QUIET_END:
        raise ValidationError(
            {
                "daily_time": ValidationError(
                    _("Choose a time between %(start)s and %(end)s."),
                    code="quiet_hours",
                    params={"start": f"{QUIET_END:%H:%M}", "end": f"{QUIET_START:%H:%M}"},
                )
            }
        )
    preference.save()
    if preference.daily_enabled:
        Reminder.objects.update_or_create(
            patient=patient,
            kind=ReminderKind.DAILY,
            defaults={
                "status": ReminderStatus.SCHEDULED,
                "next_due_at": next_daily_reminder(now, at, patient.timezone),
            },
        )
    else:
        Reminder.objects.filter(patient=patient, kind=ReminderKind.DAILY).update(
            status=ReminderStatus.SKIPPED, next_due_at=None, outcome="turned off"
        )
    return preference


# --- Sending --------------------------------------------------------------------------


def reminders_due(*, now: dt.datetime, limit: int = 1000) -> list[int]:
    return list(
        Reminder.objects.filter(status=ReminderStatus.SCHEDULED, next_due_at__lte=now)
        .order_by("next_due_at")
        .values_list("pk", flat=True)[:limit]
    )


def _language_of(patient: Patient) -> str:
    return User.objects.filter(pk=patient.user_id).values_list("language", flat=True).first() or (
        "en"
    )


def _push(patient: Patient, push: Push, reminder_id: int) -> str:
    # A closed account's phone is told nothing more.
    devices = list(Device.objects.filter(user_id=patient.user_id, user__is_active=True))
    if not devices:
        return "no device"
    backend, sent = push_backend(), 0
    with translation.override(_language_of(patient)):  # the recipient's language
        title, body = str(push.title), str(push.body)
    for device in devices:
        message = Push(title, body, {**push.data, "reminder": str(reminder_id)})
        try:
            backend.send(device=device, push=message)
            sent += 1
        except TransportError as exc:
            logger.warning("Push to device %s failed: %s", device.pk, exc)
            if exc.permanent:
                device.delete()  # the phone uninstalled the app or dropped the token
    return f"pushed to {sent} of {len(devices)} device(s)"


def _send_checkin(reminder: Reminder, now: dt.datetime) -> str | None:
    tz = reminder.patient.timezone
    if in_quiet_hours(now, tz):
        # Beat was late and it is night now: wait for the morning, do not drop it.
        Reminder.objects.filter(
            pk=reminder.pk, status=ReminderStatus.SCHEDULED, next_due_at=reminder.next_due_at
        ).update(next_due_at=outside_quiet_hours(now, tz))
        return None
    won = Reminder.objects.filter(
        pk=reminder.pk, status=ReminderStatus.SCHEDULED, next_due_at__lte=now
    ).update(status=ReminderStatus.SENT, last_sent_at=now, next_due_at=None)
    if not won:
        return None
    if reminder.treatment is None or reminder.treatment.is_deleted:
        outcome = "treatment deleted"
        Reminder.objects.filter(pk=reminder.pk).update(
            status=ReminderStatus.SKIPPED, outcome=outcome
        )
        return outcome
    outcome = _push(reminder.patient, checkin_push(reminder.step), reminder.pk)
    Reminder.objects.filter(pk=reminder.pk).update(outcome=outcome)
    return outcome


def _logged_recently(patient: Patient, now: dt.datetime) -> bool:
    since = now - NOTHING_LOGGED_FOR
    return (
        SymptomEntry.objects.live()
        .filter(patient=patient)
        .filter(Q(recorded_at__gte=since) | Q(created_at__gte=since))
        .exists()
    )


def _send_daily(reminder: Reminder, now: dt.datetime) -> str | None:
    patient = reminder.patient
    preference = reminder_preference_for(patient=patient)
    following = next_daily_reminder(now, preference.daily_time, patient.timezone)
    # Compare-and-swap on the due time: of two racing claimers one moves it, one misses.
    won = Reminder.objects.filter(
        pk=reminder.pk, status=ReminderStatus.SCHEDULED, next_due_at=reminder.next_due_at
    ).update(next_due_at=following, last_sent_at=now)
    if not won:
        return None
    if not preference.daily_enabled:
        outcome = "turned off"
    elif in_quiet_hours(now, patient.timezone):
        outcome = "skipped: quiet hours"
    elif _logged_recently(patient, now):
        outcome = "skipped: logged in the last 24 h"
    else:
        outcome = _push(patient, DAILY_PUSH, reminder.pk)
    Reminder.objects.filter(pk=reminder.pk).update(outcome=outcome)
    return outcome


def reminder_send(*, reminder_id: int, now: dt.datetime | None = None) -> str | None:
    """Send one due reminder if this caller wins its claim; returns the outcome or None."""
    now = now or timezone.now()
    reminder = (
        Reminder.objects.select_related("patient", "treatment")
        .filter(pk=reminder_id, status=ReminderStatus.SCHEDULED, next_due_at__lte=now)
        .first()
    )
    if reminder is None:
        return None
    if reminder.kind == ReminderKind.CHECKIN:
        return _send_checkin(reminder, now)
    return _send_daily(reminder, now)


def daily_reminder_reschedule(*, patient: Patient, now: dt.datetime | None = None) -> None:
    """The patient's zone changed: the daily reminder moves to the same local time there."""
    now = now or timezone.now()
    preference = ReminderPreference.objects.filter(patient=patient, daily_enabled=True).first()
    if preference is not None:
        Reminder.objects.filter(
            patient=patient, kind=ReminderKind.DAILY, status=ReminderStatus.SCHEDULED
        ).update(next_due_at=next_daily_reminder(now, preference.daily_time, patient.timezone))


def daily_reminder_next_due(*, patient: Patient) -> dt.datetime | None:
    return (
        Reminder.objects.filter(
            patient=patient, kind=ReminderKind.DAILY, status=ReminderStatus.SCHEDULED
        )
        .values_list("next_due_at", flat=True)
        .first()
    )


# --- What the phone should ask for now (GET /api/v1/reminders/due/) ---------------------


def reminders_open(*, patient: Patient, now: dt.datetime | None = None) -> dict:
    """The check-ins the phone should show now, and whether the daily one is due.

    The same schedule the pushes use (`checkin_due_times`): a check-in is open
    from its due time until it is answered (ratings: an upright and a lying
    entry since it was due; PGIC, at +72 h and +7 d: an answer for that
    treatment and checkpoint) or `CHECKIN_OPEN_FOR` has passed. Three
    queries, however many treatments.
    """
    now = now or timezone.now()
    treatments = list(
        Treatment.objects.live()
        .filter(patient=patient, performed_at__gte=now - CHECKIN_REACH - CHECKIN_OPEN_FOR)
        .order_by("performed_at")
        .only("uuid", "performed_at")
    )
    candidates = [
        (treatment, step, due)
        for treatment in treatments
        for step, due in checkin_due_times(treatment.performed_at, patient.timezone)
        if due <= now < due + CHECKIN_OPEN_FOR
    ]
    checkins = []
    if candidates:
        earliest = min(due for _, _, due in candidates)
        ratings = list(
            SymptomEntry.objects.live()
            .filter(patient=patient, recorded_at__gte=earliest)
            .values_list("recorded_at", "posture")
        )
        answered = set(
            Impression.objects.live()
            .filter(treatment__in=[t for t, _, _ in candidates], checkpoint__in=ASKED_CHECKPOINTS)
            .values_list("treatment_id", "checkpoint")
        )
        for treatment, step, due in candidates:
            since = [posture for at, posture in ratings if at >= due]
            ratings_due = not (any(p in UPRIGHT_POSTURES for p in since) and Posture.LYING in since)
            pgic_due = step in ASKED_CHECKPOINTS and (treatment.pk, step) not in answered
            if ratings_due or pgic_due:
                checkins.append(
                    {
                        "treatment": treatment.uuid,
                        "checkpoint": step,
                        "due_at": due,
                        "ratings_due": ratings_due,
                        "pgic_due": pgic_due,
                    }
                )
    enabled = reminder_preference_for(patient=patient).daily_enabled
    return {
        "checkins": checkins,
        "daily": {"enabled": enabled, "due": enabled and not _logged_recently(patient, now)},
    }
