"""Local-time arithmetic: time zones, daylight-saving changes, quiet hours."""

import datetime as dt

import pytest

from notifications.schedule import (
    checkin_due_times,
    in_quiet_hours,
    next_daily_reminder,
    next_local_time,
    outside_quiet_hours,
)

UTC = dt.UTC


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        # Zurich, winter (UTC+1): 19:00 local is 18:00 UTC.
        (utc(2026, 3, 27, 12), "Europe/Zurich", utc(2026, 3, 27, 18)),
        # Already past today: tomorrow.
        (utc(2026, 3, 27, 19), "Europe/Zurich", utc(2026, 3, 28, 18)),
        # Spring forward on 29 March: 19:00 local is now 17:00 UTC.
        (utc(2026, 3, 28, 19), "Europe/Zurich", utc(2026, 3, 29, 17)),
        # Fall back on 25 October: 19:00 local goes back to 18:00 UTC.
        (utc(2026, 10, 24, 18), "Europe/Zurich", utc(2026, 10, 25, 18)),
        # New York changes on 8 March: 19:00 EST (00:00 UTC) then EDT (23:00 UTC).
        (utc(2026, 3, 7, 1), "America/New_York", utc(2026, 3, 8, 0)),
        (utc(2026, 3, 8, 1), "America/New_York", utc(2026, 3, 8, 23)),
        # East of UTC, the local day is already tomorrow.
        (utc(2026, 3, 27, 12), "Asia/Tokyo", utc(2026, 3, 28, 10)),
    ],
)
def test_next_local_time_keeps_the_local_hour_across_zones_and_dst(now, tz, expected):
    assert next_local_time(now, dt.time(19, 0), tz) == expected


def test_a_wall_time_skipped_by_spring_forward_lands_just_after_the_gap():
    # 02:30 does not exist in Zurich on 29 March 2026: it becomes 03:30 CEST.
    moment = next_local_time(utc(2026, 3, 28, 23), dt.time(2, 30), "Europe/Zurich")
    assert moment == utc(2026, 3, 29, 1, 30)


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (utc(2026, 6, 1, 19, 59), False),  # 21:59 CEST
        (utc(2026, 6, 1, 20, 0), True),  # 22:00 CEST
        (utc(2026, 6, 1, 4, 59), True),  # 06:59 CEST
        (utc(2026, 6, 1, 5, 0), False),  # 07:00 CEST
    ],
)
def test_quiet_hours_are_22_to_07_local(moment, quiet):
    assert in_quiet_hours(moment, "Europe/Zurich") is quiet


def test_a_moment_in_quiet_hours_moves_to_seven_local_the_same_night():
    late = utc(2026, 1, 10, 23, 30)  # 00:30 in Zurich
    assert outside_quiet_hours(late, "Europe/Zurich") == utc(2026, 1, 11, 6)
    evening = utc(2026, 1, 10, 21, 30)  # 22:30 in Zurich: the next morning
    assert outside_quiet_hours(evening, "Europe/Zurich") == utc(2026, 1, 11, 6)


def test_checkins_follow_the_treatment_and_skip_the_night():
    # A patch at 20:00 Zurich time on Friday 27 March, two days before spring forward.
    performed = utc(2026, 3, 27, 19)
    due = dict(checkin_due_times(performed, "Europe/Zurich"))

    assert list(due) == ["6h", "24h", "48h", "72h", "7d"]
    assert due["6h"] == utc(2026, 3, 28, 6)  # 02:00 local → 07:00 local (UTC+1)
    assert due["24h"] == utc(2026, 3, 28, 19)  # 20:00 local
    # 48 h later is 21:00 CEST after the change: still outside quiet hours.
    assert due["48h"] == utc(2026, 3, 29, 19)
    assert due["72h"] == utc(2026, 3, 30, 19)
    assert due["7d"] == utc(2026, 4, 3, 19)


def test_checkins_elapsed_time_is_exact_across_the_change():
    # +24 h is 24 real hours even across the night the clocks go forward.
    performed = utc(2026, 3, 28, 12)  # 13:00 CET
    due = dict(checkin_due_times(performed, "Europe/Zurich"))
    assert due["24h"] - performed == dt.timedelta(hours=24)  # 14:00 CEST locally


def test_the_daily_reminder_is_never_scheduled_in_quiet_hours():
    # Chosen 21:30; the result is always at 21:30 local, outside the quiet hours.
    moment = next_daily_reminder(utc(2026, 10, 24, 21), dt.time(21, 30), "Europe/Zurich")
    assert moment == utc(2026, 10, 25, 20, 30)  # 21:30 CET after the fall-back
    assert not in_quiet_hours(moment, "Europe/Zurich")
