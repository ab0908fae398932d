"""Telling the care team about a flag: inbox, email, once per clinician per flag."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections

from diary.models import FlagStatus
from diary.services.evaluation import patient_evaluate
from notifications import tasks
from notifications.models import (
    Delivery,
    DeliveryStatus,
    FanOut,
    InboxItem,
    NotificationPreference,
)
from notifications.services.alerts import (
    flag_fan_out,
    flag_raised_received,
    flags_due_for_escalation,
)
from notifications.services.deliveries import (
    deliveries_due,
    delivery_send,
    digest_recipients_due,
    digest_send,
)
from tests.factories import EntryFactory, FlagFactory, TreatmentFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)


def recipients(messages=None):
    return sorted(address for m in (messages or mail.outbox) for address in m.to)


@pytest.fixture
def flag(cast, team):
    return FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a), detected_at=NOW)


def test_a_raised_flag_reaches_each_clinician_of_the_team_by_email_and_inbox(
    cast, team, flag, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        flag_raised_received(flag_id=flag.pk)

    assert recipients() == ["dr_on@example.org", "dr_two@example.org"]
    assert set(InboxItem.objects.values_list("recipient", flat=True)) == {u.pk for u in team}
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    # Neither the clinician off the team nor the coordinator hears of a fresh flag.
    assert not InboxItem.objects.filter(recipient__in=[cast.clinician_off, cast.coordinator])


def test_the_email_links_to_the_flag_and_names_only_the_patient_and_kind(
    cast, team, flag, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        flag_raised_received(flag_id=flag.pk)

    message = mail.outbox[0]
    assert "Alice" in message.subject
    assert "Relapse after improvement" in message.subject
    assert f"/api/v1/flags/{flag.pk}/" in message.body
    # The evidence (a diary excerpt) never travels by email.
    assert flag.evidence["summary"] not in message.body
    assert "8/10" not in message.body + message.subject


def test_the_notify_task_run_twice_sends_one_email_per_clinician(
    team, flag, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(NOW + dt.timedelta(hours=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tasks.notify_flag(str(flag.pk))
        tasks.notify_flag(str(flag.pk))
        tasks.sweep_notifications()

    assert recipients() == ["dr_on@example.org", "dr_two@example.org"]
    assert Delivery.objects.count() == 2
    assert InboxItem.objects.count() == 2


def test_a_delivery_sent_once_is_not_sent_again(team, flag):
    flag_fan_out(flag_id=flag.pk, now=NOW)
    [first, _] = Delivery.objects.all()

    assert delivery_send(delivery_id=first.pk, now=NOW).status == DeliveryStatus.SENT
    assert delivery_send(delivery_id=first.pk, now=NOW) is None
    assert len(mail.outbox) == 1


def test_email_turned_off_leaves_the_inbox(cast, team, flag):
    NotificationPreference.objects.create(user=cast.clinician_on, email_enabled=False)

    flag_fan_out(flag_id=flag.pk, now=NOW)

    assert InboxItem.objects.filter(recipient=cast.clinician_on).exists()
    assert not Delivery.objects.filter(recipient=cast.clinician_on).exists()


def test_a_clinician_without_an_address_is_recorded_as_skipped(cast, team, flag):
    team[1].email = ""
    team[1].save()

    flag_fan_out(flag_id=flag.pk, now=NOW)

    skipped = Delivery.objects.get(recipient=team[1])
    assert (skipped.status, skipped.last_error) == (DeliveryStatus.SKIPPED, "no email address")
    assert deliveries_due(now=NOW) == [str(Delivery.objects.get(recipient=team[0]).pk)]


def test_the_digest_goes_out_once_at_the_clinicians_local_morning(cast, team):
    NotificationPreference.objects.create(
        user=cast.clinician_on,
        email_mode="digest",
        digest_time=dt.time(8, 0),
    )
    cast.clinician_on.timezone = "America/New_York"
    cast.clinician_on.save()
    flags = [
        FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a), kind=kind)
        for kind in ("relapse", "no_response")
    ]
    for flag in flags:
        flag_fan_out(flag_id=flag.pk, now=NOW)  # 08:00 in New York (EDT since 8 March)
    morning = dt.datetime(2026, 3, 21, 12, 0, tzinfo=dt.UTC)  # the next 08:00 EDT

    assert set(Delivery.objects.filter(digest=True).values_list("due_at", flat=True)) == {morning}
    assert digest_recipients_due(now=morning - dt.timedelta(minutes=1)) == []
    assert digest_send(recipient_id=cast.clinician_on.pk, now=morning) is not None
    assert digest_send(recipient_id=cast.clinician_on.pk, now=morning) is None

    [digest] = [m for m in mail.outbox if m.to == ["dr_on@example.org"]]
    assert "2 new flags" in digest.subject
    assert all(f"/api/v1/flags/{f.pk}/" in digest.body for f in flags)


# --- Escalation -------------------------------------------------------------------------


def escalate(now):
    for flag_id in flags_due_for_escalation(now=now):
        flag_fan_out(flag_id=flag_id, reason="escalated", now=now)
    for delivery_id in deliveries_due(now=now):
        delivery_send(delivery_id=delivery_id, now=now)


def test_a_relapse_left_open_a_day_goes_to_the_team_and_coordinators_once(cast, team, flag):
    later = NOW + dt.timedelta(hours=24, minutes=1)
    assert flags_due_for_escalation(now=NOW + dt.timedelta(hours=23)) == []

    escalate(later)
    escalate(later + dt.timedelta(hours=1))

    assert recipients() == ["coord@example.org", "dr_on@example.org", "dr_two@example.org"]
    assert all(m.subject.startswith("Still open") for m in mail.outbox)
    assert InboxItem.objects.filter(recipient=cast.coordinator, reason="escalated").count() == 1
    # Only the clinic's own coordinators.
    assert not InboxItem.objects.filter(recipient=cast.coordinator_other).exists()


def test_the_escalation_delay_is_configurable(settings, team, flag):
    settings.ESCALATE_AFTER = dt.timedelta(hours=4)
    assert flags_due_for_escalation(now=NOW + dt.timedelta(hours=4)) == [str(flag.pk)]


@pytest.mark.parametrize(
    "change",
    [
        {"status": FlagStatus.ACKNOWLEDGED, "acknowledged_at": NOW},
        {"status": FlagStatus.RESOLVED},
        {"kind": "no_response"},
    ],
    ids=["acknowledged", "resolved", "not a relapse"],
)
def test_only_open_unacknowledged_relapses_escalate(team, flag, change):
    type(flag).objects.filter(pk=flag.pk).update(**change)
    assert flags_due_for_escalation(now=NOW + dt.timedelta(days=2)) == []


def test_an_escalation_acknowledged_before_it_went_out_is_skipped(cast, team, flag):
    later = NOW + dt.timedelta(days=1, hours=1)
    flag_fan_out(flag_id=flag.pk, reason="escalated", now=later)
    type(flag).objects.filter(pk=flag.pk).update(
        status=FlagStatus.ACKNOWLEDGED, acknowledged_at=later
    )

    for delivery_id in deliveries_due(now=later):
        delivery_send(delivery_id=delivery_id, now=later)

    assert mail.outbox == []
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SKIPPED}


# --- Where flags come from ---------------------------------------------------------------


def test_a_flag_raised_by_the_judgement_is_sent_once_it_commits(
    cast, team, django_capture_on_commit_callbacks
):
    patch_at = NOW - dt.timedelta(days=10)
    TreatmentFactory(patient=cast.patient_a, performed_at=patch_at)
    for day, score in enumerate([8] * 7 + [2, 2, 8, 8, 8]):
        for hour in (8, 20):
            at = (patch_at - dt.timedelta(days=7)).replace(hour=hour) + dt.timedelta(days=day)
            EntryFactory(patient=cast.patient_a, recorded_at=at, headache=score)

    with django_capture_on_commit_callbacks(execute=True):
        [flag] = patient_evaluate(patient_id=cast.patient_a.pk, now=NOW).raised

    assert recipients() == ["dr_on@example.org", "dr_two@example.org"]
    assert FanOut.objects.filter(flag=flag, reason="raised").exists()


def test_the_sweep_fans_out_a_flag_whose_notification_was_lost(team, flag):
    # Raised while the broker was down: no fan-out ever ran.
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        tasks.sweep_notifications()

    assert recipients() == ["dr_on@example.org", "dr_two@example.org"]


# --- Races, on the real PostgreSQL ---------------------------------------------------------


def run_together(*functions):
    """Start the functions at the same instant on their own connections."""
    barrier = threading.Barrier(len(functions))
    errors = []

    def run(function):
        try:
            barrier.wait()
            function()
        except Exception as exc:  # surfaced to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(f,)) for f in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_racing_send_one_email_per_clinician(postgres_only, team, flag):
    assert connection.vendor == "postgresql"

    def sweep():
        for delivery_id in deliveries_due(now=NOW):
            delivery_send(delivery_id=delivery_id, now=NOW)

    run_together(
        lambda: flag_fan_out(flag_id=flag.pk, now=NOW),
        lambda: flag_fan_out(flag_id=flag.pk, now=NOW),
    )
    run_together(sweep, sweep, sweep)

    assert recipients() == ["dr_on@example.org", "dr_two@example.org"]
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 2
    assert InboxItem.objects.count() == 2
