"""IANA time zone names (the rule lives in accounts.time_zones; migrations name this path)."""

from accounts.time_zones import available_zones, canonical_zones, validate_timezone

__all__ = ["available_zones", "canonical_zones", "validate_timezone"]
