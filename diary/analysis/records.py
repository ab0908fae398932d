"""What the judgement reads (ratings, treatments) and what it returns (judgements).

Plain frozen dataclasses, so the judgement stays pure: callers map their
rows to these and back.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

LYING = "lying"
SITTING = "sitting"
STANDING = "standing"
POSTURES = frozenset({LYING, SITTING, STANDING})
# DOMAIN.md: the orthostatic headache is judged on sitting and standing alike.
UPRIGHT_POSTURES = frozenset({SITTING, STANDING})

RELAPSE = "relapse"
NO_RESPONSE = "no_response"
REBOUND_PATTERN = "rebound_pattern"
KINDS = (RELAPSE, NO_RESPONSE, REBOUND_PATTERN)


def _require_aware(name: str, value: datetime) -> None:
    # A naive time has no place on the patient's local day: refuse it early.
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


@dataclass(frozen=True, slots=True)
class Rating:
    """One symptom entry: a headache rating in one posture."""

    id: str
    recorded_at: datetime
    posture: str
    headache: int

    def __post_init__(self) -> None:
        _require_aware("recorded_at", self.recorded_at)
        if self.posture not in POSTURES:
            raise ValueError(f"posture must be one of {sorted(POSTURES)}, got {self.posture!r}")
        if isinstance(self.headache, bool) or not isinstance(self.headache, int):
            raise ValueError(f"headache must be an int 0..10, got {self.headache!r}")
        if not 0 <= self.headache <= 10:
            raise ValueError(f"headache must be 0..10, got {self.headache}")

    @property
    def is_upright(self) -> bool:
        return self.posture in UPRIGHT_POSTURES


@dataclass(frozen=True, slots=True)
class TreatmentEvent:
    """A treatment (e.g. an epidural blood patch) whose effect is judged."""

    id: str
    performed_at: datetime
    kind: str

    def __post_init__(self) -> None:
        _require_aware("performed_at", self.performed_at)


@dataclass(frozen=True, slots=True)
class Judgement:
    """One flag for a clinician: which treatment, what was seen, and the numbers why.

    `evidence` holds JSON-serialisable values only (ISO strings, numbers,
    lists of entry ids), so it can be stored as it is.
    """

    treatment_id: str
    kind: str
    proven_at: datetime
    evidence: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TreatmentCourse:
    """What the judgement found for one treatment, flagged or not (the clinic's outcomes).

    Moments are UTC. `followed_until` is where a relapse-free follow-up is censored:
    the end of the window (next treatment or 90 days) or the patient's last upright
    entry, whichever is first.
    """

    treatment_id: str
    baseline: float | None  # None: judged on the absolute scale
    baseline_method: str
    # Upright entries logged in the improvement window (through local day 7).
    upright_entries_7d: int
    evaluable: bool
    improved_on: date | None
    improved_at: datetime | None  # the last entry the improvement day's score rests on
    improved_by_72h: bool
    improved_within_7d: bool
    relapse_proven_at: datetime | None
    followed_until: datetime
    improvement_window_end: datetime  # the 7-day checkpoint
    # The next moment after `as_of` at which the verdict can change with time alone
    # (a no-response checkpoint still to come); None when only new entries can change it.
    next_checkpoint_at: datetime | None
    judgements: tuple[Judgement, ...]
