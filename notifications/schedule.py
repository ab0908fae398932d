"""Local-time arithmetic for digests and reminders: pure, no clock, no ORM.

Everything takes "now" as an argument and works in the person's IANA zone,
so a daylight-saving change moves the UTC instant, never the local hour.
"""

import datetime as dt
from zoneinfo import ZoneInfo

QUIET_START = dt.time(22, 0)
QUIET_END = dt.time(7, 0)

# Check-ins after a treatment: (step name, delay after performed_at).
CHECKIN_STEPS: tuple[tuple[str, dt.timedelta], ...] = (
    ("6h", dt.timedelta(hours=6)),
    ("24h", dt.timedelta(hours=24)),
    ("48h", dt.timedelta(hours=48)),
    ("72h", dt.timedelta(hours=72)),
    ("7d", dt.timedelta(days=7)),
)
CHECKIN_STEP_NAMES = tuple(name for name, _ in CHECKIN_STEPS)


def _at_local(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime:
    """`at` on `day` in `zone`, as UTC. A wall time skipped by a spring-forward
    change lands just after the gap (02:30 → 03:30), never before it."""
    local = dt.datetime.combine(day, at, tzinfo=zone)
    # Round-tripping through UTC normalises a non-existent wall time.
    return local.astimezone(dt.UTC)


def next_local_time(now: dt.datetime, at: dt.time, tz: str) -> dt.datetime:
    """The first moment after `now` at which the local clock in `tz` reads `at`."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    for days in range(3):
        candidate = _at_local(today + dt.timedelta(days=days), at, zone)
        if candidate > now:
            return candidate
    raise AssertionError("unreachable: a local time recurs within three days")


def in_quiet_hours(moment: dt.datetime, tz: str) -> bool:
    """22:00 to 07:00 local: no reminder reaches a phone then."""
    local = moment.astimezone(ZoneInfo(tz)).time()
    return local >= QUIET_START or local < QUIET_END


def outside_quiet_hours(moment: dt.datetime, tz: str) -> dt.datetime:
    """`moment`, or the end of the quiet hours it falls in (07:00 local)."""
    if not in_quiet_hours(moment, tz):
        return moment
    return next_local_time(moment, QUIET_END, tz)


def checkin_due_times(performed_at: dt.datetime, tz: str) -> list[tuple[str, dt.datetime]]:
    """When each check-in after a treatment is due, moved out of quiet hours."""
    return [(name, outside_quiet_hours(performed_at + delay, tz)) for name, delay in CHECKIN_STEPS]


def next_daily_reminder(now: dt.datetime, at: dt.time, tz: str) -> dt.datetime:
    """The next daily reminder at the patient's chosen local time (never in quiet hours)."""
    return outside_quiet_hours(next_local_time(now, at, tz), tz)
