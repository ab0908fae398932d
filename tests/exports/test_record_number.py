"""The clinic record number in the exports: the PDF's header and the FHIR Patient."""

import datetime as dt
import io
import json

from fhir.resources.R4B.patient import Patient as FhirPatient
from pypdf import PdfReader

from exports.builders import fhir as fhir_builder
from exports.builders import pdf as pdf_builder
from exports.data import ExportData

SYSTEM = "urn:oid:2.16.756.5.30.1.999.1"


def data(record_number: str) -> ExportData:
    return ExportData(
        patient_id="6f1c4a52-45bb-4c2e-8a53-52b9c1a0c7b1",
        display_name="Lena Novak",
        timezone="Europe/Vienna",
        condition="pdph",
        clinic_name="Clinic One",
        date_from=None,
        date_to=None,
        generated_at=dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC),
        entries=(),
        treatments=(),
        record_number=record_number,
        record_number_system=SYSTEM,
    )


def fhir_patient(record_number: str) -> dict:
    out = io.BytesIO()
    fhir_builder.build(data(record_number), out)
    bundle = json.loads(out.getvalue())
    return next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )


def test_the_fhir_patient_carries_the_record_number_as_a_medical_record_identifier():
    patient = fhir_patient("MRN-0042")
    FhirPatient.model_validate(patient)
    mrn = [i for i in patient["identifier"] if i.get("system") == SYSTEM]
    assert mrn == [
        {
            "use": "usual",
            "type": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}
                ]
            },
            "system": SYSTEM,
            "value": "MRN-0042",
        }
    ]
    assert len(fhir_patient("")["identifier"]) == 1  # the diary's own id only


def test_the_pdf_names_the_record_number_when_there_is_one():
    def text(record_number):
        out = io.BytesIO()
        pdf_builder.build(data(record_number), out)
        return PdfReader(io.BytesIO(out.getvalue())).pages[0].extract_text()

    assert "Record number" in text("MRN-0042") and "MRN-0042" in text("MRN-0042")
    assert "Record number" not in text("")
