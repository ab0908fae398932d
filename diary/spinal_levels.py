"""Spinal levels as adjacent interspaces, C1/C2 down to S1/S2.

A blood patch goes into the epidural space between two adjacent vertebrae, so
a level is "upper/lower" with lower directly below upper. Input is forgiving
about case, spaces and a dash ("l3-l4"); output is canonical ("L3/L4").
"""

import re
from itertools import pairwise

from django.utils.translation import gettext as _

VERTEBRAE: tuple[str, ...] = (
    *(f"C{n}" for n in range(1, 8)),
    *(f"T{n}" for n in range(1, 13)),
    *(f"L{n}" for n in range(1, 6)),
    "S1",
    "S2",
)
INTERSPACES: tuple[str, ...] = tuple(f"{a}/{b}" for a, b in pairwise(VERTEBRAE))
_VALID = frozenset(INTERSPACES)
_SEPARATOR = re.compile(r"\s*[/\-\u2013]\s*")  # slash, hyphen or en dash


def normalize_level(raw: str) -> str:
    """Return the canonical interspace, or raise ValueError saying why not."""
    if not isinstance(raw, str):
        raise ValueError(_("A spinal level is a string such as 'L3/L4'."))
    parts = _SEPARATOR.split(raw.strip().upper())
    candidate = "/".join(parts)
    if candidate in _VALID:
        return candidate
    raise ValueError(
        _("'%(level)s' is not an adjacent interspace between C1/C2 and S1/S2 (e.g. 'L3/L4').")
        % {"level": raw}
    )


def normalize_levels(raw_levels: list[str]) -> list[str]:
    """Canonical, de-duplicated, ordered from the head down."""
    levels = {normalize_level(level) for level in raw_levels}
    return sorted(levels, key=INTERSPACES.index)
