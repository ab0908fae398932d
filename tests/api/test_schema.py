import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from diary.models import ClinicThresholds

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings(tmp_path):
    # drf-spectacular fails on any warning: every endpoint is documented.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    text = (tmp_path / "s.yml").read_text()
    for path in ("/api/v1/sync/", "/api/v1/flags/{id}/resolve/", "/api/v1/entries/{id}/"):
        assert f"{path}:" in text


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = client.get("/api/docs/")
    assert schema.status_code == 200 and "/api/v1/patients/" in schema.json()["paths"]
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


def test_clinic_thresholds_are_validated_before_they_are_saved(cast):
    thresholds = ClinicThresholds(clinic=cast.clinic, overrides={"relapse_min_scor": 5})
    with pytest.raises(ValidationError, match="relapse_min_scor"):
        thresholds.full_clean()
    thresholds.overrides = {"relapse_min_score": 5}
    thresholds.full_clean()


def test_admin_lists_every_diary_model(admin_client):
    for name in ("patient", "symptomentry", "treatment", "flag", "clinicthresholds"):
        assert admin_client.get(f"/admin/diary/{name}/").status_code == 200
