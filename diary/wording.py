"""Treatments and flags in plain words, shared by the PDF export and the clinic pages.

One wording, so what a clinician reads on screen and in a printed export agree.
"""

from collections.abc import Sequence
from decimal import Decimal

from django.utils.translation import gettext as _

from diary.labels import checkpoint_label, pgic_label
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
    """The judgement's own plain-words account of the numbers behind a flag,
    then what the patient reported around it (quoted, never judged on)."""
    summary = str(evidence.get("summary", ""))
    context = flag_context_text(evidence.get("patient_reported"))
    return f"{summary} {context}".strip() if context else summary


def hours_text(value: float | None) -> str:
    return "-" if value is None else f"{value:g} h"


def pgic_answers_text(answers: Sequence[dict]) -> str:
    """'PGIC 72 hours: 2 (much improved); 7 days: 4 (no change)'."""
    parts = [
        f"{checkpoint_label(a['checkpoint'])}: {a['score']} ({pgic_label(a['score']).lower()})"
        for a in answers
    ]
    return _("PGIC %(answers)s") % {"answers": "; ".join(parts)} if parts else ""


def flag_context_text(context: dict | None) -> str:
    """The patient-reported context quoted beside a flag, in words."""
    if not context:
        return ""
    sentences = []
    hours = context.get("upright_hours", {})
    names = (
        ("before_treatment", _("in the week before the treatment")),
        ("after_treatment", _("in the week after")),
        ("before_flag", _("in the week up to the flag")),
    )
    parts = [
        _("%(hours)s %(when)s (%(days)s of 7 days logged)")
        % {
            "hours": hours_text(hours[name]["median_upright_hours"]),
            "when": when,
            "days": hours[name]["days_logged"],
        }
        for name, when in names
        if name in hours
    ]
    if parts:
        sentences.append(_("Upright a day (median): %(parts)s.") % {"parts": ", ".join(parts)})
    if answers := pgic_answers_text(context.get("pgic", [])):
        sentences.append(answers + ".")
    return " ".join(sentences)
