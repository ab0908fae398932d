"""Triggers, medications and PGIC answers: their codes and their words.

The codes are the API's (API.md "More to log"); the words are what the PDF,
the clinic pages and the CSV show, translatable like every user-facing text.
"""

from django.utils.translation import gettext_lazy as _

TRIGGERS: dict[str, str] = {
    "sitting_up": _("Sitting up"),
    "standing": _("Standing"),
    "walking": _("Walking"),
    "coughing_or_straining": _("Coughing or straining"),
    "lifting": _("Lifting"),
    "after_procedure": _("After a procedure"),
    "other": _("Other"),
}

MEDICATIONS: dict[str, str] = {
    "acetazolamide": _("Acetazolamide"),
    "paracetamol": _("Paracetamol"),
    "ibuprofen": _("Ibuprofen"),
    "nsaid_other": _("Other NSAID"),
    "opioid": _("Opioid"),
    "other": _("Other medication"),
}

# DOMAIN.md "Beyond the ratings": the 7-point PGIC, 1 best; 1 or 2 is a responder.
PGIC_ANSWERS: dict[int, str] = {
    1: _("Very much improved"),
    2: _("Much improved"),
    3: _("Minimally improved"),
    4: _("No change"),
    5: _("Minimally worse"),
    6: _("Much worse"),
    7: _("Very much worse"),
}

CHECKPOINTS: dict[str, str] = {
    "72h": _("72 hours"),
    "7d": _("7 days"),
    "other": _("Other time"),
}

DAY_LOG_FIELDS: dict[str, str] = {
    "upright_hours": _("Hours upright"),
    "longest_upright_minutes": _("Longest upright stretch (minutes)"),
    "bed_rest_hours": _("Hours of bed rest"),
    "fluids_l": _("Fluids (litres)"),
    "caffeine_mg": _("Caffeine (mg)"),
    "binder": _("Abdominal binder"),
    "medications": _("Medication"),
}


def trigger_label(code: str) -> str:
    return str(TRIGGERS.get(code, code))


def medication_label(code: str) -> str:
    return str(MEDICATIONS.get(code, code))


def pgic_label(score: int) -> str:
    return str(PGIC_ANSWERS.get(score, score))


def checkpoint_label(code: str) -> str:
    return str(CHECKPOINTS.get(code, code))
