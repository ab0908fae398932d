"""Local days and robust day scores, on their own."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from diary.analysis import Rating, local_day, lying_day_scores, ratings_by_day, upright_day_scores
from diary.analysis.day_scores import median


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rating(at: datetime, score: int, posture: str = "standing", id: str = "") -> Rating:
    return Rating(id or at.isoformat(), at, posture, score)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param([8], 8, id="one entry is its own median"),
        pytest.param([2, 2, 9], 2, id="one stray bad entry does not move the median"),
        pytest.param([8, 0, 8], 8, id="one stray good entry does not move the median"),
        pytest.param([2, 3], 2.5, id="an even count takes the middle of the two"),
    ],
)
def test_median(values, expected):
    assert median(values) == expected


def test_upright_and_lying_are_scored_apart():
    ratings = [
        rating(utc(2026, 3, 2, 8), 8, "sitting"),
        rating(utc(2026, 3, 2, 9), 6, "standing"),
        rating(utc(2026, 3, 2, 10), 1, "lying"),
    ]
    assert upright_day_scores(ratings, "UTC") == {date(2026, 3, 2): 7}
    assert lying_day_scores(ratings, "UTC") == {date(2026, 3, 2): 1}


def test_days_without_entries_have_no_score():
    ratings = [rating(utc(2026, 3, 2, 8), 8), rating(utc(2026, 3, 4, 8), 2)]
    assert list(upright_day_scores(ratings, "UTC")) == [date(2026, 3, 2), date(2026, 3, 4)]


@pytest.mark.parametrize(
    ("tz", "instant", "expected"),
    [
        pytest.param(
            "Pacific/Kiritimati",
            utc(2026, 3, 2, 9, 30),
            date(2026, 3, 2),
            id="23:30 in Kiritimati is that local day",
        ),
        pytest.param(
            "Pacific/Kiritimati",
            utc(2026, 3, 2, 10, 30),
            date(2026, 3, 3),
            id="00:30 in Kiritimati is the next local day though the same UTC date",
        ),
        pytest.param(
            "Pacific/Auckland",
            utc(2026, 3, 2, 10, 30),
            date(2026, 3, 2),
            id="23:30 in Auckland summer is that local day",
        ),
        pytest.param(
            "Pacific/Honolulu",
            utc(2026, 3, 3, 9, 30),
            date(2026, 3, 2),
            id="23:30 in Honolulu is that local day though the next UTC date",
        ),
    ],
)
def test_local_day_is_the_patients_calendar_date(tz, instant, expected):
    assert local_day(instant, tz) == expected
    assert local_day(instant, ZoneInfo(tz)) == expected


def test_entries_either_side_of_local_midnight_score_separate_days():
    # Kiritimati (UTC+14): both on 2 March in UTC, two days for the patient.
    ratings = [rating(utc(2026, 3, 2, 9, 30), 8), rating(utc(2026, 3, 2, 10, 30), 2)]
    assert upright_day_scores(ratings, "Pacific/Kiritimati") == {
        date(2026, 3, 2): 8,
        date(2026, 3, 3): 2,
    }
    assert upright_day_scores(ratings, "UTC") == {date(2026, 3, 2): 5}


def test_the_25_hour_autumn_day_keeps_all_its_entries():
    # Zurich, 25 October 2026: 00:30 CEST, 02:30 CEST, 02:30 CET, 23:30 CET are one day.
    ratings = [
        rating(utc(2026, 10, 24, 21, 30), 9),  # 23:30 on 24 October
        rating(utc(2026, 10, 24, 22, 30), 2),
        rating(utc(2026, 10, 25, 0, 30), 2),
        rating(utc(2026, 10, 25, 1, 30), 3),
        rating(utc(2026, 10, 25, 22, 30), 3),
        rating(utc(2026, 10, 25, 23, 30), 9),  # 00:30 on 26 October
    ]
    assert upright_day_scores(ratings, "Europe/Zurich") == {
        date(2026, 10, 24): 9,
        date(2026, 10, 25): 2.5,
        date(2026, 10, 26): 9,
    }


def test_the_23_hour_spring_day_keeps_all_its_entries():
    # Zurich, 29 March 2026: 00:30 CET to 23:30 CEST, with no 02:00-03:00.
    ratings = [
        rating(utc(2026, 3, 28, 22, 30), 9),  # 23:30 on 28 March
        rating(utc(2026, 3, 28, 23, 30), 4),  # 00:30 on 29 March
        rating(utc(2026, 3, 29, 1, 30), 4),  # 03:30 CEST
        rating(utc(2026, 3, 29, 21, 30), 6),  # 23:30 CEST
        rating(utc(2026, 3, 29, 22, 30), 9),  # 00:30 on 30 March
    ]
    assert upright_day_scores(ratings, "Europe/Zurich") == {
        date(2026, 3, 28): 9,
        date(2026, 3, 29): 4,
        date(2026, 3, 30): 9,
    }


def test_a_days_entries_are_in_real_time_order_through_the_repeated_hour():
    zurich = ZoneInfo("Europe/Zurich")
    first_pass = rating(datetime(2026, 10, 25, 2, 50, tzinfo=zurich, fold=0), 5, id="a")
    second_pass = rating(datetime(2026, 10, 25, 2, 10, tzinfo=zurich, fold=1), 5, id="b")
    days = ratings_by_day([second_pass, first_pass], zurich, {"standing"})
    assert days == {date(2026, 10, 25): [first_pass, second_pass]}
