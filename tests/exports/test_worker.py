"""An export requested through the API and built by a real Celery worker
(real Redis, real PostgreSQL), polled until done, then downloaded."""

import pytest

from tests.diary.test_worker import Worker, broker, wait_for  # noqa: F401 - `broker` is a fixture
from tests.factories import EntryFactory, TreatmentFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def export_worker(broker, export_storage, monkeypatch, tmp_path):  # noqa: F811
    # The worker is another process: it must write where this test reads.
    monkeypatch.setenv("EXPORT_ROOT", str(export_storage))
    worker = Worker(broker, tmp_path / "worker.log")
    worker.start()
    yield worker
    worker.stop()


def test_an_export_is_built_by_the_worker_with_progress_and_downloaded(cast, api, export_worker):
    for _ in range(3):
        EntryFactory(patient=cast.patient_a)
    TreatmentFactory(patient=cast.patient_a)
    client = api(cast.clinician_on)

    accepted = client.post(
        "/api/v1/exports/", {"patient": str(cast.patient_a.pk), "format": "pdf"}, format="json"
    )
    assert accepted.status_code == 202
    url = f"/api/v1/exports/{accepted.json()['id']}/"

    assert wait_for(lambda: client.get(url).json()["status"] == "done"), export_worker.log()
    state = client.get(url).json()
    assert state["progress"] == 100
    download = client.get(state["download"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
