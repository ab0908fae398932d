"""A clinic's outcomes by treatment (DOMAIN.md "Clinic outcomes"), from stored follow-ups.

Pure: the caller passes one `FollowUpFacts` per treatment (what the judgement
stored); nothing here reads a database or a clock. The statistics come from
SciPy, not from formulas written here: `binomtest(k, n).proportion_ci(method=
"wilson")` for the 95 % interval of a share, `ecdf(CensoredData(...)).sf` for
the Kaplan-Meier relapse-free curve.

Decisions the definitions left open:
- `evaluable` is a share of all treatments; `improved_72h` and `improved_7d` are
  shares of the evaluable ones; `relapsed` is a share of the evaluable treatments
  that improved within 7 days (only an improvement can relapse).
- The relapse-free curve follows the same treatments as `relapsed`, from the
  treatment (day 0) to the relapse proof (an event) or to the censoring moment
  (end of the window, next treatment or last upright entry). It is read at each
  whole day from 0 to the longest follow-up: `at_risk` is how many were still
  followed and relapse-free at that day's start, `survival` the Kaplan-Meier
  estimate including the relapses proven by then.
- The median days to relapse is the median time to the proof of the treatments
  that relapsed (None without any), the figure case series report.
- `pgic_responders` is a share of the treatments with a live PGIC answer at the
  7-day checkpoint (any treatment, evaluable or not): those answering 1 or 2
  (very much or much improved).
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

# Below this many evaluable treatments a group's shares are too uncertain to compare
# (a 95 % interval around 50 % is then wider than +-20 points): the page says so.
SMALL_NUMBERS = 20


class FollowUpFacts(NamedTuple):
    """What the judgement stored for one treatment, as the outcomes read it.

    A tuple, so a clinic's year of rows is cheap to build from database rows.
    """

    evaluable: bool
    improved_by_72h: bool
    improved_within_7d: bool
    relapsed: bool
    # From the treatment to the relapse proof, or to the censoring moment if none
    # (None: never evaluated yet).
    days_followed: float | None
    # The live PGIC answer at the 7-day checkpoint, 1-7 (None: not answered).
    pgic_7d: int | None = None


# PGIC answers counted as a response: 1 very much improved, 2 much improved.
PGIC_RESPONSE = (1, 2)


@dataclass(frozen=True, slots=True)
class Share:
    k: int
    n: int
    share: float | None  # None when n is 0
    ci95: tuple[float, float] | None


@dataclass(frozen=True, slots=True)
class CurvePoint:
    day: int
    at_risk: int
    survival: float


@dataclass(frozen=True, slots=True)
class Outcome:
    treatments: int
    evaluable: Share
    improved_72h: Share
    improved_7d: Share
    relapsed: Share
    pgic_responders: Share
    median_days_to_relapse: float | None
    relapse_free: list[CurvePoint]
    small_numbers: bool


def share(k: int, n: int) -> Share:
    """k of n with its 95 % Wilson score interval (SciPy)."""
    if n == 0:
        return Share(k, n, None, None)
    stats = _scipy_stats()
    interval = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return Share(k, n, k / n, (_round(interval.low), _round(interval.high)))


def relapse_free_curve(durations: Iterable[tuple[float, bool]]) -> list[CurvePoint]:
    """Kaplan-Meier at each whole day, from (days followed, relapsed) pairs (SciPy)."""
    pairs = list(durations)
    if not pairs:
        return []
    times = np.array([days for days, _ in pairs], dtype=float)
    relapsed = np.array([event for _, event in pairs], dtype=bool)
    stats = _scipy_stats()
    data = stats.CensoredData(uncensored=times[relapsed], right=times[~relapsed])
    sf = stats.ecdf(data).sf
    days = np.arange(0, math.ceil(times.max()) + 1)
    # Followed at the start of the day: relapse-free and not yet censored.
    ordered = np.sort(times)
    at_risk = len(ordered) - np.searchsorted(ordered, days, side="left")
    survival = sf.evaluate(days)
    return [
        CurvePoint(int(day), int(risk), _round(float(s)))
        for day, risk, s in zip(days, at_risk, survival, strict=True)
    ]


def outcome(facts: Iterable[FollowUpFacts]) -> Outcome:
    """The measures of one group of treatments."""
    rows = list(facts)
    evaluable = [f for f in rows if f.evaluable]
    improved = [f for f in evaluable if f.improved_within_7d]
    relapsed = [f for f in improved if f.relapsed]
    durations = [(max(0.0, f.days_followed or 0.0), f.relapsed) for f in improved]
    relapse_days = [days for days, event in durations if event]
    answered = [f.pgic_7d for f in rows if f.pgic_7d is not None]
    return Outcome(
        treatments=len(rows),
        evaluable=share(len(evaluable), len(rows)),
        improved_72h=share(sum(f.improved_by_72h for f in evaluable), len(evaluable)),
        improved_7d=share(len(improved), len(evaluable)),
        relapsed=share(len(relapsed), len(improved)),
        pgic_responders=share(sum(score in PGIC_RESPONSE for score in answered), len(answered)),
        median_days_to_relapse=_round(float(np.median(relapse_days))) if relapse_days else None,
        relapse_free=relapse_free_curve(durations),
        small_numbers=len(evaluable) < SMALL_NUMBERS,
    )


def _scipy_stats():
    # Imported on first use: scipy.stats takes seconds and ~80 MB to load, which every
    # web and worker process would pay at start-up for a page few people open.
    from scipy import stats

    return stats


def _round(value: float) -> float:
    return round(float(value), 4)
