"""One CSV file: every entry, treatment, day log and PGIC answer of the range,
oldest first (a day log after its day's other rows).

One file (not a zip) so it opens straight in a spreadsheet; `record_type`
says which columns apply (docs/exports.md lists them). UTF-8 with a
byte-order mark (so Excel reads it as UTF-8), comma-separated, CRLF line
ends, RFC 4180 quoting. Times are given in the patient's local time (with
its UTC offset) and in UTC, both as `YYYY-MM-DD HH:MM:SS`, which spreadsheets parse as date-times.
"""

import codecs
import csv
import heapq
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import BinaryIO

from exports.builders import Progress, no_progress
from exports.data import DayLogRow, EntryRow, ExportData, ImpressionRow, TreatmentRow

COLUMNS = (
    "record_type",  # "entry", "treatment", "day_log" or "impression"
    "id",
    "local_time",  # in the patient's time zone
    "utc_offset",  # of local_time, e.g. +01:00
    "utc_time",
    "time_zone",  # the patient's IANA zone
    "posture",  # entry: lying | sitting | standing
    "headache",  # entry: 0-10
    "minutes_in_posture",  # entry
    "onset_minutes",  # entry, upright: minutes upright before the headache began
    "relief_minutes",  # entry, lying: minutes lying before it eased
    "symptoms",  # entry: codes separated by "; "
    "treatment_kind",  # treatment
    "approach",  # treatment: blind | targeted
    "levels",  # treatment: spinal levels separated by "; "
    "volume_ml",  # treatment
    "triggers",  # entry: trigger codes separated by "; "
    "date",  # day_log: the patient's local day
    "upright_hours",  # day_log
    "longest_upright_minutes",  # day_log
    "bed_rest_hours",  # day_log
    "fluids_l",  # day_log
    "caffeine_mg",  # day_log
    "binder",  # day_log: true | false | empty when not logged
    "medications",  # day_log: "name dose (note)" separated by "; "
    "treatment_id",  # impression: the id of the treatment it is about
    "checkpoint",  # impression: 72h | 7d | other
    "pgic_score",  # impression: 1 very much improved ... 7 very much worse
    "note",
)
INDEX = {name: i for i, name in enumerate(COLUMNS)}
# A note beginning like a formula would run in a spreadsheet (CSV injection):
# such notes get a leading apostrophe, which spreadsheets show as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Where the list separator is ";" (German, Swiss, French locales) or a tab, a
# spreadsheet may split a note there, quotes or not: ";=1+1" would start a
# formula cell. The part after such a separator is defused the same way.
_FORMULA_AFTER_SEPARATOR = re.compile(r"([;\t])(?=[=+\-@])")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _text(value: str) -> str:
    value = _FORMULA_AFTER_SEPARATOR.sub(r"\1'", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _blank(value) -> str:
    return "" if value is None else str(value)


def _number(value) -> str:
    return "" if value is None else f"{value.normalize():f}"


def _times(data: ExportData, moment: datetime) -> list[str]:
    local = data.local(moment)
    offset = local.strftime("%z")
    return [
        local.strftime(TIME_FORMAT),
        f"{offset[:3]}:{offset[3:]}",
        moment.astimezone(UTC).strftime(TIME_FORMAT),
        data.timezone,
    ]


def _row(**values) -> list:
    row = [""] * len(COLUMNS)
    for name, value in values.items():
        row[INDEX[name]] = value
    return row


def _entry_row(data: ExportData, e: EntryRow) -> list:
    local, offset, utc, zone = _times(data, e.recorded_at)
    return _row(
        record_type="entry", id=e.id, local_time=local, utc_offset=offset, utc_time=utc,
        time_zone=zone, posture=e.posture, headache=e.headache,
        minutes_in_posture=_blank(e.minutes_in_posture), onset_minutes=_blank(e.onset_minutes),
        relief_minutes=_blank(e.relief_minutes), symptoms="; ".join(e.symptoms),
        triggers="; ".join(e.triggers), note=_text(e.note),
    )  # fmt: skip


def _treatment_row(data: ExportData, t: TreatmentRow) -> list:
    local, offset, utc, zone = _times(data, t.performed_at)
    return _row(
        record_type="treatment", id=t.id, local_time=local, utc_offset=offset, utc_time=utc,
        time_zone=zone, treatment_kind=t.kind, approach=_blank(t.approach),
        levels="; ".join(t.levels), volume_ml=_number(t.volume_ml), note=_text(t.note),
    )  # fmt: skip


def _day_log_row(data: ExportData, log: DayLogRow) -> list:
    return _row(
        record_type="day_log", id=log.id, time_zone=data.timezone, date=log.date.isoformat(),
        upright_hours=_number(log.upright_hours),
        longest_upright_minutes=_blank(log.longest_upright_minutes),
        bed_rest_hours=_number(log.bed_rest_hours), fluids_l=_number(log.fluids_l),
        caffeine_mg=_blank(log.caffeine_mg),
        binder="" if log.binder is None else str(log.binder).lower(),
        medications=_text(log.medications_text()), note=_text(log.note),
    )  # fmt: skip


def _impression_row(data: ExportData, i: ImpressionRow) -> list:
    local, offset, utc, zone = _times(data, i.answered_at)
    return _row(
        record_type="impression", id=i.id, local_time=local, utc_offset=offset, utc_time=utc,
        time_zone=zone, treatment_id=i.treatment_id, checkpoint=i.checkpoint,
        pgic_score=i.score, note=_text(i.note),
    )  # fmt: skip


def _rows(data: ExportData) -> Iterator[list]:
    """Every record in time order, merged from the time-ordered lists as they
    stream (a treatment before an entry of the same moment, as before)."""
    zone = data.zone

    def end_of(day) -> datetime:  # a day log closes its local day
        start = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
        return start.astimezone(UTC) - timedelta(microseconds=1)

    streams = (
        ((t.performed_at, 0, n, t) for n, t in enumerate(data.treatments)),
        ((e.recorded_at, 1, n, e) for n, e in enumerate(data.entries)),
        ((i.answered_at, 2, n, i) for n, i in enumerate(data.impressions)),
        ((end_of(log.date), 3, n, log) for n, log in enumerate(data.day_logs)),
    )
    builders = (_treatment_row, _entry_row, _impression_row, _day_log_row)
    for _, kind, _, record in heapq.merge(*streams):
        yield builders[kind](data, record)


def build(data: ExportData, out: BinaryIO, on_progress: Progress = no_progress) -> None:
    out.write(codecs.BOM_UTF8)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    total = max(
        1, len(data.entries) + len(data.treatments) + len(data.day_logs) + len(data.impressions)
    )
    for n, row in enumerate(_rows(data), 1):
        writer.writerow(row)
        if n % 500 == 0:
            on_progress(n / total)
    text.flush()
    text.detach()  # leave `out` open for the caller
    on_progress(1.0)
