"""IANA time zone names: the patient's local day is computed in their zone."""

import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError

# The IANA regions of real places. The database also holds the machine's
# `localtime`, `Factory` (no offset at all), POSIX rules such as `EST5EDT` and
# legacy links (`US/Eastern`): none is a place a patient lives.
_REGIONS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Arctic/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


@cache
def available_zones() -> frozenset[str]:
    return frozenset(
        name
        for name in zoneinfo.available_timezones()
        if name == "UTC" or name.startswith(_REGIONS)
    )


def validate_timezone(name: str) -> None:
    if name not in available_zones():
        raise ValidationError(f"'{name}' is not an IANA time zone such as 'Europe/Zurich'.")
