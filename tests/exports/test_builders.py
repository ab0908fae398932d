"""Each format over a year-long diary with several treatments and flags."""

import csv
import datetime as dt
import io
import json
import re
from zoneinfo import ZoneInfo

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader

from diary.models import SymptomEntry
from exports.builders import csv as csv_builder
from exports.builders import fhir as fhir_builder
from exports.builders import pdf as pdf_builder
from exports.sample import NOTES
from tests.exports.conftest import YEAR_START

pytestmark = pytest.mark.django_db


def built(builder, data) -> bytes:
    out = io.BytesIO()
    seen = []
    builder.build(data, out, seen.append)
    assert seen[-1] == 1.0
    assert seen == sorted(seen), "progress never goes backwards"
    return out.getvalue()


def test_the_year_has_what_the_exports_must_show(year):
    assert year.entries == 365 * 6
    assert year.treatments == 4
    assert 250 < year.day_logs < 365 and year.impressions == 8
    # The sample tells a relapse, a patch that did nothing and a rebound.
    data = year.data()
    assert {f.kind for f in data.flags} >= {"relapse", "no_response", "rebound_pattern"}


# --- PDF ---------------------------------------------------------------------------


def test_pdf_has_the_summary_chart_treatments_flags_and_every_entry(year):
    data = year.data()
    reader = PdfReader(io.BytesIO(built(pdf_builder, data)))

    first = reader.pages[0]
    page_one = first.extract_text()
    assert data.display_name in page_one
    assert "Sat 1 Mar 2025" in page_one and "Sat 28 Feb 2026" in page_one
    assert data.condition_label in page_one
    assert len(first.images) == 1, "the course chart is on page 1"
    assert first.images[0].image.width >= 1200  # sharp enough to print

    text = "\n".join(page.extract_text() for page in reader.pages)
    treatments_table = text[text.index("Treatments\nDate") : text.index("Flags\nFlags ask")]
    for treatment in data.treatments:
        assert treatment.kind_label in treatments_table
        for level in treatment.levels:
            assert level in treatments_table
    unwrapped = treatments_table.replace("\n", " ")
    assert "20 mL" in unwrapped and "4.5 mL" in unwrapped

    flags = text[text.index("Flags\nFlags ask") : text.index("Most frequent symptoms")]
    for flag in data.flags:
        assert flag.kind_label in flags
        # The evidence in words, as the judgement wrote it (pypdf may wrap lines).
        assert flag.summary[:40] in flags.replace("\n", " ")
    assert "not a diagnosis" in flags

    diary = text[text.index("Full diary (local time") :]
    ratings = re.findall(r"\b(?:10|\d)/10\b", diary)
    assert len(ratings) == year.entries, "every entry is in the diary, once"
    zone = ZoneInfo(data.timezone)
    first_entry, last_entry = data.entries[0], data.entries[-1]
    assert first_entry.recorded_at.astimezone(zone).strftime("%H:%M") in diary[:600]
    assert last_entry.recorded_at.astimezone(zone).strftime("%H:%M") in diary[-1500:]
    assert "Kopfschmerz stärker" in diary  # notes keep their letters


def test_pdf_of_an_empty_range_still_builds(year):
    data = year.data(date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 1, 31))
    reader = PdfReader(io.BytesIO(built(pdf_builder, data)))
    assert "Nothing was logged in this period." in reader.pages[-1].extract_text()


# --- CSV ---------------------------------------------------------------------------


def read_csv(raw: bytes) -> list[dict]:
    assert raw.startswith(b"\xef\xbb\xbf"), "a BOM, so spreadsheets read UTF-8"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_csv_round_trips_with_one_row_per_entry_and_treatment(year):
    data = year.data()
    rows = read_csv(built(csv_builder, data))

    assert list(rows[0]) == list(csv_builder.COLUMNS)
    assert len(rows) == year.entries + year.treatments + year.day_logs + year.impressions
    kinds = [row["record_type"] for row in rows]
    assert kinds.count("entry") == year.entries
    assert kinds.count("treatment") == year.treatments
    timed = [row["utc_time"] for row in rows if row["record_type"] != "day_log"]
    assert timed == sorted(timed)

    stored = {str(e.uuid): e for e in SymptomEntry.objects.filter(patient=year.patient)}
    for row in rows:
        if row["record_type"] != "entry":
            continue
        entry = stored[row["id"]]
        assert int(row["headache"]) == entry.headache
        assert row["posture"] == entry.posture
        assert row["symptoms"].split("; ") == (entry.symptoms or [""])
        assert row["note"] == ("'" + entry.note if entry.note.startswith("=") else entry.note)


def test_csv_gives_local_time_with_its_offset_and_utc_across_dst(year):
    rows = {row["id"]: row for row in read_csv(built(csv_builder, year.data()))}
    winter = SymptomEntry.objects.filter(
        patient=year.patient, recorded_at__date=dt.date(2025, 3, 1)
    ).first()
    summer = SymptomEntry.objects.filter(
        patient=year.patient, recorded_at__date=dt.date(2025, 7, 1)
    ).first()
    for entry, offset in ((winter, "+01:00"), (summer, "+02:00")):
        row = rows[str(entry.uuid)]
        local = dt.datetime.fromisoformat(row["local_time"] + row["utc_offset"])
        utc = dt.datetime.fromisoformat(row["utc_time"]).replace(tzinfo=dt.UTC)
        assert row["utc_offset"] == offset
        assert local == utc == entry.recorded_at.replace(microsecond=0)
        assert row["time_zone"] == "Europe/Zurich"


def test_csv_keeps_line_breaks_quotes_and_accents_and_defuses_formulas(year):
    notes = {row["note"] for row in read_csv(built(csv_builder, year.data()))}
    assert "Ohrensausen links,\nbesser im Liegen." in notes
    assert 'School run impossible, "worst day" this week.' in notes
    assert "'=2+3 typed by mistake" in notes
    assert "=2+3 typed by mistake" not in notes
    assert set(NOTES) - {"=2+3 typed by mistake"} <= notes


def test_csv_treatment_rows_carry_kind_approach_levels_and_volume(year):
    rows = [r for r in read_csv(built(csv_builder, year.data())) if r["record_type"] == "treatment"]
    assert [(r["treatment_kind"], r["approach"], r["levels"], r["volume_ml"]) for r in rows] == [
        ("epidural_blood_patch", "blind", "L3/L4", "20"),
        ("epidural_blood_patch", "targeted", "L1/L2; L2/L3", "15"),
        ("fibrin_glue", "targeted", "T12/L1", "4.5"),
        ("surgical_repair", "", "T12/L1", ""),
    ]
    assert all(r["headache"] == "" for r in rows)


# --- FHIR --------------------------------------------------------------------------

# Every code DOMAIN.md gives; nothing else may appear in a coding.
DOMAIN_CODES = {
    ("http://loinc.org", "72514-3"),
    ("http://loinc.org", "8361-8"),
    ("http://loinc.org", "75325-1"),
    *(
        ("http://snomed.info/sct", code)
        for code in (
            "40199007",
            "102538003",
            "33586001",
            "10904000",
            "422587007",
            "404640003",
            "25064002",
            "60862001",
            "81680005",
            "24982008",
            "409668002",
        )
    ),
    ("http://www.ama-assn.org/go/cpt", "62273"),
    *(("http://hl7.org/fhir/sid/icd-10-cm", c) for c in ("G96.02", "G96.811", "G97.0", "G97.1")),
    # Units of quantities, not concepts: UCUM minutes and millilitres.
    ("http://unitsofmeasure.org", "min"),
    ("http://unitsofmeasure.org", "mL"),
    # Day logs (issue 13): hours, litres, milligrams.
    ("http://unitsofmeasure.org", "h"),
    ("http://unitsofmeasure.org", "L"),
    ("http://unitsofmeasure.org", "mg"),
}


def codings(value):
    if isinstance(value, dict):
        if "system" in value and "code" in value:
            yield value["system"], value["code"]
        for item in value.values():
            yield from codings(item)
    elif isinstance(value, list):
        for item in value:
            yield from codings(item)


def fhir_bundle(year) -> dict:
    return json.loads(built(fhir_builder, year.data()))


def test_fhir_bundle_validates_and_holds_one_observation_per_rating(year):
    bundle = fhir_bundle(year)

    # fhir.resources validates R4B (4.3), which kept R4's shape for these resources.
    Bundle.model_validate(bundle)
    for item in bundle["entry"]:
        resource = item["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)

    by_type: dict[str, list[dict]] = {}
    for item in bundle["entry"]:
        by_type.setdefault(item["resource"]["resourceType"], []).append(item["resource"])
    assert bundle["type"] == "collection"
    assert len(by_type["Patient"]) == 1
    ratings = [o for o in by_type["Observation"] if "coding" in o["code"]]
    assert all(o["code"]["coding"][0]["code"] == "72514-3" for o in ratings)
    assert len(ratings) == year.entries
    assert len(by_type["Observation"]) == year.entries + year.day_logs + year.impressions
    assert len(by_type["Procedure"]) == year.treatments
    assert len(by_type["DetectedIssue"]) == year.flags
    full_urls = [item["fullUrl"] for item in bundle["entry"]]
    assert len(set(full_urls)) == len(full_urls)


def test_fhir_uses_only_codes_from_the_domain(year):
    assert set(codings(fhir_bundle(year))) <= DOMAIN_CODES


def test_fhir_observation_carries_posture_symptoms_and_the_rating(year):
    bundle = fhir_bundle(year)
    stored = {str(e.uuid): e for e in SymptomEntry.objects.filter(patient=year.patient)}
    posture_codes = {"lying": "102538003", "sitting": "33586001", "standing": "10904000"}
    observations = [
        i["resource"]
        for i in bundle["entry"]
        if i["resource"]["resourceType"] == "Observation" and "coding" in i["resource"]["code"]
    ]
    for observation in observations:
        entry = stored[observation["identifier"][0]["value"].removeprefix("urn:uuid:")]
        assert observation["valueInteger"] == entry.headache
        posture, *rest = observation["component"]
        assert posture["code"]["coding"][0]["code"] == "8361-8"
        assert posture["valueCodeableConcept"]["coding"][0]["code"] == posture_codes[entry.posture]
        symptoms = [c for c in rest if c["code"].get("coding", [{}])[0].get("code") == "75325-1"]
        assert len(symptoms) == len(entry.symptoms)
        effective = dt.datetime.fromisoformat(observation["effectiveDateTime"])
        assert effective == entry.recorded_at


def test_fhir_procedures_and_detected_issues_link_up(year):
    bundle = fhir_bundle(year)
    urls = {i["fullUrl"]: i["resource"] for i in bundle["entry"]}
    procedures = [r for r in urls.values() if r["resourceType"] == "Procedure"]
    patches = [p for p in procedures if p["code"]["text"] == "Epidural blood patch"]
    assert len(patches) == 2
    assert all(
        p["code"]["coding"] == [{"system": fhir_builder.CPT, "code": "62273"}] for p in patches
    )
    others = [p for p in procedures if p not in patches]
    assert all("coding" not in p["code"] for p in others), "no invented code for other kinds"
    for issue in (r for r in urls.values() if r["resourceType"] == "DetectedIssue"):
        implicated = urls[issue["implicated"][0]["reference"]]
        assert implicated["resourceType"] == "Procedure"
        evidence = [d["reference"] for e in issue["evidence"] for d in e["detail"]]
        assert evidence and all(urls[ref]["resourceType"] == "Observation" for ref in evidence)
        assert "not a diagnosis" in issue["detail"]


def test_sample_year_starts_where_the_tests_expect():
    assert YEAR_START.isoformat() == "2025-03-01"
