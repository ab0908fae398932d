"""The exports endpoints: 202 then poll then download, and who may do it."""

import datetime as dt
import io
import uuid

import pytest
import time_machine
from pypdf import PdfReader

from api.views.exports import ExportThrottle
from audit.models import AuditEvent
from exports.models import ExportJob
from tests.factories import EntryFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/exports/"


def job_url(job_id) -> str:
    return f"{URL}{job_id}/"


def download_url(job_id) -> str:
    return f"{URL}{job_id}/download/"


def request_export(client, capture, body):
    """POST as the app does; on the embedded default the build runs once the request commits."""
    with capture(execute=True):
        return client.post(URL, body, format="json")


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def test_request_answers_202_then_the_job_is_done_and_downloadable(
    year, api, django_capture_on_commit_callbacks
):
    client = api(year.patient.care_team.get())
    body = {
        "patient": str(year.patient.pk),
        "format": "pdf",
        "from": "2025-06-01",
        "to": "2025-08-31",
    }
    accepted = request_export(client, django_capture_on_commit_callbacks, body)

    assert accepted.status_code == 202, accepted.content
    assert set(accepted.json()) == {"id", "status"}
    assert accepted.json()["status"] == "pending"
    job_id = accepted.json()["id"]

    state = client.get(job_url(job_id)).json()
    assert (state["status"], state["progress"]) == ("done", 100)
    assert state["download"] == f"http://testserver{download_url(job_id)}"
    assert (state["from"], state["to"], state["format"]) == ("2025-06-01", "2025-08-31", "pdf")

    download = client.get(download_url(job_id))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment; filename=")
    assert "no-store" in download["Cache-Control"]
    reader = PdfReader(io.BytesIO(body_of(download)))
    assert "Sun 1 Jun 2025" in reader.pages[0].extract_text()


@pytest.mark.parametrize(
    ("fmt", "content_type", "starts"),
    [
        ("csv", "text/csv; charset=utf-8", b"\xef\xbb\xbfrecord_type,"),
        ("fhir", "application/fhir+json", b'{"resourceType": "Bundle"'),
    ],
)
def test_each_format_downloads_with_its_type(
    cast, api, django_capture_on_commit_callbacks, fmt, content_type, starts
):
    EntryFactory(patient=cast.patient_a)
    client = api(cast.coordinator)
    body = {"patient": str(cast.patient_a.pk), "format": fmt}
    job_id = request_export(client, django_capture_on_commit_callbacks, body).json()["id"]

    download = client.get(download_url(job_id))

    assert download["Content-Type"] == content_type
    assert body_of(download).startswith(starts)


def test_a_patient_exports_their_own_diary_without_naming_it(
    cast, api, django_capture_on_commit_callbacks
):
    client = api(cast.patient_a.user)
    accepted = request_export(client, django_capture_on_commit_callbacks, {"format": "csv"})

    assert accepted.status_code == 202
    assert ExportJob.objects.get(pk=accepted.json()["id"]).patient == cast.patient_a


def test_staff_must_name_the_patient(cast, api):
    response = api(cast.coordinator).post(URL, {"format": "csv"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"patient": ["This field is required."]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"format": "docx"}, "format"),
        ({"format": "pdf", "from": "2026-02-01", "to": "2026-01-01"}, "to"),
        ({"format": "pdf", "from": "yesterday"}, "from"),
        ({"format": "pdf", "patient": "not-a-uuid"}, "patient"),
    ],
)
def test_bad_requests_answer_400_in_the_contract_shape(cast, api, body, field):
    response = api(cast.patient_a.user).post(URL, body, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {field}
    assert not ExportJob.objects.exists()


def outsider(cast, who):
    if who == "patient_of_another_clinic":
        return PatientFactory(clinic=cast.other_clinic, user=UserFactory()).user
    return cast.user(who)


OUTSIDERS = ["patient_of_another_clinic", "patient_b", "clinician_off", "coordinator_other"]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_cannot_request_an_export_of_a(cast, api, who):
    response = api(outsider(cast, who)).post(
        URL, {"patient": str(cast.patient_a.pk), "format": "pdf"}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not ExportJob.objects.exists()
    assert not AuditEvent.objects.filter(record_type="export").exists()


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_cannot_see_or_download_a_job_of_a(
    cast, api, django_capture_on_commit_callbacks, who
):
    body = {"patient": str(cast.patient_a.pk), "format": "csv"}
    job_id = request_export(api(cast.coordinator), django_capture_on_commit_callbacks, body).json()[
        "id"
    ]
    client = api(outsider(cast, who))

    for url in (job_url(job_id), download_url(job_id)):
        response = client.get(url)
        unknown = client.get(url.replace(job_id, str(uuid.uuid4())))
        assert response.status_code == 404
        assert response.json() == unknown.json()  # indistinguishable from no such job
    assert not AuditEvent.objects.filter(action="download").exists()


def test_everyone_who_may_read_the_patient_may_download(
    cast, api, django_capture_on_commit_callbacks
):
    body = {"patient": str(cast.patient_a.pk), "format": "csv"}
    job_id = request_export(api(cast.coordinator), django_capture_on_commit_callbacks, body).json()[
        "id"
    ]
    for reader in (cast.coordinator, cast.clinician_on, cast.patient_a.user):
        assert api(reader).get(download_url(job_id)).status_code == 200

    assert api(cast.coordinator).head(download_url(job_id)).status_code == 200  # not a download

    downloads = AuditEvent.objects.filter(action="download").order_by("id")
    assert [e.actor_username for e in downloads] == ["coord", "dr_on", "alice"]
    assert {(e.patient_id, e.record_type, e.record_id, e.detail["format"]) for e in downloads} == {
        (cast.patient_a.pk, "export", job_id, "csv")
    }


def test_job_ids_are_random_uuids(cast, api, django_capture_on_commit_callbacks):
    client = api(cast.coordinator)
    body = {"patient": str(cast.patient_a.pk), "format": "csv"}
    responses = [request_export(client, django_capture_on_commit_callbacks, body) for _ in range(3)]
    ids = [response.json()["id"] for response in responses]

    parsed = [uuid.UUID(i) for i in ids]
    assert all(u.version == 4 for u in parsed)  # 122 random bits each
    assert len(set(ids)) == 3


def test_download_before_the_file_is_built_answers_409(cast, api):
    client = api(cast.coordinator)
    # No on-commit capture: the build was never run.
    job_id = client.post(
        URL, {"patient": str(cast.patient_a.pk), "format": "pdf"}, format="json"
    ).json()["id"]

    state = client.get(job_url(job_id)).json()
    response = client.get(download_url(job_id))

    assert (state["status"], state["progress"], state["download"]) == ("pending", 0, None)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_ready"


def test_download_after_expiry_answers_410(cast, api, django_capture_on_commit_callbacks):
    client = api(cast.coordinator)
    body = {"patient": str(cast.patient_a.pk), "format": "csv"}
    job_id = request_export(client, django_capture_on_commit_callbacks, body).json()["id"]
    expires_at = ExportJob.objects.get(pk=job_id).expires_at

    with time_machine.travel(expires_at + dt.timedelta(hours=1)):
        response = client.get(download_url(job_id))
        state = client.get(job_url(job_id)).json()

    assert response.status_code == 410
    assert response.json()["error"]["code"] == "expired"
    assert state["status"] == "done"


def test_requests_are_throttled_per_user_and_polling_is_not(cast, api, monkeypatch):
    # DRF reads the rates once, into the class: patch them there.
    rates = {**ExportThrottle.THROTTLE_RATES, "export": "2/hour"}
    monkeypatch.setattr(ExportThrottle, "THROTTLE_RATES", rates)
    client = api(cast.patient_a.user)
    statuses = [client.post(URL, {"format": "csv"}, format="json").status_code for _ in range(3)]
    assert statuses == [202, 202, 429]
    assert client.get(job_url(ExportJob.objects.first().pk)).status_code == 200


def test_polling_a_job_reads_it_in_one_query(cast, api, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(cast.coordinator)
    body = {"patient": str(cast.patient_a.pk), "format": "csv"}
    job_id = request_export(client, django_capture_on_commit_callbacks, body).json()["id"]

    with CaptureQueriesContext(connection) as queries:
        assert client.get(job_url(job_id)).status_code == 200
    # Other apps (auth, the request audit) have their own queries; ours is one
    # SELECT, its scope (patients) a subquery, nothing per field.
    ours = [q["sql"] for q in queries if "exports_" in q["sql"]]
    assert len(ours) == 1 and ours[0].startswith("SELECT"), ours
