"""Demo diaries that tell the typical stories, for `manage.py seed_demo`.

Each story is upright/lying day scores around one blood patch; times are
anchored to the patient's creation date so seeding again changes nothing.
"""

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass

from diary.services.sync import SyncItem

NAMESPACE = uuid.UUID("6f1c1c1e-54a4-4c1b-9a3c-2f0d3b8f8e01")


@dataclass(frozen=True)
class Story:
    username: str
    display_name: str
    timezone: str
    condition: str
    # Upright headache per day, from 10 days before the patch (day 0) onward.
    upright: tuple[int, ...]
    level: str


PATCH_DAY = 10  # index into `upright`
STORIES = (
    Story(
        "maria",
        "Maria Keller (patch that holds)",
        "Europe/Zurich",
        "pdph",
        (7, 8, 7, 8, 8, 7, 8, 8, 7, 8, 8, 3, 2, 2, 1, 2, 1, 1, 1, 0, 1, 0, 0),
        "L3/L4",
    ),
    Story(
        "tom",
        "Tom Whitaker (helps, then fails)",
        "America/New_York",
        "spontaneous",
        (8, 7, 8, 8, 9, 8, 8, 7, 8, 8, 8, 2, 2, 3, 7, 8, 8, 8, 9, 8, 8, 8, 8),
        "T12/L1",
    ),
    Story(
        "ana",
        "Ana Ruiz (patch does nothing)",
        "Australia/Sydney",
        "spontaneous",
        (7, 7, 6, 7, 8, 7, 7, 7, 6, 7, 7, 7, 7, 6, 7, 7, 8, 7, 7, 7, 7, 6, 7),
        "L2/L3",
    ),
)


def _stable_id(*parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "/".join(map(str, parts)))


def story_items(story: Story, anchor: dt.date) -> tuple[list[SyncItem], list[SyncItem]]:
    """The story's entries and its patch; day 0 of the story is `anchor` - len + 1."""
    tz = zoneinfo.ZoneInfo(story.timezone)
    first_day = anchor - dt.timedelta(days=len(story.upright) - 1)
    entries: list[SyncItem] = []
    for offset, upright in enumerate(story.upright):
        day = first_day + dt.timedelta(days=offset)
        lying = max(0, upright - 5)  # the orthostatic contrast: better lying flat
        for hour, posture, score in (
            (8, "lying", lying),
            (11, "standing", upright),
            (17, "sitting", max(0, upright - 1)),
            (22, "lying", lying),
        ):
            values = {
                "recorded_at": dt.datetime.combine(day, dt.time(hour), tz),
                "posture": posture,
                "headache": score,
                "symptoms": ["nausea", "neck_pain"] if score >= 6 else [],
            }
            if posture != "lying" and score:
                values["onset_minutes"] = 10
            if posture == "lying" and upright >= 4:
                values["relief_minutes"] = 20
            entry_id = _stable_id(story.username, day.isoformat(), hour)
            entries.append(SyncItem(index=len(entries), uuid=entry_id, values=values))
    patch_day = first_day + dt.timedelta(days=PATCH_DAY)
    patch = SyncItem(
        index=0,
        uuid=_stable_id(story.username, "patch"),
        values={
            "performed_at": dt.datetime.combine(patch_day, dt.time(14), tz),
            "kind": "epidural_blood_patch",
            "approach": "blind",
            "levels": [story.level],
            "volume_ml": 20,
            "note": "",
        },
    )
    return entries, [patch]
