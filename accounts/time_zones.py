"""IANA time zone names: local days and reminder times follow the zone.

Only canonical names are accepted (the zones of the tz database's
zone1970.tab and zone.tab, plus Etc/UTC), kept in `iana_zones.txt`, and
`UTC`. Aliases
such as `US/Eastern` or `GMT0` and pseudo-zones such as `localtime`,
`Factory` or `EST5EDT` name no place: a phone sending one would see its local
days move the day the tz database retires the alias.
"""

import zoneinfo
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ZONES_FILE = Path(__file__).with_name("iana_zones.txt")
DEFAULT_ZONE = "Etc/UTC"


# The one link accepted as well: every platform names UTC so, and it can never
# move a local day.
ACCEPTED_LINKS = frozenset({"UTC"})


@cache
def canonical_zones() -> frozenset[str]:
    lines = ZONES_FILE.read_text().splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#")) | ACCEPTED_LINKS


@cache
def available_zones() -> frozenset[str]:
    """Every name zoneinfo can load, aliases included (stored values predate the check)."""
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(name: str) -> None:
    if name in canonical_zones():
        return
    if name in available_zones() or name == "localtime":
        raise ValidationError(
            _("'%(name)s' is an alias, not a canonical IANA time zone such as 'Europe/Zurich'."),
            code="timezone_alias",
            params={"name": name},
        )
    raise ValidationError(
        _("'%(name)s' is not an IANA time zone such as 'Europe/Zurich'."),
        code="unknown_timezone",
        params={"name": name},
    )
