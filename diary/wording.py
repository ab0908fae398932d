"""Treatments and flags in plain words, shared by the PDF export and the clinic pages.

One wording, so what a clinician reads on screen and in a printed export agree.
"""

from collections.abc import Sequence
from decimal import Decimal

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


def flag_evidence_text(evidence: dict) -> str:
    """The judgement's own plain-words account of the numbers behind a flag."""
    return str(evidence.get("summary", ""))
