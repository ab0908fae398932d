from diary.models import lookups  # noqa: F401  (registers uuid__any)
from diary.models.flags import ClinicThresholds, Flag, FlagKind, FlagStatus
from diary.models.patients import Condition, EnrollmentCode, Patient, ResetCode
from diary.models.records import (
    UPRIGHT_POSTURES,
    Approach,
    Posture,
    SymptomEntry,
    Treatment,
    TreatmentKind,
)

__all__ = [
    "UPRIGHT_POSTURES",
    "Approach",
    "ClinicThresholds",
    "Condition",
    "EnrollmentCode",
    "Flag",
    "FlagKind",
    "FlagStatus",
    "Patient",
    "Posture",
    "ResetCode",
    "SymptomEntry",
    "Treatment",
    "TreatmentKind",
]
