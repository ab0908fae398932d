"""A plain-Python reading of a well-formed symptom entry, for 500-item sync batches.

`EntrySerializer` defines what a valid entry is; running its machinery for each
item of a batch costs more than storing the item. This reads only the common,
well-formed case: every field present has the plain JSON type the app sends and
passes the serializer's rules. It returns exactly what
`EntrySerializer().run_validation(raw)` would, or None for anything else, and
the serializer then judges the item and words its errors.
`tests/api/test_entry_fast_path.py` checks with generated input that the two
never disagree.
"""

import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from diary.models import Posture
from diary.symptoms import SYMPTOMS

from .fields import moment_problem
from .records import MAX_MINUTES_IN_POSTURE, MAX_ONSET_OR_RELIEF_MINUTES, TRIGGER_CODES

REQUIRED = frozenset({"recorded_at", "posture", "headache"})
KNOWN = REQUIRED | {
    "id",
    "minutes_in_posture",
    "onset_minutes",
    "relief_minutes",
    "symptoms",
    "triggers",
    "note",
}
# name -> (lowest, highest, may be null)
WHOLE_NUMBERS = {
    "headache": (0, 10, False),
    "minutes_in_posture": (0, MAX_MINUTES_IN_POSTURE, True),
    "onset_minutes": (0, MAX_ONSET_OR_RELIEF_MINUTES, True),
    "relief_minutes": (0, MAX_ONSET_OR_RELIEF_MINUTES, True),
}
POSTURES = frozenset(Posture.values)
SYMPTOM_ORDER = {name: i for i, name in enumerate(SYMPTOMS)}
TRIGGER_ORDER = {name: i for i, name in enumerate(TRIGGER_CODES)}
NOTE_MAX = 2000
_REFUSED_IN_TEXT = re.compile("[\x00\ud800-\udfff]")  # what DRF's CharField validators refuse


def entry_fast_path() -> Callable[..., dict | None]:
    """A reader for one batch: the serializer's validated values for a
    well-formed entry, else None."""
    # NotInFutureMixin's limit, taken once for the batch: a little earlier than
    # the serializer's own per item, so at worst an item is left to it.
    latest = timezone.now() + settings.ENTRY_FUTURE_TOLERANCE

    def read(raw: Any, item_uuid: uuid.UUID | None = None) -> dict | None:
        """`item_uuid`: `uuid.UUID(str(raw["id"]))` when the caller has it already."""
        if type(raw) is not dict or not REQUIRED <= raw.keys() <= KNOWN:
            return None
        values: dict[str, Any] = {}
        for name, value in raw.items():
            if name in WHOLE_NUMBERS:
                lowest, highest, nullable = WHOLE_NUMBERS[name]
                if value is None and nullable:
                    values[name] = None
                elif type(value) is int and lowest <= value <= highest:
                    values[name] = value
                else:
                    return None
            elif name == "posture":
                if type(value) is not str or value not in POSTURES:
                    return None
                values[name] = value
            elif name == "recorded_at":
                # DRF parses ISO 8601 with fromisoformat first (django.utils.dateparse);
                # what that refuses, the serializer reads or refuses itself.
                try:
                    moment = datetime.fromisoformat(value)
                except (TypeError, ValueError):
                    return None
                if moment_problem(moment) or moment > latest:
                    return None
                values[name] = moment
            elif name == "id":
                if type(value) is not str:
                    return None
                if item_uuid is not None:  # the same parse as DRF's for a string
                    values["uuid"] = item_uuid
                    continue
                try:
                    values["uuid"] = uuid.UUID(hex=value)
                except ValueError:
                    return None
            elif name == "symptoms":
                if (
                    type(value) is not list
                    or len(value) > len(SYMPTOMS)
                    or not all(type(s) is str and s in SYMPTOM_ORDER for s in value)
                ):
                    return None
                values[name] = sorted(set(value), key=SYMPTOM_ORDER.__getitem__)
            elif name == "triggers":
                if (
                    type(value) is not list
                    or len(value) > len(TRIGGER_CODES)
                    or not all(type(t) is str and t in TRIGGER_ORDER for t in value)
                ):
                    return None
                values[name] = sorted(set(value), key=TRIGGER_ORDER.__getitem__)
            else:  # note
                if type(value) is not str:
                    return None
                note = value.strip()
                if len(note) > NOTE_MAX or _REFUSED_IN_TEXT.search(note):
                    return None
                values[name] = note
        lying = values["posture"] == Posture.LYING
        if values.get("onset_minutes") is not None and lying:
            return None
        if values.get("relief_minutes") is not None and not lying:
            return None
        return values

    return read
