"""The pure judgement of treatments against a patient's diary (DOMAIN.md).

No Django, no clock, no I/O: services load entries, call `judge_treatments`
and store the flags.
"""

from .day_scores import local_day, lying_day_scores, ratings_by_day, upright_day_scores
from .judge import assess_treatments, judge_treatments
from .records import (
    KINDS,
    LYING,
    NO_RESPONSE,
    POSTURES,
    REBOUND_PATTERN,
    RELAPSE,
    UPRIGHT_POSTURES,
    Judgement,
    Rating,
    TreatmentCourse,
    TreatmentEvent,
)
from .thresholds import Thresholds

__all__ = [
    "KINDS",
    "LYING",
    "NO_RESPONSE",
    "POSTURES",
    "REBOUND_PATTERN",
    "RELAPSE",
    "UPRIGHT_POSTURES",
    "Judgement",
    "Rating",
    "Thresholds",
    "TreatmentCourse",
    "TreatmentEvent",
    "assess_treatments",
    "judge_treatments",
    "local_day",
    "lying_day_scores",
    "ratings_by_day",
    "upright_day_scores",
]
