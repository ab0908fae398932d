"""Deliveries over real channels on loopback: SMTP (aiosmtpd) and a webhook endpoint."""

import datetime as dt
import email
import random

import pytest

from notifications.models import ClinicWebhook, Delivery, DeliveryStatus
from notifications.services.alerts import flag_fan_out
from notifications.services.deliveries import (
    RETRY_BASE_SECONDS,
    deliveries_due,
    delivery_send,
    retry_delay,
)
from tests.factories import FlagFactory, TreatmentFactory
from tests.notifications.servers import SmtpServer, WebhookServer

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
SECRET = "a-clinic-shared-secret"


@pytest.fixture
def flag(cast, team):
    return FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a), detected_at=NOW)


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()


def sweeps(times, start=NOW, every=dt.timedelta(hours=2)):
    """What the periodic sweep does, `times` times, `every` apart."""
    for step in range(times):
        now = start + step * every
        for delivery_id in deliveries_due(now=now):
            delivery_send(delivery_id=delivery_id, now=now)


# --- Email through a real SMTP server --------------------------------------------------


def test_each_clinician_receives_one_mail_over_smtp(smtp, flag):
    flag_fan_out(flag_id=flag.pk, now=NOW)
    sweeps(3)

    assert sorted(rcpt for m in smtp.messages for rcpt in m.rcpt_tos) == [
        "dr_on@example.org",
        "dr_two@example.org",
    ]
    message = email.message_from_bytes(smtp.messages[0].original_content)
    assert "Alice" in message["Subject"]
    assert f"/api/v1/flags/{flag.pk}/" in message.get_payload()


def test_mail_to_a_server_that_is_down_is_retried_and_sent_once_it_is_up(settings, flag):
    server = SmtpServer()  # not started yet: connections are refused
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    flag_fan_out(flag_id=flag.pk, now=NOW)

    sweeps(1)
    pending = Delivery.objects.filter(status=DeliveryStatus.PENDING)
    assert pending.count() == 2
    assert all(d.attempts == 1 and d.due_at > NOW for d in pending)
    assert all("email:" in d.last_error for d in pending)

    server.start()
    try:
        sweeps(3, start=NOW + dt.timedelta(hours=1))
    finally:
        server.stop()
    assert len(server.messages) == 2
    assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 2)}


# --- The clinic's webhook ---------------------------------------------------------------


@pytest.fixture
def endpoint(cast):
    servers = []

    def start(statuses):
        server = WebhookServer(secret=SECRET, statuses=statuses).start()
        servers.append(server)
        ClinicWebhook.objects.create(clinic=cast.clinic, url=server.url, secret=SECRET)
        return server

    yield start
    for server in servers:
        server.stop()


def webhook_delivery():
    return Delivery.objects.get(channel="webhook")


def test_the_webhook_receives_signed_json_about_the_flag(endpoint, flag):
    server = endpoint([200])
    flag_fan_out(flag_id=flag.pk, now=NOW)
    sweeps(2)

    [request] = server.received
    assert request.signature_ok
    assert request.headers["Content-Type"] == "application/json"
    assert request.payload["event"] == "flag.raised"
    assert request.payload["flag"]["id"] == str(flag.pk)
    assert request.payload["flag"]["kind"] == "relapse"
    assert "evidence" not in request.payload["flag"]
    assert webhook_delivery().status == DeliveryStatus.SENT


def test_an_endpoint_failing_twice_then_succeeding_gets_exactly_one_successful_delivery(
    endpoint, flag
):
    server = endpoint([500, 503, 200])
    flag_fan_out(flag_id=flag.pk, now=NOW)

    sweeps(6)

    assert [r.status for r in server.received] == [500, 503, 200]
    assert all(r.signature_ok for r in server.received)
    # The same delivery each time, so the clinic can de-duplicate on it too.
    assert len({r.payload["delivery"] for r in server.received}) == 1
    delivery = webhook_delivery()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        DeliveryStatus.SENT,
        3,
        "",
    )


def test_an_endpoint_answering_410_is_not_retried_and_the_failure_is_recorded(
    endpoint, flag, api, cast
):
    server = endpoint([410])
    flag_fan_out(flag_id=flag.pk, now=NOW)

    sweeps(5)

    assert len(server.received) == 1
    delivery = webhook_delivery()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert "410" in delivery.last_error
    shown = api(cast.coordinator).get("/api/v1/notifications/webhook/").json()
    assert shown["failed"] == 1
    assert shown["recent"][0]["status"] == "failed"
    assert "410" in shown["recent"][0]["last_error"]


def test_an_endpoint_that_keeps_failing_is_given_up_after_the_last_attempt(
    settings, endpoint, flag
):
    settings.NOTIFY_MAX_ATTEMPTS = 3
    server = endpoint([503])
    flag_fan_out(flag_id=flag.pk, now=NOW)

    sweeps(6)

    assert len(server.received) == 3
    assert webhook_delivery().status == DeliveryStatus.FAILED


@pytest.mark.parametrize("attempt", [1, 2, 5, 12])
def test_retries_back_off_exponentially_with_jitter(attempt):
    ceiling = min(3600, RETRY_BASE_SECONDS * 2 ** (attempt - 1))
    delays = {retry_delay(attempt, rng=random.Random(seed)) for seed in range(20)}

    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len(delays) > 1  # jittered: retries of many deliveries spread out


# --- Every delivery ends (issue 15) -------------------------------------------------------


def test_a_bad_header_fails_the_delivery_for_good_with_its_error(smtp, flag):
    # Stored before names were checked at enrolment: a line break in the subject.
    flag.patient.display_name = "Alice\nBcc: someone@example.org"
    flag.patient.save(update_fields=["display_name"])
    flag_fan_out(flag_id=flag.pk, now=NOW)

    sweeps(1)

    deliveries = list(Delivery.objects.all())
    assert {d.status for d in deliveries} == {DeliveryStatus.FAILED}
    assert all(d.attempts == 1 and "email:" in d.last_error for d in deliveries)
    assert smtp.messages == []


def test_any_exception_from_a_transport_is_recorded_and_retried_by_the_policy(
    smtp, flag, settings, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("a library's surprise")

    monkeypatch.setattr("notifications.services.deliveries.send_email", broken)
    settings.NOTIFY_MAX_ATTEMPTS = 2
    flag_fan_out(flag_id=flag.pk, now=NOW)

    sweeps(1)
    first = list(Delivery.objects.all())
    assert {d.status for d in first} == {DeliveryStatus.PENDING}  # never stuck in sending
    assert all("RuntimeError: a library's surprise" in d.last_error for d in first)

    sweeps(2, start=NOW + dt.timedelta(hours=2))
    assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.FAILED, 2)}
