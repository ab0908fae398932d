"""The PDF a clinician reads in the ten minutes before the visit.

Page 1: who, which dates, the condition; the course chart (daily upright and
lying scores, every treatment and flag marked, and under it the hours upright
a day with bed-rest days marked); the treatments with the hours upright the
week before and after each, and the patient's PGIC answers. Then the flags
with their evidence in words, the most frequent symptoms, onset and relief
minutes, and the full diary in the patient's local time.

ReportLab's platypus lays out flowables page by page; the diary goes in as
many small tables (a month, cut into blocks) so no single table has to be
split across dozens of pages.
"""

import io
from collections.abc import Iterator
from datetime import date, datetime, time
from functools import cache
from itertools import groupby
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

import matplotlib
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    Image,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from diary.labels import trigger_label
from diary.wording import hours_text, lower_first
from exports.builders import Progress, no_progress
from exports.chart import ASPECT, course_chart_png
from exports.data import (
    BED_REST_DAY_HOURS,
    FLAG_STATUS_LABELS,
    POSTURE_LABELS,
    DayLogRow,
    ExportData,
)
from exports.summary import (
    ORTHOSTATIC_MINUTES,
    MinutesSummary,
    day_scores,
    onset_summary,
    relief_summary,
    symptom_counts,
    symptom_label,
)

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 14 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
ROWS_PER_BLOCK = 40
DIARY_COLUMNS = (  # header, width in mm (fits the bold header at 7.5 pt)
    ("Date", 13),
    ("Time", 10),
    ("Posture", 15),
    ("Headache", 17),
    ("In posture", 18),
    ("Onset", 14),
    ("Relief", 14),
    ("Symptoms", 41),
    ("Note", 40),
)
GRID = colors.HexColor("#cccccc")
HEADER_BG = colors.HexColor("#e8edf3")
TREATMENT_BG = colors.HexColor("#fff3d6")
DAY_LOG_BG = colors.HexColor("#eef7f0")
MUTED = colors.HexColor("#555555")
DAY_REPEAT = colors.HexColor("#aaaaaa")
DASH = "\u2013"  # typographic en dash, for ranges and empty cells


@cache
def _fonts() -> tuple[str, str]:
    """DejaVu Sans (shipped with matplotlib): unlike the PDF core fonts it covers
    accented, Greek and Cyrillic letters, which patients' notes contain."""
    font_dir = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont("DiarySans", str(font_dir / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DiarySans-Bold", str(font_dir / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(
        "DiarySans", normal="DiarySans", bold="DiarySans-Bold", italic="DiarySans",
        boldItalic="DiarySans-Bold",
    )  # fmt: skip
    return "DiarySans", "DiarySans-Bold"


@cache
def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = _fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=11.5, alignment=TA_LEFT)
    return {
        "base": base,
        "title": ParagraphStyle("title", base, fontName=bold, fontSize=16, leading=20),
        "subtitle": ParagraphStyle("subtitle", base, textColor=MUTED, spaceAfter=4),
        "h2": ParagraphStyle(
            "h2",
            base,
            fontName=bold,
            fontSize=11.5,
            leading=14,
            spaceBefore=8,
            spaceAfter=4,
            keepWithNext=1,
        ),
        "h3": ParagraphStyle(
            # No keepWithNext: it would move a month's whole first block to the
            # next page; a CondPageBreak before the heading does the job.
            "h3",
            base,
            fontName=bold,
            fontSize=9.5,
            leading=12,
            spaceBefore=6,
            spaceAfter=2,
        ),
        "small": ParagraphStyle("small", base, fontSize=7.5, leading=9),
        "note": ParagraphStyle("note", base, fontSize=8, leading=10, textColor=MUTED),
        "cell": ParagraphStyle("cell", base, fontSize=7.3, leading=8.6),
    }


def _p(text: str, style: str = "base") -> Paragraph:
    return Paragraph(text, _styles()[style])


def _text(value: str) -> str:
    """Patient text into ReportLab's mini-markup: escaped, line breaks kept."""
    return escape(value).replace("\n", "<br/>")


def _day(value: date) -> str:
    return f"{value:%a} {value.day} {value:%b %Y}"


def _moment(data: ExportData, moment: datetime) -> str:
    local = data.local(moment)
    return f"{local.day} {local:%b %Y %H:%M}"


def _table_style(*extra) -> TableStyle:
    regular, bold = _fonts()
    return TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), regular, 7.5),
            ("FONT", (0, 0), (-1, 0), bold, 7.5),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, GRID),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
            *extra,
        ]
    )


# --- page 1 ---------------------------------------------------------------------


def _period(data: ExportData) -> str:
    first, last = data.first_day(), data.last_day()
    if first is None or last is None:
        return "no records"
    return f"{_day(first)} {DASH} {_day(last)} ({(last - first).days + 1} days)"


def _header(data: ExportData) -> list:
    days_logged = len({data.local(e.recorded_at).date() for e in data.entries})
    open_flags = sum(1 for f in data.flags if f.status != "resolved")
    bold = _fonts()[1]
    facts = [
        ("Patient", data.display_name),
        ("Condition", data.condition_label),
        ("Period", _period(data)),
        ("Time zone", f"{data.timezone} (all times below are the patient's local time)"),
        ("Diary", f"{len(data.entries)} entries on {days_logged} days"),
        ("Treatments", str(len(data.treatments))),
        ("Flags", f"{open_flags} not resolved, {len(data.flags)} in all"),
    ]
    table = Table(
        [[label, _p(_text(value))] for label, value in facts],
        colWidths=[28 * mm, CONTENT_WIDTH - 28 * mm],
        style=TableStyle(
            [
                ("FONT", (0, 0), (0, -1), bold, 9),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
        hAlign="LEFT",
    )
    return [
        _p(_text(data.display_name), "title"),
        _p(
            f"CSF leak symptom diary · {escape(data.clinic_name)} · generated "
            f"{_moment(data, data.generated_at)}",
            "subtitle",
        ),
        table,
        Spacer(1, 3 * mm),
    ]


def _chart(data: ExportData) -> list:
    png = course_chart_png(data, day_scores(data))
    height = CONTENT_WIDTH * ASPECT
    return [
        _p("Course: daily headache score and hours upright, treatments and flags", "h3"),
        Image(io.BytesIO(png), width=CONTENT_WIDTH, height=height),
        _p(
            "Top: daily median of the day's ratings in each posture (the score the flags are "
            "judged on); gaps are days without ratings. Dashed lines: treatments. "
            "Markers above the scale: the day a flag's evidence was complete. "
            f"Bottom: hours upright a day from the patient's day logs ({len(data.day_logs)} "
            f"days logged); grey bars are bed-rest days ({BED_REST_DAY_HOURS} h or more in "
            "bed), where a low headache score may only mean a day lying down.",
            "note",
        ),
    ]


def _treatments(data: ExportData) -> list:
    flowables: list = [_p("Treatments", "h2")]
    if not data.treatments:
        return [*flowables, _p("No treatments recorded in this period.")]
    rows = [
        [
            "Date",
            "Treatment",
            _p("<b>Upright a day</b><br/>week before \u2192 after", "cell"),
            _p("<b>Patient's verdict</b> (PGIC)", "cell"),
            "Note",
        ]
    ]
    for t in data.treatments:
        before, after = data.upright_before_after(t.performed_at)
        upright = (
            f"{hours_text(before.median_hours)} \u2192 {hours_text(after.median_hours)}"
            f"<br/>({before.days_logged} + {after.days_logged} of 14 days logged)"
            if before.days_logged or after.days_logged
            else DASH
        )
        rows.append(
            [
                _moment(data, t.performed_at),
                _p(escape(t.describe()), "cell"),
                _p(upright, "cell"),
                _p(escape(data.pgic_text(t.id).removeprefix("PGIC ")) or DASH, "cell"),
                _p(_text(t.note), "cell") if t.note else "",
            ]
        )
    widths = [27 * mm, 47 * mm, 30 * mm, 42 * mm]
    widths.append(CONTENT_WIDTH - sum(widths))
    flowables.append(Table(rows, colWidths=widths, repeatRows=1, style=_table_style()))
    flowables.append(
        _p(
            "Upright a day: median hours upright over the logged days in the 7 days before "
            "the treatment's day and days 1\u20137 after it. PGIC: 1 very much improved, "
            "4 no change, 7 very much worse.",
            "note",
        )
    )
    return flowables


def _flags(data: ExportData) -> list:
    flowables: list = [
        _p("Flags", "h2"),
        _p(
            "Flags ask a clinician to look at a treatment's course; they are not a diagnosis.",
            "note",
        ),
    ]
    if not data.flags:
        return [*flowables, _p("No flags were raised for the treatments in this period.")]
    treatments = {t.id: t for t in data.treatments}
    open_first = sorted(data.flags, key=lambda f: (f.status == "resolved", f.proven_at))
    for flag in open_first:
        treatment = treatments.get(flag.treatment_id)
        after = (
            f"after the {escape(lower_first(treatment.describe()))} of "
            f"{_moment(data, treatment.performed_at)}"
            if treatment
            else "after an earlier treatment"
        )
        status = FLAG_STATUS_LABELS.get(flag.status, flag.status).lower()
        lines = [
            f"<b>{escape(flag.kind_label)}</b> ({status}) {after}; evidence complete "
            f"{_moment(data, flag.proven_at)}.",
            _text(flag.summary),
        ]
        if pgic := data.pgic_text(flag.treatment_id):
            lines.append(f"Patient's verdict: {escape(pgic)}.")
        if not flag.still_supported:
            lines.append("<i>The entries that proved it have since been edited or deleted.</i>")
        if flag.resolution_note:
            lines.append(f"Resolution note: {_text(flag.resolution_note)}")
        flowables.append(KeepTogether([_p("<br/>".join(lines)), Spacer(1, 2 * mm)]))
    return flowables


def _symptoms(data: ExportData) -> list:
    flowables: list = [_p("Most frequent symptoms", "h2")]
    counts = symptom_counts(data)
    if not counts:
        return [*flowables, _p("No symptoms ticked in this period.")]
    total = len(data.entries)
    rows = [["Symptom", "Entries", "Share of entries"]]
    rows += [[symptom_label(s), str(n), f"{100 * n / total:.0f} %"] for s, n in counts[:10]]
    flowables.append(
        Table(
            rows,
            colWidths=[50 * mm, 20 * mm, 30 * mm],
            hAlign="LEFT",
            style=_table_style(("ALIGN", (1, 0), (-1, -1), "RIGHT")),
        )
    )
    return flowables


def _minutes_row(label: str, summary: MinutesSummary) -> list[str]:
    if not summary.count:
        return [label, "0", DASH, DASH, DASH]
    return [
        label,
        str(summary.count),
        f"{summary.median:g} min",
        f"{summary.low}{DASH}{summary.high} min",
        f"{summary.within_orthostatic} of {summary.count}",
    ]


def _onset_relief(data: ExportData) -> list:
    rows = [
        ["", "Entries", "Median", "Range", f"Within {ORTHOSTATIC_MINUTES} min"],
        _minutes_row("Onset after getting up", onset_summary(data)),
        _minutes_row("Relief after lying down", relief_summary(data)),
    ]
    return [
        _p("Onset and relief (rising manoeuvre)", "h2"),
        Table(
            rows,
            colWidths=[45 * mm, 18 * mm, 20 * mm, 25 * mm, 28 * mm],
            hAlign="LEFT",
            style=_table_style(("ALIGN", (1, 0), (-1, -1), "RIGHT")),
        ),
        _p(
            f"“Purely orthostatic”: onset within {ORTHOSTATIC_MINUTES} minutes upright and "
            f"relief within {ORTHOSTATIC_MINUTES} minutes lying down. Only entries where the "
            "patient logged these minutes count.",
            "note",
        ),
    ]


# --- the full diary ---------------------------------------------------------------


def _day_log_text(log: DayLogRow) -> str:
    parts = []
    for label, value, unit in (
        ("upright", log.upright_hours, " h"),
        ("longest upright", log.longest_upright_minutes, " min"),
        ("bed rest", log.bed_rest_hours, " h"),
        ("fluids", log.fluids_l, " L"),
        ("caffeine", log.caffeine_mg, " mg"),
    ):
        if value is not None:
            number = f"{value.normalize():f}" if hasattr(value, "normalize") else str(value)
            parts.append(f"{label} {number}{unit}")
    if log.binder is not None:
        parts.append("binder worn" if log.binder else "no binder")
    if log.medications:
        parts.append(escape(log.medications_text()))
    text = "<b>Day log:</b> " + (", ".join(parts) or DASH)
    if log.bed_rest_day:
        text += " <b>(bed-rest day)</b>"
    if log.note:
        text += f" — {_text(log.note)}"
    return text


def _diary_rows(data: ExportData) -> Iterator[tuple[date, list, str]]:
    """(local day, row, kind), entries, treatments and day logs in time order
    ("treatment", "day_log" or "entry"; a day log closes its day)."""
    items = [(data.local(e.recorded_at), 1, e) for e in data.entries]
    items += [(data.local(t.performed_at), 0, t) for t in data.treatments]
    items += [(datetime.combine(g.date, time.max, data.zone), 2, g) for g in data.day_logs]
    items.sort(key=lambda item: (item[0], item[1]))
    for local, order, item in items:
        if order == 2:
            yield local.date(), ["", _p(_day_log_text(item), "cell")], "day_log"
        elif order == 0:
            text = f"<b>Treatment:</b> {escape(item.describe())}"
            if item.note:
                text += f" — {_text(item.note)}"
            yield local.date(), [local.strftime("%H:%M"), _p(text, "cell")], "treatment"
        else:
            yield local.date(), _entry_cells(local, item), "entry"


def _entry_cells(local: datetime, item) -> list:
    symptoms = ", ".join(
        [symptom_label(s) for s in item.symptoms]
        + [f"after {trigger_label(t).lower()}" for t in item.triggers]
    )
    return [
        local.strftime("%H:%M"),
        POSTURE_LABELS.get(item.posture, item.posture),
        f"{item.headache}/10",
        "" if item.minutes_in_posture is None else f"{item.minutes_in_posture} min",
        "" if item.onset_minutes is None else f"{item.onset_minutes} min",
        "" if item.relief_minutes is None else f"{item.relief_minutes} min",
        _p(escape(symptoms), "cell") if symptoms else "",
        _p(_text(item.note), "cell") if item.note else "",
    ]


def _diary_block(rows: list[tuple[date, list, str]]) -> Table:
    """One block of diary rows. Every row names its day (a block split across
    pages must not leave rows without one); the day's first row in bold."""
    body, extra = [], []
    previous_day = None
    for n, (day, row, kind) in enumerate(rows, start=1):
        day_text = f"{day:%a} {day.day}"
        if day == previous_day:
            extra.append(("TEXTCOLOR", (0, n), (0, n), DAY_REPEAT))
            extra.append(("FONT", (0, n), (0, n), _fonts()[0], 7.5))
        previous_day = day
        if kind != "entry":
            background = TREATMENT_BG if kind == "treatment" else DAY_LOG_BG
            body.append([day_text, row[0], row[1], *[""] * 6])
            extra += [("SPAN", (2, n), (-1, n)), ("BACKGROUND", (0, n), (-1, n), background)]
        else:
            body.append([day_text, *row])
    bold = _fonts()[1]
    return Table(
        [[h for h, _ in DIARY_COLUMNS], *body],
        colWidths=[w * mm for _, w in DIARY_COLUMNS],
        repeatRows=1,
        style=_table_style(("FONT", (0, 1), (0, -1), bold, 7.5), *extra),
    )


def _diary(data: ExportData) -> list:
    flowables: list = [
        CondPageBreak(60 * mm),
        _p(f"Full diary (local time, {escape(data.timezone)})", "h2"),
    ]
    if not data.entries and not data.treatments and not data.day_logs:
        return [*flowables, _p("Nothing was logged in this period.")]
    for (year, month), month_rows in groupby(
        _diary_rows(data), key=lambda r: (r[0].year, r[0].month)
    ):
        rows = list(month_rows)
        flowables.append(CondPageBreak(30 * mm))
        flowables.append(_p(f"{date(year, month, 1):%B %Y}", "h3"))
        for start in range(0, len(rows), ROWS_PER_BLOCK):
            flowables.append(_diary_block(rows[start : start + ROWS_PER_BLOCK]))
    return flowables


# --- the document -----------------------------------------------------------------


def build(data: ExportData, out: BinaryIO, on_progress: Progress = no_progress) -> None:
    _fonts()
    story = [*_header(data), *_chart(data), *_treatments(data)]
    on_progress(0.15)
    story += [*_flags(data), *_symptoms(data), *_onset_relief(data), *_diary(data)]
    on_progress(0.3)
    expected_pages = 3 + (len(data.entries) + len(data.treatments)) / 55
    footer = f"{data.display_name} · {_period(data)} · times in {data.timezone}"

    def on_page(canvas, doc):
        regular, _ = _fonts()
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, 8 * mm, footer)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 8 * mm, f"page {doc.page}")
        canvas.restoreState()
        on_progress(min(0.99, 0.3 + 0.7 * doc.page / expected_pages))

    doc = BaseDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"Symptom diary: {data.display_name}",
        author="CSF leak symptom diary",
        subject=_period(data),
    )
    frame = Frame(MARGIN, MARGIN, CONTENT_WIDTH, PAGE_HEIGHT - 2 * MARGIN, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=on_page)])
    doc.build(story)
    on_progress(1.0)
