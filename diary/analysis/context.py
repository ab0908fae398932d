"""What the patient reported around a treatment: upright hours and PGIC answers.

Pure (no ORM, no clock). Quoted beside a flag's evidence and on the PDF's
first page, never used to decide a flag: DOMAIN.md ("Beyond the ratings")
says the PGIC "never raises or clears a flag by itself", and upright hours
are context a clinician weighs, not a rule of the judgement.

Decisions the rules left open:
- "Around" a treatment is the 7 local days before its day and days 1-7 after
  it (the day itself is split by the treatment, so it counts for neither);
  around a flag, the 7 days up to the day its evidence was complete.
- Each window is summarised by the median of the days logged in it, with how
  many days that is: a day log is a day's total, so a median of days is the
  same kind of figure as the chart's daily scores.
"""

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

WINDOW_DAYS = 7


@dataclass(frozen=True, slots=True)
class HoursWindow:
    first: date
    last: date
    days_logged: int
    median_hours: float | None

    def as_evidence(self) -> dict:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "days_logged": self.days_logged,
            "median_upright_hours": self.median_hours,
        }


@dataclass(frozen=True, slots=True)
class Answer:
    """One PGIC answer: checkpoint ("72h", "7d", "other") and score 1-7."""

    checkpoint: str
    score: int


def hours_window(upright_hours: Mapping[date, float], first: date, last: date) -> HoursWindow:
    """The median upright hours over the logged days in [first, last]."""
    logged = [h for day, h in upright_hours.items() if first <= day <= last and h is not None]
    median = float(statistics.median(logged)) if logged else None
    return HoursWindow(first, last, len(logged), median)


def hours_before_after(
    upright_hours: Mapping[date, float], treatment_day: date
) -> tuple[HoursWindow, HoursWindow]:
    """The week before a treatment's day and the week after it."""
    week = timedelta(days=WINDOW_DAYS)
    before = hours_window(upright_hours, treatment_day - week, treatment_day - timedelta(days=1))
    after = hours_window(upright_hours, treatment_day + timedelta(days=1), treatment_day + week)
    return before, after


def flag_context(
    *,
    upright_hours: Mapping[date, float],
    treatment_day: date,
    proven_day: date,
    answers: Sequence[Answer],
) -> dict | None:
    """The patient-reported context quoted in a flag's evidence, or None when
    nothing was logged around it."""
    before, after = hours_before_after(upright_hours, treatment_day)
    at_flag = hours_window(upright_hours, proven_day - timedelta(days=WINDOW_DAYS - 1), proven_day)
    windows = {"before_treatment": before, "after_treatment": after, "before_flag": at_flag}
    hours = {name: w.as_evidence() for name, w in windows.items() if w.days_logged}
    pgic = [{"checkpoint": a.checkpoint, "score": a.score} for a in answers]
    if not hours and not pgic:
        return None
    context: dict = {}
    if hours:
        context["upright_hours"] = hours
    if pgic:
        context["pgic"] = pgic
    return context
