"""IANA time zone names: the patient's local day is computed in their zone."""

import zoneinfo
from functools import cache
from pathlib import Path

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


_CANONICAL_FILE = Path(__file__).with_name("canonical_zones.txt")


@cache
def canonical_zones() -> tuple[str, ...]:
    """The names a time-zone picker offers, sorted: no deprecated aliases (see the file)."""
    lines = _CANONICAL_FILE.read_text(encoding="ascii").splitlines()
    return tuple(
        name for name in lines if name and not name.startswith("#") and name in available_zones()
    )


def validate_canonical_timezone(name: str) -> None:
    if name not in canonical_zones():
        raise ValidationError(
            f"'{name}' is not a canonical IANA time zone such as 'Europe/Zurich'."
        )
