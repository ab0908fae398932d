"""Demo diaries that tell the typical stories, for `manage.py seed_demo`.

Each story is upright/lying day scores around one blood patch; times are
anchored to the patient's creation date so seeding again changes nothing.
"""

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

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
    # The patient's PGIC answers (1 very much improved ... 7 very much worse) at +72 h, +7 d.
    pgic: tuple[int, int] = (4, 4)


PATCH_DAY = 10  # index into `upright`
STORIES = (
    Story(
        "maria",
        "Maria Keller (patch that holds)",
        "Europe/Zurich",
        "pdph",
        (7, 8, 7, 8, 8, 7, 8, 8, 7, 8, 8, 3, 2, 2, 1, 2, 1, 1, 1, 0, 1, 0, 0),
        "L3/L4",
        pgic=(2, 1),
    ),
    Story(
        "tom",
        "Tom Whitaker (helps, then fails)",
        "America/New_York",
        "spontaneous",
        (8, 7, 8, 8, 9, 8, 8, 7, 8, 8, 8, 2, 2, 3, 7, 8, 8, 8, 9, 8, 8, 8, 8),
        "T12/L1",
        pgic=(2, 6),
    ),
    Story(
        "ana",
        "Ana Ruiz (patch does nothing)",
        "Australia/Sydney",
        "spontaneous",
        (7, 7, 6, 7, 8, 7, 7, 7, 6, 7, 7, 7, 7, 6, 7, 7, 8, 7, 7, 7, 7, 6, 7),
        "L2/L3",
        pgic=(4, 4),
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


def story_day_logs(story: Story, anchor: dt.date, patch: SyncItem) -> tuple[list, list]:
    """A day log for every day of the story and the two PGIC answers: hours
    upright fall as the upright headache rises; a bad day is a day in bed."""
    tz = zoneinfo.ZoneInfo(story.timezone)
    first_day = anchor - dt.timedelta(days=len(story.upright) - 1)
    logs: list[SyncItem] = []
    for offset, upright in enumerate(story.upright):
        day = first_day + dt.timedelta(days=offset)
        hours = max(0.5, 14 - 1.5 * upright)
        values = {
            "date": day,
            "upright_hours": Decimal(str(hours)),
            "longest_upright_minutes": int(min(hours * 60, 15 + 10 * (10 - upright))),
            "bed_rest_hours": Decimal(str(max(0.0, 16 - hours))),
            "fluids_l": Decimal("2.5"),
            "caffeine_mg": 300 if upright >= 6 else 100,
            "binder": upright >= 6,
            "medications": (
                [{"name": "paracetamol", "dose": "1 g", "note": ""}] if upright >= 7 else []
            ),
            "note": "",
        }
        logs.append(
            SyncItem(index=len(logs), uuid=_stable_id(story.username, "day", day), values=values)
        )
    performed = patch.values["performed_at"]
    answers = [
        SyncItem(
            index=n,
            uuid=_stable_id(story.username, "pgic", checkpoint),
            values={
                "treatment_uuid": patch.uuid,
                "answered_at": performed + delay,
                "checkpoint": checkpoint,
                "score": score,
                "note": "",
            },
        )
        for n, (checkpoint, delay, score) in enumerate(
            (
                ("72h", dt.timedelta(hours=72, minutes=30), story.pgic[0]),
                ("7d", dt.timedelta(days=7, hours=1), story.pgic[1]),
            )
        )
        if (performed + delay).astimezone(tz).date() <= anchor
    ]
    return logs, answers
