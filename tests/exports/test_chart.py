"""The course chart as SVG for the clinic pages: the same figure as the PDF's PNG."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from exports.chart import course_chart_png, course_chart_svg
from exports.data import EntryRow, ExportData, FlagRow, TreatmentRow
from exports.summary import day_scores

START = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)


def _data(days: int = 6) -> ExportData:
    entries = [
        EntryRow(f"e{d}{p}", START + dt.timedelta(days=d, hours=h), p, score, None, None, None,
                 (), "")
        for d in range(days)
        for p, h, score in (("standing", 0, 8 if d < 2 else 2), ("lying", 3, 1))
    ]  # fmt: skip
    patch = TreatmentRow("t1", START + dt.timedelta(days=1, hours=5), "epidural_blood_patch",
                         "blind", ("L3/L4",), Decimal("20.0"), "")  # fmt: skip
    flag = FlagRow("f1", "t1", "no_response", "open", START, START + dt.timedelta(days=4),
                   True, None, "", {"summary": "x"})  # fmt: skip
    return ExportData(
        patient_id="p", display_name="P", timezone="Europe/Zurich", condition="pdph",
        clinic_name="C", date_from=None, date_to=None, generated_at=timezone.now(),
        entries=entries, treatments=[patch], flags=[flag],
    )  # fmt: skip


def test_svg_is_inline_markup_with_the_treatment_and_flag_legend_as_text():
    data = _data()
    svg = course_chart_svg(data, day_scores(data))

    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg  # embeddable in a page
    assert "EBP blind L3/L4" in svg  # text stays text: readable, searchable
    assert "No-response flag" in svg
    assert "Upright (sitting/standing)" in svg


def test_svg_is_the_same_for_the_same_diary():
    data = _data()
    assert course_chart_svg(data, day_scores(data)) == course_chart_svg(data, day_scores(data))


def test_png_still_renders_from_the_same_figure():
    data = _data()
    assert course_chart_png(data, day_scores(data), dpi=50).startswith(b"\x89PNG")


def test_a_one_day_diary_gets_a_day_wide_axis_not_a_degenerate_one(recwarn):
    data = _data(days=1)
    course_chart_svg(data, day_scores(data))
    assert not [w for w in recwarn if "singular" in str(w.message)]


def test_svg_has_no_inline_styles_for_the_pages_content_security_policy():
    from xml.etree import ElementTree

    svg = course_chart_svg(_data(), day_scores(_data()))

    assert " style=" not in svg and "<style" not in svg
    assert 'fill="#c0392b"' in svg or 'stroke="#c0392b"' in svg  # the upright line's colour
    ElementTree.fromstring(svg)  # noqa: S314 - our own markup; well-formed, no attribute twice
