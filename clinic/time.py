"""The clinic pages' one rule for time.

Moments a clinician acted (acknowledged, resolved, detected, exported, a code's
expiry) are shown in the reader's own zone; diary moments and days in the
patient's zone. Both are labelled with their zone on the page.
"""

from datetime import datetime
from zoneinfo import ZoneInfo


def reader_zone(user) -> str:
    """The staff member's own IANA zone, from their profile (`/api/v1/me/profile/`):
    the one place the pages read it from."""
    return user.timezone


def reader_tzinfo(user) -> ZoneInfo:
    return ZoneInfo(reader_zone(user))


def days_since(moment: datetime | None, zone: str, now: datetime) -> int | None:
    """Whole days from a moment's day to today's, both in the given zone (None: never)."""
    if moment is None:
        return None
    tz = ZoneInfo(zone)
    return (now.astimezone(tz).date() - moment.astimezone(tz).date()).days
