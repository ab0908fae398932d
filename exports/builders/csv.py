"""One CSV file: every entry and treatment of the range, oldest first.

One file (not a zip) so it opens straight in a spreadsheet; `record_type`
says which columns apply. UTF-8 with a byte-order mark (so Excel reads it as
UTF-8), comma-separated, CRLF line ends, RFC 4180 quoting. Times are given in
the patient's local time (with its UTC offset) and in UTC, both as
`YYYY-MM-DD HH:MM:SS`, which spreadsheets parse as date-times.
"""

import codecs
import csv
import io
import re
from datetime import UTC, datetime
from typing import BinaryIO

from exports.builders import Progress, no_progress
from exports.data import ExportData

COLUMNS = (
    "record_type",  # "entry" or "treatment"
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
    "note",
)
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


def _times(data: ExportData, moment: datetime) -> list[str]:
    local = data.local(moment)
    offset = local.strftime("%z")
    return [
        local.strftime(TIME_FORMAT),
        f"{offset[:3]}:{offset[3:]}",
        moment.astimezone(UTC).strftime(TIME_FORMAT),
        data.timezone,
    ]


def build(data: ExportData, out: BinaryIO, on_progress: Progress = no_progress) -> None:
    out.write(codecs.BOM_UTF8)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    # Merge the two time-ordered lists: treatments appear where they happened.
    entries, treatments = data.entries, data.treatments
    total = max(1, len(entries) + len(treatments))
    i = j = 0
    while i < len(entries) or j < len(treatments):
        if j < len(treatments) and (
            i == len(entries) or treatments[j].performed_at <= entries[i].recorded_at
        ):
            t = treatments[j]
            writer.writerow(
                ["treatment", t.id, *_times(data, t.performed_at)]
                + [""] * 6
                + [
                    t.kind,
                    _blank(t.approach),
                    "; ".join(t.levels),
                    "" if t.volume_ml is None else f"{t.volume_ml.normalize():f}",
                    _text(t.note),
                ]
            )
            j += 1
        else:
            e = entries[i]
            writer.writerow(
                [
                    "entry",
                    e.id,
                    *_times(data, e.recorded_at),
                    e.posture,
                    e.headache,
                    _blank(e.minutes_in_posture),
                    _blank(e.onset_minutes),
                    _blank(e.relief_minutes),
                    "; ".join(e.symptoms),
                    "",
                    "",
                    "",
                    "",
                    _text(e.note),
                ]
            )
            i += 1
        if (i + j) % 500 == 0:
            on_progress((i + j) / total)
    text.flush()
    text.detach()  # leave `out` open for the caller
    on_progress(1.0)
