"""Figures a clinician reads on the first pages: pure functions of ExportData."""

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date

from diary.analysis import lying_day_scores, upright_day_scores
from diary.symptoms import symptom_label
from exports.data import ExportData

__all__ = ["symptom_label"]  # the builders' import; the words live in diary/symptoms.py

# DOMAIN.md (Vilming's rising manoeuvre): "purely orthostatic" means onset within
# 15 minutes upright and relief within 15 minutes lying down.
ORTHOSTATIC_MINUTES = 15


@dataclass(frozen=True)
class DayScores:
    upright: dict[date, float]
    lying: dict[date, float]


@dataclass(frozen=True)
class MinutesSummary:
    count: int
    median: float | None
    low: int | None
    high: int | None
    within_orthostatic: int  # how many were at most ORTHOSTATIC_MINUTES


def day_scores(data: ExportData) -> DayScores:
    """The same per-day medians the relapse judgement uses, so chart and flags agree."""
    ratings = [entry.rating() for entry in data.entries]
    return DayScores(
        upright=upright_day_scores(ratings, data.zone), lying=lying_day_scores(ratings, data.zone)
    )


def symptom_counts(data: ExportData) -> list[tuple[str, int]]:
    """Symptoms by how many entries ticked them, most frequent first (ties by name)."""
    counts = Counter(symptom for entry in data.entries for symptom in entry.symptoms)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _minutes(values: list[int]) -> MinutesSummary:
    if not values:
        return MinutesSummary(0, None, None, None, 0)
    return MinutesSummary(
        count=len(values),
        median=float(statistics.median(values)),
        low=min(values),
        high=max(values),
        within_orthostatic=sum(1 for v in values if v <= ORTHOSTATIC_MINUTES),
    )


def onset_summary(data: ExportData) -> MinutesSummary:
    return _minutes([e.onset_minutes for e in data.entries if e.onset_minutes is not None])


def relief_summary(data: ExportData) -> MinutesSummary:
    return _minutes([e.relief_minutes for e in data.entries if e.relief_minutes is not None])
