"""Through a real Celery worker, the real Redis and PostgreSQL, and a real SMTP server:
a notify task delivered twice still sends one email per clinician per flag."""

import time

import pytest

from notifications.models import Delivery, DeliveryStatus
from notifications.tasks import notify_flag
from tests.diary.test_worker import Worker, broker, wait_for  # noqa: F401 - broker is a fixture
from tests.factories import FlagFactory, TreatmentFactory
from tests.notifications.servers import SmtpServer

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def test_a_notify_task_delivered_twice_sends_one_mail_per_clinician(
    cast,
    team,
    broker,  # noqa: F811 - the fixture imported above
    smtp,
    tmp_path,
):
    flag = FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a))
    worker = Worker(broker, tmp_path / "worker.log")
    worker.env["EMAIL_URL"] = f"smtp://127.0.0.1:{smtp.port}"
    # The sends the worker queues itself go to the default queue: consume it too
    # (this Redis database is the test's own).
    worker.queue = f"{broker.queue},celery"
    worker.start()
    try:
        notify_flag.delay(str(flag.pk))
        notify_flag.delay(str(flag.pk))  # a duplicate delivery of the same message

        sent = Delivery.objects.filter(status=DeliveryStatus.SENT)
        assert wait_for(lambda: sent.count() == 2), worker.log()
        time.sleep(2)  # a duplicate send would have landed by now
    finally:
        worker.stop()

    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == [
        "dr_on@example.org",
        "dr_two@example.org",
    ]
