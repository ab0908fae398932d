import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.time_zones import validate_timezone

# ISO 8601 allows any offset; real zones stay within ±14 h, the database within ±18 h.
MAX_UTC_OFFSET = dt.timedelta(hours=18)


def moment_problem(value: dt.datetime) -> str | None:
    """Why the API refuses this parsed moment (an error code below), or None."""
    offset = value.utcoffset()
    if offset is None:
        return "naive"
    if abs(offset) > MAX_UTC_OFFSET:
        return "offset"
    if 1901 < value.year < 9999:  # 18 hours cannot take it out of range
        return None
    try:
        in_utc = value.astimezone(dt.UTC)
    except OverflowError:  # year 1 with a positive offset: before datetime.min
        return "range"
    return "range" if in_utc.year < 1900 else None


class OffsetDateTimeField(serializers.DateTimeField):
    """Accepts only ISO 8601 with an offset, keeps that offset (the service
    stores it beside UTC), and answers in UTC."""

    default_error_messages = {
        "naive": _("Give the time with its UTC offset, e.g. 2026-03-04T07:30:00+01:00."),
        "offset": _("A UTC offset is between -18:00 and +18:00."),
        "range": _("Give a time after 1900."),
    }

    def enforce_timezone(self, value):
        if problem := moment_problem(value):
            self.fail(problem)
        return value

    def to_representation(self, value):
        if value is None:
            return None
        return value.astimezone(timezone.get_default_timezone()).isoformat().replace("+00:00", "Z")


class NotInFutureMixin:
    """The phone's clock may run a little ahead; more than that is a mistake."""

    def validate_not_future(self, value):
        if value > timezone.now() + settings.ENTRY_FUTURE_TOLERANCE:
            raise serializers.ValidationError(_("This time is in the future."), code="future_time")
        return value


@extend_schema_field(
    {
        "type": "string",
        "maxLength": 64,
        "example": "Europe/Zurich",
        "description": "A canonical IANA time zone name (`Europe/Zurich`). Aliases such as "
        "`US/Eastern` or `GMT0` and pseudo-zones such as `Factory` are refused with the "
        "field code `timezone_alias`, unknown names with `unknown_timezone`.",
    }
)
class TimeZoneField(serializers.CharField):
    """A canonical IANA zone name, as a string (never an enum of ~600 names)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)
        self.validators.append(validate_timezone)
