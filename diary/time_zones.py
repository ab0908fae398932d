"""IANA time zone names: the patient's local day is computed in their zone."""

import importlib.resources
import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError


@cache
def available_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@cache
def _zone_table() -> tuple[frozenset[str], dict[str, str]]:
    """Canonical zones and {alias: its zone}, from the pinned tzdata's tzdata.zi.

    Its "Z" lines are zones, its "L target alias" lines links. Zones without an
    area ("Factory", "EST5EDT") are pseudo-zones, not places.
    """
    text = (importlib.resources.files("tzdata.zoneinfo") / "tzdata.zi").read_text()
    zones, links = set(), {}
    for line in text.splitlines():
        parts = line.split()
        if parts[:1] == ["Z"] and "/" in parts[1]:
            zones.add(parts[1])
        elif parts[:1] == ["L"]:
            links[parts[2]] = parts[1]
    return frozenset(zones), links


def canonical_zones() -> frozenset[str]:
    return _zone_table()[0]


def canonical_zone_of(name: str) -> str | None:
    """The canonical zone an alias stands for ("US/Eastern" → "America/New_York")."""
    zones, links = _zone_table()
    target = links.get(name)
    return target if target in zones else None


def validate_timezone(name: str) -> None:
    if name not in available_zones():
        raise ValidationError(f"'{name}' is not an IANA time zone such as 'Europe/Zurich'.")
