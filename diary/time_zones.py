"""IANA time zone names: the patient's local day is computed in their zone."""

import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError


@cache
def available_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(name: str) -> None:
    if name not in available_zones():
        raise ValidationError(f"'{name}' is not an IANA time zone such as 'Europe/Zurich'.")
