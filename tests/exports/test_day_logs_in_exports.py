"""Day logs, PGIC answers and triggers where clinicians look: the PDF's first
page (text and drawing), the CSV's columns, the FHIR bundle."""

import datetime as dt
import io
import json
from collections import Counter

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader

from diary.models import DayLog, Impression
from exports.builders import csv as csv_builder
from exports.builders import fhir as fhir_builder
from exports.builders import pdf as pdf_builder
from exports.chart import ASPECT, BED_REST_COLOUR, HOURS_COLOUR, course_chart_svg
from exports.summary import day_scores
from tests.exports.test_builders import built, read_csv
from tests.factories import EntryFactory

pytestmark = pytest.mark.django_db


def page_one(year):
    data = year.data()
    reader = PdfReader(io.BytesIO(built(pdf_builder, data)))
    return data, reader.pages[0]


def test_page_one_tells_upright_hours_before_and_after_each_treatment_and_the_pgic(year):
    data, first = page_one(year)
    text = first.extract_text().replace("\n", " ")

    assert "daily headache score and hours upright" in text
    assert f"({len(data.day_logs)} days logged)" in text
    for treatment in data.treatments:
        before, after = data.upright_before_after(treatment.performed_at)
        assert f"{before.median_hours:g} h → {after.median_hours:g} h" in text
    # The first patch: much improved at 72 h, minimally worse at 7 days (it relapsed).
    assert "72 hours: 2 (much improved); 7 days: 5 (minimally worse)" in text


def test_page_one_draws_the_upright_hours_panel_under_the_scores(year):
    _, first = page_one(year)
    (chart,) = first.images
    image = chart.image.convert("RGB")
    width, height = image.size
    assert abs(height / width - ASPECT) < 0.02, "the chart grew to hold the panel"

    def colour(hex_code):
        return tuple(int(hex_code[i : i + 2], 16) for i in (1, 3, 5))

    # The panel is the lower part of the figure: count its bar colours there.
    def colours_in(box) -> Counter:
        return Counter({c: n for n, c in image.crop(box).getcolors(maxcolors=1 << 24)})

    lower = colours_in((0, int(height * 0.68), width, height))
    upper = colours_in((0, 0, width, int(height * 0.6)))
    assert lower[colour(HOURS_COLOUR)] > 2000
    assert lower[colour(BED_REST_COLOUR)] > 500, "bed-rest days are marked"
    assert upper[colour(HOURS_COLOUR)] == 0, "the bars are only in the panel"


def test_flags_show_the_patients_verdict(year):
    data = year.data()
    reader = PdfReader(io.BytesIO(built(pdf_builder, data)))
    text = "\n".join(page.extract_text() for page in reader.pages).replace("\n", " ")
    flags = text[text.index("Flags Flags ask") : text.index("Most frequent symptoms")]

    assert flags.count("Patient's verdict: PGIC") == len(data.flags)


def test_the_full_diary_holds_each_day_log(year):
    data = year.data(date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 3, 31))
    reader = PdfReader(io.BytesIO(built(pdf_builder, data)))
    text = "\n".join(page.extract_text() for page in reader.pages)

    assert text.count("Day log:") == len(data.day_logs) > 15


def test_the_clinic_chart_has_the_same_panel(year):
    data = year.data()
    svg = course_chart_svg(data, day_scores(data))

    assert "Hours upright a day (day log)" in svg
    assert "Bed-rest day (12 h or more in bed)" in svg


def test_csv_rows_for_day_logs_and_answers_carry_their_columns(year):
    EntryFactory(
        patient=year.patient,
        recorded_at=dt.datetime(2025, 3, 2, 12, tzinfo=dt.UTC),
        triggers=["sitting_up", "coughing_or_straining"],
    )
    rows = read_csv(built(csv_builder, year.data()))

    logs = {row["id"]: row for row in rows if row["record_type"] == "day_log"}
    answers = {row["id"]: row for row in rows if row["record_type"] == "impression"}
    assert len(logs) == year.day_logs and len(answers) == year.impressions
    for log in DayLog.objects.filter(patient=year.patient)[:50]:
        row = logs[str(log.uuid)]
        assert row["date"] == log.date.isoformat()
        assert row["local_time"] == row["utc_time"] == ""
        assert float(row["upright_hours"]) == float(log.upright_hours)
        assert float(row["bed_rest_hours"]) == float(log.bed_rest_hours)
        assert row["binder"] == str(log.binder).lower()
        expected = "; ".join("Paracetamol 1 g" for _ in log.medications)
        assert row["medications"] == expected
    for answer in Impression.objects.filter(patient=year.patient).select_related("treatment"):
        row = answers[str(answer.uuid)]
        assert (row["treatment_id"], row["checkpoint"], row["pgic_score"]) == (
            str(answer.treatment.uuid),
            answer.checkpoint,
            str(answer.score),
        )
    [triggered] = [r for r in rows if r["triggers"]]
    assert triggered["triggers"] == "sitting_up; coughing_or_straining"
    # A day log closes its day: it comes after that day's entries.
    position = {id(row): n for n, row in enumerate(rows)}
    for day, log_row in list({r["date"]: r for r in logs.values()}.items())[:30]:
        same_day = [r for r in rows if r["local_time"].startswith(day)]
        assert all(position[id(r)] < position[id(log_row)] for r in same_day)


def test_fhir_observations_for_day_logs_and_answers_validate_without_invented_codes(year):
    bundle = json.loads(built(fhir_builder, year.data()))
    Bundle.model_validate(bundle)
    urls = {item["fullUrl"]: item["resource"] for item in bundle["entry"]}

    observations = [r for r in urls.values() if r["resourceType"] == "Observation"]
    day_logs = [r for r in observations if r["code"].get("text", "").startswith("Day log")]
    answers = [r for r in observations if r["code"].get("text", "").startswith("Patient Global")]
    assert len(day_logs) == year.day_logs and len(answers) == year.impressions
    for resource in day_logs + answers:
        get_fhir_model_class("Observation").model_validate(resource)
        assert "coding" not in resource["code"], "no verified code: text only"
    hours = day_logs[0]["component"][0]
    assert hours["code"] == {"text": "Hours upright"}
    assert hours["valueQuantity"]["code"] == "h"
    for answer in answers:
        assert urls[answer["focus"][0]["reference"]]["resourceType"] == "Procedure"
        assert 1 <= answer["valueInteger"] <= 7
