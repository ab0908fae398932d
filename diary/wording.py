"""Treatments and flags in plain words, shared by the PDF export and the clinic pages.

One wording, so what a clinician reads on screen and in a printed export agree.
"""

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.utils.formats import date_format

from diary.models import Approach, TreatmentKind

KIND_LABELS = dict(TreatmentKind.choices)
APPROACH_LABELS = dict(Approach.choices)


def treatment_description(
    *, kind: str, approach: str | None, levels: Sequence[str], volume_ml: Decimal | None
) -> str:
    """'Epidural blood patch, targeted, C6/C7, 15 mL'."""
    parts = [KIND_LABELS.get(kind, kind)]
    if approach:
        parts.append(APPROACH_LABELS.get(approach, approach).lower())
    if levels:
        parts.append(" + ".join(levels))
    if volume_ml is not None:
        parts.append(f"{Decimal(volume_ml).normalize():f} mL")
    return ", ".join(parts)


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def days_in_locale_format(text: str) -> str:
    """The judgement words its days as 2026-11-22: the pages show them in the locale's
    one date format, like every other date there."""

    def local(match: re.Match) -> str:
        try:
            day = date(*(int(part) for part in match.groups()))
        except ValueError:
            return match.group(0)
        return date_format(day, "DATE_FORMAT")

    return ISO_DAY.sub(local, text)


def flag_evidence_text(evidence: dict) -> str:
    """The judgement's own plain-words account of the numbers behind a flag."""
    return str(evidence.get("summary", ""))
