"""Reminders on the phone: check-ins after a treatment and the opt-in daily reminder.

Time is frozen or passed in; the patients live in Zurich (spring forward on
29 March 2026) and New York (8 March 2026).
"""

import datetime as dt
import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connections

from notifications import tasks
from notifications.models import Device, PushMessage, Reminder, ReminderStatus
from notifications.schedule import in_quiet_hours
from notifications.services.reminders import (
    checkins_schedule,
    reminder_preference_update,
    reminder_send,
    reminders_due,
)
from tests.factories import EntryFactory, TreatmentFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture
def phone(cast):
    return Device.objects.create(user=cast.patient_a.user, platform="ios", token="phone-a")


def run_beat(start, end, step=dt.timedelta(minutes=15)):
    """The periodic task, every `step` from start to end; returns the push times."""
    sent = []
    now = start
    while now <= end:
        checkins_schedule(now=now)
        for reminder_id in reminders_due(now=now):
            before = PushMessage.objects.count()
            reminder_send(reminder_id=reminder_id, now=now)
            if PushMessage.objects.count() > before:
                sent.append(now)
        now += step
    return sent


# --- Check-ins after a treatment ---------------------------------------------------------


def test_a_treatment_gets_its_five_checkins_once(cast):
    performed = utc(2026, 3, 10, 9)  # 10:00 in Zurich
    treatment = TreatmentFactory(patient=cast.patient_a, performed_at=performed)

    assert checkins_schedule(now=performed + dt.timedelta(minutes=1)) == 5
    assert checkins_schedule(now=performed + dt.timedelta(minutes=2)) == 0

    due = dict(Reminder.objects.filter(treatment=treatment).values_list("step", "next_due_at"))
    assert due == {
        "6h": utc(2026, 3, 10, 15),
        "24h": utc(2026, 3, 11, 9),
        "48h": utc(2026, 3, 12, 9),
        "72h": utc(2026, 3, 13, 9),
        "7d": utc(2026, 3, 17, 9),
    }


def test_each_checkin_is_pushed_once_without_health_detail(cast, phone):
    performed = utc(2026, 3, 10, 9)
    TreatmentFactory(patient=cast.patient_a, performed_at=performed, note="L3/L4, 20 mL")

    sent = run_beat(performed, performed + dt.timedelta(days=8))

    assert sent == [
        utc(2026, 3, 10, 15),
        utc(2026, 3, 11, 9),
        utc(2026, 3, 12, 9),
        utc(2026, 3, 13, 9),
        utc(2026, 3, 17, 9),
    ]
    for push in PushMessage.objects.all():
        assert push.token == "phone-a"
        text = f"{push.title} {push.body} {push.data}"
        assert "lying" in push.body and "sitting or standing" in push.body
        for detail in ("patch", "blood", "L3", "20", "relapse", "Alice"):
            assert detail not in text


def test_a_checkin_falling_in_the_night_waits_for_seven_in_the_morning(cast, phone):
    # A patch at 20:00 Zurich time: +6 h is 02:00, pushed at 07:00 instead.
    performed = utc(2026, 3, 10, 19)
    TreatmentFactory(patient=cast.patient_a, performed_at=performed)

    sent = run_beat(performed, performed + dt.timedelta(hours=14))

    assert sent == [utc(2026, 3, 11, 6)]
    assert not any(in_quiet_hours(moment, "Europe/Zurich") for moment in sent)


def test_a_late_beat_never_pushes_in_quiet_hours(cast, phone):
    # Due at 21:45; the beat only gets to it at 22:10 local: it waits for morning.
    performed = utc(2026, 3, 10, 14, 45)  # 15:45 local, so +6 h is 21:45
    TreatmentFactory(patient=cast.patient_a, performed_at=performed)
    checkins_schedule(now=performed)
    [six] = Reminder.objects.filter(step="6h")

    late = utc(2026, 3, 10, 21, 10)  # 22:10 local
    assert reminder_send(reminder_id=six.pk, now=late) is None
    six.refresh_from_db()
    assert (six.status, six.next_due_at) == (ReminderStatus.SCHEDULED, utc(2026, 3, 11, 6))
    assert not PushMessage.objects.exists()


def test_a_treatment_synced_days_late_skips_the_checkins_already_past(cast, phone):
    performed = utc(2026, 3, 10, 9)
    TreatmentFactory(patient=cast.patient_a, performed_at=performed)

    checkins_schedule(now=performed + dt.timedelta(days=3, hours=1))

    statuses = dict(Reminder.objects.values_list("step", "status"))
    assert statuses == {
        "6h": "skipped",
        "24h": "skipped",
        "48h": "skipped",
        "72h": "scheduled",  # due an hour ago: within the grace
        "7d": "scheduled",
    }


def test_a_deleted_treatment_asks_for_no_more_checkins(cast, phone):
    performed = utc(2026, 3, 10, 9)
    treatment = TreatmentFactory(patient=cast.patient_a, performed_at=performed)
    checkins_schedule(now=performed)
    treatment.deleted_at = performed + dt.timedelta(hours=1)
    treatment.save()

    assert run_beat(performed, performed + dt.timedelta(days=8)) == []
    assert set(Reminder.objects.values_list("status", flat=True)) == {"skipped"}


def test_checkins_through_the_periodic_task(cast, phone):
    performed = utc(2026, 3, 10, 9)
    TreatmentFactory(patient=cast.patient_a, performed_at=performed)

    with time_machine.travel(performed + dt.timedelta(minutes=1), tick=False):
        assert tasks.send_due_reminders() == 0
    with time_machine.travel(performed + dt.timedelta(hours=6, minutes=1), tick=False):
        assert tasks.send_due_reminders() == 1
        assert tasks.send_due_reminders() == 0  # run twice: still one push
    assert PushMessage.objects.count() == 1


# --- The daily reminder -----------------------------------------------------------------


def opt_in(patient, at, now):
    return reminder_preference_update(
        patient=patient, values={"daily_enabled": True, "daily_time": at}, now=now
    )


def test_the_daily_reminder_keeps_the_local_hour_across_the_spring_change(cast, phone):
    start = utc(2026, 3, 27, 12)
    opt_in(cast.patient_a, dt.time(19, 0), start)

    sent = run_beat(start, utc(2026, 3, 31, 0))

    # 19:00 CET is 18:00 UTC; from 29 March 19:00 CEST is 17:00 UTC.
    assert sent == [
        utc(2026, 3, 27, 18),
        utc(2026, 3, 28, 18),
        utc(2026, 3, 29, 17),
        utc(2026, 3, 30, 17),
    ]


def test_the_daily_reminder_follows_the_patients_own_zone(cast, phone):
    cast.patient_a.timezone = "America/New_York"
    cast.patient_a.save()
    start = utc(2026, 3, 7, 12)
    opt_in(cast.patient_a, dt.time(8, 30), start)

    sent = run_beat(start, utc(2026, 3, 10, 0))

    # 08:30 EST is 13:30 UTC; from 8 March, 08:30 EDT is 12:30 UTC.
    assert sent == [utc(2026, 3, 7, 13, 30), utc(2026, 3, 8, 12, 30), utc(2026, 3, 9, 12, 30)]


def test_no_daily_reminder_when_something_was_logged_in_the_last_day(cast, phone):
    start = utc(2026, 3, 10, 12)
    opt_in(cast.patient_a, dt.time(19, 0), start)
    with time_machine.travel(utc(2026, 3, 10, 8), tick=False):
        EntryFactory(patient=cast.patient_a, recorded_at=utc(2026, 3, 10, 8))

    sent = run_beat(start, utc(2026, 3, 12, 0))

    # 10 March: logged that morning. 11 March: nothing for 24 h, so a reminder.
    assert sent == [utc(2026, 3, 11, 18)]
    daily = Reminder.objects.get(kind="daily")
    assert daily.next_due_at == utc(2026, 3, 12, 18)


def test_turning_the_daily_reminder_off_stops_it(cast, phone):
    start = utc(2026, 3, 10, 12)
    opt_in(cast.patient_a, dt.time(19, 0), start)
    reminder_preference_update(patient=cast.patient_a, values={"daily_enabled": False}, now=start)

    assert run_beat(start, utc(2026, 3, 13, 0)) == []


@pytest.mark.parametrize("at", [dt.time(22, 0), dt.time(23, 30), dt.time(6, 59), dt.time(0, 0)])
def test_a_daily_time_in_quiet_hours_is_refused(cast, at):
    with pytest.raises(ValidationError) as refused:
        opt_in(cast.patient_a, at, utc(2026, 3, 10, 12))
    assert "daily_time" in refused.value.message_dict


def test_a_patient_without_a_phone_is_recorded_not_pushed(cast):
    start = utc(2026, 3, 10, 12)
    opt_in(cast.patient_a, dt.time(19, 0), start)

    run_beat(start, utc(2026, 3, 10, 19))

    assert Reminder.objects.get(kind="daily").outcome == "no device"


# --- Two beat processes at once, on the real PostgreSQL ---------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_beats_racing_push_each_reminder_once(postgres_only, cast, phone):
    performed = utc(2026, 3, 10, 9)
    TreatmentFactory(patient=cast.patient_a, performed_at=performed)
    opt_in(cast.patient_a, dt.time(15, 0), performed)
    now = utc(2026, 3, 10, 15, 5)  # 16:05 local: the 6 h check-in and the daily are both due
    checkins_schedule(now=performed)
    barrier = threading.Barrier(3)
    errors = []

    def beat():
        try:
            barrier.wait()
            checkins_schedule(now=now)
            for reminder_id in reminders_due(now=now):
                reminder_send(reminder_id=reminder_id, now=now)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=beat) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert not errors, errors
    kinds = sorted(push.data["type"] for push in PushMessage.objects.all())
    assert kinds == ["checkin", "daily"]
