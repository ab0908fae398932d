"""The numbers behind every judgement (DOMAIN.md defaults), overridable per clinic."""

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Self

# Which fields are whole counts (rest are real numbers), and each field's allowed
# range as (lowest, highest, lowest is exclusive).
_COUNTS = frozenset(
    {
        "baseline_min_days",
        "baseline_fallback_min_days",
        "relapse_min_entries",
        "no_response_min_entries",
        "rebound_min_entries",
    }
)
# The longest follow-up window a clinic may set (days).
MAX_WINDOW_DAYS = 366
_RANGES: dict[str, tuple[float, float, bool]] = {
    "window_days": (0, MAX_WINDOW_DAYS, True),
    "baseline_days": (0, 366, True),
    "baseline_min_days": (1, 366, False),
    "baseline_fallback_days": (0, 366, True),
    "baseline_fallback_min_days": (1, 366, False),
    "improvement_days": (0, 366, True),
    "improvement_ratio": (0, 1, True),
    "improvement_min_drop": (0, 10, False),
    "absolute_improved_max": (0, 10, False),
    "absolute_recurred_min": (0, 10, False),
    "relapse_fraction": (0, 1, False),
    "relapse_min_score": (0, 10, False),
    "relapse_min_entries": (1, 1000, False),
    "relapse_min_span_hours": (0, 24 * 366, False),
    "no_response_hours": (0, 24 * 366, True),
    "no_response_min_entries": (1, 1000, False),
    "rebound_margin": (0, 10, False),
    "rebound_min_entries": (1, 1000, False),
    "rebound_min_span_hours": (0, 24 * 366, False),
}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Every number of DOMAIN.md "How the diary judges a treatment"."""

    # Follow-up window: until the next treatment or this many days.
    window_days: float = 90
    # Baseline: upright day scores before the treatment.
    baseline_days: float = 7
    baseline_min_days: int = 2
    baseline_fallback_days: float = 30
    baseline_fallback_min_days: int = 1
    # Improvement: within this many days, at most ratio x baseline and drop points below.
    improvement_days: float = 7
    improvement_ratio: float = 0.5
    improvement_min_drop: float = 2
    # Absolute scale, used when there is no baseline at all.
    absolute_improved_max: float = 3
    absolute_recurred_min: float = 6
    # Relapse: back at least this fraction of the way from best to baseline, and >= min score.
    relapse_fraction: float = 0.5
    relapse_min_score: float = 4
    relapse_min_entries: int = 2
    relapse_min_span_hours: float = 12
    # No response: judged this long after the treatment, given enough upright entries.
    no_response_hours: float = 72
    no_response_min_entries: int = 3
    # Rebound pattern: lying at least margin points above the same day's upright score.
    rebound_margin: float = 2
    rebound_min_entries: int = 2
    rebound_min_span_hours: float = 12

    def __post_init__(self) -> None:
        for field in fields(self):
            _check(field.name, getattr(self, field.name))
        if self.baseline_fallback_days < self.baseline_days:
            raise ValueError("baseline_fallback_days must be at least baseline_days")
        if self.absolute_improved_max >= self.absolute_recurred_min:
            raise ValueError("absolute_improved_max must be below absolute_recurred_min")

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, Any] | None) -> Self:
        """The defaults with a clinic's overrides applied; ValueError on anything unknown or bad."""
        if overrides is None:
            return cls()
        if not isinstance(overrides, Mapping):
            raise ValueError(
                f"threshold overrides must be a mapping, got {type(overrides).__name__}"
            )
        known = {field.name for field in fields(cls)}
        unknown = sorted(str(key) for key in overrides if key not in known)
        if unknown:
            raise ValueError(f"unknown threshold(s): {', '.join(unknown)}")
        values = {}
        for name, value in overrides.items():
            _check(name, value)
            # JSON may carry 2.0 for a count; store the int so to_dict() stays exact.
            values[name] = int(value) if name in _COUNTS else value
        return replace(cls(), **values)

    def to_dict(self) -> dict[str, float | int]:
        """Plain numbers, for the evidence of a judgement."""
        return asdict(self)


def _check(name: str, value: Any) -> None:
    # bool is an int in Python, but `true` is never a meaningful threshold.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"threshold {name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"threshold {name} must be finite, got {value!r}")
    if name in _COUNTS and value != int(value):
        raise ValueError(f"threshold {name} must be a whole number, got {value!r}")
    low, high, low_exclusive = _RANGES[name]
    if value > high or value < low or (low_exclusive and value == low):
        bound = f"> {low}" if low_exclusive else f">= {low}"
        raise ValueError(f"threshold {name} must be {bound} and <= {high}, got {value!r}")
