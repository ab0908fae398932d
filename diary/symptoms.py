"""The symptoms a patient can tick, besides the headache rating, and their names in words."""

from django.utils.translation import gettext_lazy as _

SYMPTOM_LABELS = {
    "nausea": _("Nausea"),
    "vomiting": _("Vomiting"),
    "neck_pain": _("Neck pain"),
    "tinnitus": _("Tinnitus"),
    "muffled_hearing": _("Muffled hearing"),
    "dizziness": _("Dizziness"),
    "imbalance": _("Imbalance"),
    "visual_disturbance": _("Visual disturbance"),
    "diplopia": _("Diplopia"),
    "photophobia": _("Photophobia"),
    "phonophobia": _("Phonophobia"),
    "cognitive_fog": _("Cognitive fog"),
    "back_pain": _("Back pain"),
    "interscapular_pain": _("Interscapular pain"),
    "arm_pain_or_numbness": _("Arm pain or numbness"),
    "facial_numbness": _("Facial numbness"),
    "taste_change": _("Taste change"),
    "fatigue": _("Fatigue"),
}

SYMPTOMS: tuple[str, ...] = tuple(SYMPTOM_LABELS)


def symptom_label(code: str) -> str:
    """The symptom in words, in the active language; an unknown code as readable text."""
    label = SYMPTOM_LABELS.get(code)
    return str(label) if label is not None else code.replace("_", " ").capitalize()
