"""A FHIR R4 Bundle (type "collection") of one patient's diary, as JSON.

- Patient; a Condition when the diary's condition has an ICD-10-CM code.
- One Observation per rating: LOINC 72514-3 (pain severity 0-10) with the
  posture as a component (LOINC 8361-8, SNOMED CT body position) and each
  ticked symptom as a component (LOINC 75325-1, SNOMED CT where known, text
  otherwise).
- One Procedure per treatment: CPT 62273 for an epidural blood patch; kind,
  approach, levels and volume as text and extensions.
- One DetectedIssue per flag: it names the implicated Procedure and the
  Observations that are its evidence, and says why in words (`detail`).
- One Observation per day log (upright hours, longest stretch, bed rest,
  fluids, caffeine, binder, medication as components) and one per PGIC answer
  (its score, `focus` on the treatment's Procedure). No verified code is
  known for any of these (DOMAIN.md lists none): they are text concepts with
  UCUM quantities. Entry triggers are components (text) of the rating.
Codes come from DOMAIN.md only; where none is known the concept is text.

Written entry by entry, so a long diary never sits in memory as one document.
"""

import json
import uuid
from collections.abc import Iterator
from typing import Any, BinaryIO

from diary.labels import checkpoint_label, medication_label, pgic_label, trigger_label
from exports.builders import Progress, no_progress
from exports.data import (
    FLAG_STATUS_LABELS,
    POSTURE_LABELS,
    DayLogRow,
    EntryRow,
    ExportData,
    FlagRow,
    ImpressionRow,
    TreatmentRow,
)
from exports.summary import symptom_label

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
CPT = "http://www.ama-assn.org/go/cpt"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
URI_IDENTIFIER = "urn:ietf:rfc:3986"
# Our own extensions. The .example domain says plainly that no published
# StructureDefinition stands behind them yet.
EXTENSION_BASE = "https://csf-diary.example/fhir/StructureDefinition/"

PAIN_SEVERITY = {
    "system": LOINC,
    "code": "72514-3",
    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
}
BODY_POSITION = {
    "system": LOINC,
    "code": "8361-8",
    "display": "Body position with respect to gravity",
}
SYMPTOM = {"system": LOINC, "code": "75325-1", "display": "Symptom"}
POSTURE_CODES = {
    # Lying is logged without saying on which side: recumbent, not supine.
    "lying": {"system": SNOMED, "code": "102538003", "display": "Recumbent body position"},
    "sitting": {"system": SNOMED, "code": "33586001", "display": "Sitting position"},
    "standing": {"system": SNOMED, "code": "10904000", "display": "Orthostatic body position"},
}
SYMPTOM_CODES = {
    "nausea": "422587007",
    "dizziness": "404640003",
    "tinnitus": "60862001",
    "neck_pain": "81680005",
    "diplopia": "24982008",
    "photophobia": "409668002",
}
# Codes without a display: the code systems' own wording is licensed (CPT) or
# differs from DOMAIN.md's short names (ICD-10-CM); the text says what we mean.
BLOOD_PATCH_CPT = {"system": CPT, "code": "62273"}
CONDITION_CODES = {
    "spontaneous": {"system": ICD10CM, "code": "G96.02"},
    "pdph": {"system": ICD10CM, "code": "G97.1"},
}
NAMESPACE = uuid.UUID("0b7f3c38-5f7e-4d3a-9a34-7c1f2b61c9a1")
DISCLAIMER = "A prompt for a clinician to review, not a diagnosis."


def resource_id(kind: str, record_id: str) -> str:
    """A stable id per resource type: diary ids are unique per table, not across tables."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}/{record_id}"))


def urn(resource_uuid: str) -> str:
    return f"urn:uuid:{resource_uuid}"


def _identifier(record_id: str) -> list[dict]:
    return [{"system": URI_IDENTIFIER, "value": urn(record_id)}]


def _minutes(value: int) -> dict:
    return {"value": value, "unit": "min", "system": UCUM, "code": "min"}


def patient_resource(data: ExportData) -> dict:
    return {
        "resourceType": "Patient",
        "id": resource_id("patient", data.patient_id),
        "identifier": _identifier(data.patient_id),
        "name": [{"text": data.display_name}],
    }


def condition_resource(data: ExportData, patient_ref: str) -> dict | None:
    if data.condition == "unknown":
        return None
    code: dict[str, Any] = {"text": data.condition_label}
    if data.condition in CONDITION_CODES:
        code["coding"] = [CONDITION_CODES[data.condition]]
    return {
        "resourceType": "Condition",
        "id": resource_id("condition", data.patient_id),
        "code": code,
        "subject": {"reference": patient_ref},
    }


def observation_resource(data: ExportData, entry: EntryRow, patient_ref: str) -> dict:
    components: list[dict] = [
        {
            "code": {"coding": [BODY_POSITION], "text": "Posture"},
            "valueCodeableConcept": {
                "coding": [POSTURE_CODES[entry.posture]],
                "text": POSTURE_LABELS.get(entry.posture, entry.posture),
            },
        }
    ]
    for symptom in entry.symptoms:
        value: dict[str, Any] = {"text": symptom_label(symptom)}
        if symptom in SYMPTOM_CODES:
            value["coding"] = [{"system": SNOMED, "code": SYMPTOM_CODES[symptom]}]
        components.append({"code": {"coding": [SYMPTOM]}, "valueCodeableConcept": value})
    for trigger in entry.triggers:
        components.append(
            {
                "code": {"text": "Trigger"},
                "valueCodeableConcept": {"text": trigger_label(trigger)},
            }
        )
    # No standard code is known for these minutes: text concepts, UCUM minutes.
    for text, minutes in (
        ("Minutes in this posture so far", entry.minutes_in_posture),
        ("Minutes upright before the headache began", entry.onset_minutes),
        ("Minutes lying down before the headache eased", entry.relief_minutes),
    ):
        if minutes is not None:
            components.append({"code": {"text": text}, "valueQuantity": _minutes(minutes)})
    resource = {
        "resourceType": "Observation",
        "id": resource_id("entry", entry.id),
        "identifier": _identifier(entry.id),
        "status": "final",
        "code": {"coding": [PAIN_SEVERITY], "text": "Headache (0-10)"},
        "subject": {"reference": patient_ref},
        "effectiveDateTime": data.local(entry.recorded_at).isoformat(),
        "valueInteger": entry.headache,
        "component": components,
    }
    if entry.note:
        resource["note"] = [{"text": entry.note}]
    return resource


def _quantity(value, unit: str) -> dict:
    return {"value": float(value), "unit": unit, "system": UCUM, "code": unit}


def day_log_resource(data: ExportData, log: DayLogRow, patient_ref: str) -> dict:
    """A local day's function and conservative care; text concepts (no known codes)."""
    components: list[dict] = []
    for text, value, unit in (
        ("Hours upright", log.upright_hours, "h"),
        ("Longest upright stretch", log.longest_upright_minutes, "min"),
        ("Hours of bed rest", log.bed_rest_hours, "h"),
        ("Fluids", log.fluids_l, "L"),
        ("Caffeine", log.caffeine_mg, "mg"),
    ):
        if value is not None:
            components.append({"code": {"text": text}, "valueQuantity": _quantity(value, unit)})
    if log.binder is not None:
        components.append({"code": {"text": "Abdominal binder worn"}, "valueBoolean": log.binder})
    for item in log.medications:
        label = medication_label(item["name"])
        text = " ".join(p for p in (label, item.get("dose"), item.get("note")) if p)
        components.append({"code": {"text": "Medication taken"}, "valueString": text})
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": resource_id("day_log", log.id),
        "identifier": _identifier(log.id),
        "status": "final",
        "code": {"text": "Day log: upright time and conservative care"},
        "subject": {"reference": patient_ref},
        "effectiveDateTime": log.date.isoformat(),  # the patient's local day
    }
    if components:
        resource["component"] = components
    if log.note:
        resource["note"] = [{"text": log.note}]
    return resource


def impression_resource(data: ExportData, answer: ImpressionRow, patient_ref: str) -> dict:
    """A PGIC answer: 1 very much improved ... 7 very much worse (no verified LOINC)."""
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": resource_id("impression", answer.id),
        "identifier": _identifier(answer.id),
        "status": "final",
        "code": {"text": "Patient Global Impression of Change (PGIC), 1-7"},
        "subject": {"reference": patient_ref},
        "focus": [{"reference": urn(resource_id("treatment", answer.treatment_id))}],
        "effectiveDateTime": data.local(answer.answered_at).isoformat(),
        "valueInteger": answer.score,
        "interpretation": [{"text": pgic_label(answer.score)}],
        "component": [
            {
                "code": {"text": "Checkpoint after the treatment"},
                "valueString": checkpoint_label(answer.checkpoint),
            }
        ],
    }
    if answer.note:
        resource["note"] = [{"text": answer.note}]
    return resource


def procedure_resource(data: ExportData, treatment: TreatmentRow, patient_ref: str) -> dict:
    code: dict[str, Any] = {"text": treatment.kind_label}
    if treatment.kind == "epidural_blood_patch":
        code["coding"] = [BLOOD_PATCH_CPT]
    extensions: list[dict] = [
        {"url": EXTENSION_BASE + "treatment-kind", "valueCode": treatment.kind}
    ]
    if treatment.approach:
        extensions.append(
            {"url": EXTENSION_BASE + "patch-approach", "valueCode": treatment.approach}
        )
    if treatment.volume_ml is not None:
        extensions.append(
            {
                "url": EXTENSION_BASE + "patch-volume",
                "valueQuantity": {
                    "value": float(treatment.volume_ml),
                    "unit": "mL",
                    "system": UCUM,
                    "code": "mL",
                },
            }
        )
    notes = [{"text": treatment.describe()}]
    if treatment.note:
        notes.append({"text": treatment.note})
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": resource_id("treatment", treatment.id),
        "identifier": _identifier(treatment.id),
        "extension": extensions,
        "status": "completed",
        "code": code,
        "subject": {"reference": patient_ref},
        "performedDateTime": data.local(treatment.performed_at).isoformat(),
        "note": notes,
    }
    if treatment.levels:
        resource["bodySite"] = [{"text": f"Spinal level {level}"} for level in treatment.levels]
    return resource


def detected_issue_resource(
    data: ExportData, flag: FlagRow, patient_ref: str, entry_ids: set[str]
) -> dict:
    evidence = [
        urn(resource_id("entry", entry_id))
        for entry_id in flag.entry_ids()
        if entry_id in entry_ids
    ]
    detail = " ".join(part for part in (flag.summary, DISCLAIMER) if part)
    if not flag.still_supported:
        detail += " The entries that proved it have since been edited or deleted."
    resource: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "id": resource_id("flag", flag.id),
        "identifier": _identifier(flag.id),
        "status": "final",
        "code": {"text": flag.kind_label},
        "patient": {"reference": patient_ref},
        "identifiedDateTime": data.local(flag.detected_at).isoformat(),
        "implicated": [{"reference": urn(resource_id("treatment", flag.treatment_id))}],
        "detail": detail,
        "extension": [
            {"url": EXTENSION_BASE + "flag-status", "valueCode": flag.status},
        ],
    }
    if evidence:
        resource["evidence"] = [{"detail": [{"reference": ref} for ref in evidence]}]
    if flag.resolved_at is not None:
        action = FLAG_STATUS_LABELS.get(flag.status, flag.status)
        if flag.resolution_note:
            action = f"{action}: {flag.resolution_note}"
        resource["mitigation"] = [
            {"action": {"text": action}, "date": data.local(flag.resolved_at).isoformat()}
        ]
    return resource


def resources(data: ExportData, on_progress: Progress = no_progress) -> Iterator[dict]:
    patient = patient_resource(data)
    patient_ref = urn(patient["id"])
    yield patient
    condition = condition_resource(data, patient_ref)
    if condition is not None:
        yield condition
    treatment_ids = {t.id for t in data.treatments}
    for treatment in data.treatments:
        yield procedure_resource(data, treatment, patient_ref)
    entry_ids = {e.id for e in data.entries}
    for flag in data.flags:
        if flag.treatment_id in treatment_ids:
            yield detected_issue_resource(data, flag, patient_ref, entry_ids)
    for answer in data.impressions:
        if answer.treatment_id in treatment_ids:
            yield impression_resource(data, answer, patient_ref)
    for log in data.day_logs:
        yield day_log_resource(data, log, patient_ref)
    total = max(1, len(data.entries))
    for n, entry in enumerate(data.entries, 1):
        yield observation_resource(data, entry, patient_ref)
        if n % 500 == 0:
            on_progress(n / total)


def build(data: ExportData, out: BinaryIO, on_progress: Progress = no_progress) -> None:
    head = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": data.generated_at.isoformat(),
    }
    out.write(json.dumps(head, ensure_ascii=False)[:-1].encode())
    out.write(b', "entry": [')
    for n, resource in enumerate(resources(data, on_progress)):
        item = {"fullUrl": urn(resource["id"]), "resource": resource}
        out.write((", " if n else "").encode() + json.dumps(item, ensure_ascii=False).encode())
    out.write(b"]}")
    on_progress(1.0)
