"""Ratings grouped into the patient's local days, and one robust score per day.

A day's score is the median of that day's ratings of one posture group, so a
single stray entry (a bad moment, a mistyped 0) does not swing it.
"""

import statistics
from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from .records import LYING, UPRIGHT_POSTURES, Rating


def as_zone(tz: str | tzinfo) -> tzinfo:
    """The patient's zone from an IANA name or a tzinfo (e.g. a stored ZoneInfo)."""
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def local_day(at: datetime, tz: str | tzinfo) -> date:
    """The patient's calendar date at that instant; zoneinfo handles DST and far offsets."""
    return at.astimezone(as_zone(tz)).date()


def as_utc(at: datetime) -> datetime:
    # Aware datetimes sharing one tzinfo compare and subtract by wall clock, which is
    # wrong across a DST change (an autumn night has 13 real hours between 20:00 and
    # 08:00). In UTC, comparison and subtraction are real elapsed time.
    return at.astimezone(UTC)


def median(values: Iterable[float]) -> float:
    return float(statistics.median(values))


def ratings_by_day(
    ratings: Iterable[Rating], tz: str | tzinfo, postures: Collection[str]
) -> dict[date, list[Rating]]:
    """The ratings of those postures on each local day, days and ratings in time order."""
    zone = as_zone(tz)
    days: dict[date, list[Rating]] = defaultdict(list)
    for rating in ratings:
        if rating.posture in postures:
            days[local_day(rating.recorded_at, zone)].append(rating)
    return {
        day: sorted(days[day], key=lambda r: (as_utc(r.recorded_at), r.id)) for day in sorted(days)
    }


def day_scores(
    ratings: Iterable[Rating], tz: str | tzinfo, postures: Collection[str]
) -> dict[date, float]:
    """Median headache per local day for those postures; days without such ratings are absent."""
    return {
        day: median(r.headache for r in day_ratings)
        for day, day_ratings in ratings_by_day(ratings, tz, postures).items()
    }


def upright_day_scores(ratings: Iterable[Rating], tz: str | tzinfo) -> dict[date, float]:
    return day_scores(ratings, tz, UPRIGHT_POSTURES)


def lying_day_scores(ratings: Iterable[Rating], tz: str | tzinfo) -> dict[date, float]:
    return day_scores(ratings, tz, {LYING})
