from diary.models import lookups  # noqa: F401  (registers uuid__any)
from diary.models.flags import ClinicThresholds, Flag, FlagKind, FlagStatus
from diary.models.follow_ups import TreatmentFollowUp
from diary.models.patients import Condition, EnrollmentCode, Patient, ResetCode
from diary.models.records import (
    ASKED_CHECKPOINTS,
    UPRIGHT_POSTURES,
    Approach,
    Checkpoint,
    DayLog,
    Impression,
    Posture,
    SymptomEntry,
    Treatment,
    TreatmentKind,
)

__all__ = [
    "ASKED_CHECKPOINTS",
    "UPRIGHT_POSTURES",
    "Approach",
    "Checkpoint",
    "ClinicThresholds",
    "Condition",
    "DayLog",
    "EnrollmentCode",
    "Flag",
    "FlagKind",
    "FlagStatus",
    "Impression",
    "Patient",
    "Posture",
    "ResetCode",
    "SymptomEntry",
    "Treatment",
    "TreatmentFollowUp",
    "TreatmentKind",
]
