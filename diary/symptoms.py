"""The symptoms a patient can tick, besides the headache rating."""

SYMPTOMS: tuple[str, ...] = (
    "nausea",
    "vomiting",
    "neck_pain",
    "tinnitus",
    "muffled_hearing",
    "dizziness",
    "imbalance",
    "visual_disturbance",
    "diplopia",
    "photophobia",
    "phonophobia",
    "cognitive_fog",
    "back_pain",
    "interscapular_pain",
    "arm_pain_or_numbness",
    "facial_numbness",
    "taste_change",
    "fatigue",
)
