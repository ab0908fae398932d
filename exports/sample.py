"""A realistic year of one patient's diary, for the benchmark, the README's
sample page and the tests: six entries a day, four treatments, and the
stories the flags are about (a relapse, a patch that does nothing, a rebound
to high pressure, a slow return before surgery).

Deterministic for a given seed. Rows are built in memory and written with
bulk_create, so a year (about 2,200 entries) takes a fraction of a second.
"""

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction

from diary.models import DayLog, Impression, Patient, SymptomEntry, Treatment

# (local time, posture): the day of someone who lies down whenever they can.
SLOTS = (
    (dt.time(7, 15), "lying"),
    (dt.time(8, 30), "standing"),
    (dt.time(11, 45), "sitting"),
    (dt.time(14, 30), "standing"),
    (dt.time(18, 0), "sitting"),
    (dt.time(22, 30), "lying"),
)
UPRIGHT_SYMPTOMS = (
    ("nausea", 0.45),
    ("neck_pain", 0.55),
    ("tinnitus", 0.3),
    ("dizziness", 0.25),
    ("cognitive_fog", 0.2),
    ("photophobia", 0.15),
    ("interscapular_pain", 0.15),
    ("muffled_hearing", 0.1),
)
NOTES = (
    "Had to lie down after 10 minutes at the shop.",
    'School run impossible, "worst day" this week.',
    "Kopfschmerz stärker nach dem Duschen; Übelkeit.",
    "Ohrensausen links,\nbesser im Liegen.",
    "=2+3 typed by mistake",  # a note a spreadsheet would run as a formula
    "Caffeine helped a little, for about an hour.",
)


@dataclass(frozen=True)
class PlannedTreatment:
    day: int  # days after the start
    at: dt.time
    kind: str
    approach: str | None
    levels: tuple[str, ...]
    volume_ml: Decimal | None


TREATMENTS = (
    PlannedTreatment(60, dt.time(10, 0), "epidural_blood_patch", "blind", ("L3/L4",), Decimal(20)),
    PlannedTreatment(
        110, dt.time(9, 30), "epidural_blood_patch", "targeted", ("L1/L2", "L2/L3"), Decimal(15)
    ),
    PlannedTreatment(170, dt.time(11, 0), "fibrin_glue", "targeted", ("T12/L1",), Decimal("4.5")),
    PlannedTreatment(300, dt.time(8, 0), "surgical_repair", None, ("T12/L1",), None),
)


def _levels(day: int) -> tuple[float, float]:
    """(upright, lying) headache level on day `day` of the story."""
    if day < 60:
        return 7.5, 2.0  # untreated orthostatic headache
    if day < 65:
        return 2.0, 1.0  # the first patch helps...
    if day < 110:
        return 7.5, 2.0  # ...then the headache comes back: relapse
    if day < 170:
        return 7.0, 2.5  # the second patch does nothing
    if day < 172:
        return 2.5, 1.5  # fibrin glue helps at once
    if day < 177:
        return 2.0, 6.0  # worse lying down: rebound high pressure
    if day < 230:
        return 1.5, 1.0
    if day < 300:
        return 1.5 + (day - 230) * 0.07, 1.5  # a slow return
    return 1.0, 0.5  # after surgical repair


def sample_year(
    patient: Patient, *, start: dt.date, days: int = 365, per_day: int = 6, seed: int = 7
) -> tuple[list[SymptomEntry], list[Treatment]]:
    """Unsaved entries and treatments for `days` days from `start` (the patient's local days)."""
    rng = random.Random(seed)  # noqa: S311 - sample data, reproducible by its seed
    zone = ZoneInfo(patient.timezone)
    entries: list[SymptomEntry] = []
    for day in range(days):
        upright, lying = _levels(day)
        local_day = start + dt.timedelta(days=day)
        for at, posture in SLOTS[:per_day]:
            minute = at.hour * 60 + at.minute + rng.randint(-20, 20)
            local = dt.datetime.combine(local_day, dt.time(minute // 60, minute % 60), tzinfo=zone)
            is_upright = posture != "lying"
            level = upright if is_upright else lying
            headache = max(0, min(10, round(level + rng.gauss(0, 0.8))))
            symptoms = []
            if is_upright and headache >= 5:
                symptoms = [s for s, p in UPRIGHT_SYMPTOMS if rng.random() < p]
            elif not is_upright and rng.random() < 0.15:
                symptoms = ["fatigue"]
            onset = relief = None
            if is_upright and headache >= 5 and rng.random() < 0.4:
                onset = rng.randint(3, 25)
            if not is_upright and upright >= 5 and rng.random() < 0.4:
                relief = rng.randint(5, 40)
            entries.append(
                SymptomEntry(
                    uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                    patient=patient,
                    recorded_at=local.astimezone(dt.UTC),
                    recorded_offset_minutes=int(local.utcoffset().total_seconds() // 60),
                    posture=posture,
                    headache=headache,
                    minutes_in_posture=rng.choice((None, 10, 30, 60, 120)),
                    onset_minutes=onset,
                    relief_minutes=relief,
                    symptoms=symptoms,
                    note=rng.choice(NOTES) if rng.random() < 0.04 else "",
                )
            )
    treatments = []
    for planned in TREATMENTS:
        if planned.day >= days:
            continue
        local = dt.datetime.combine(start + dt.timedelta(days=planned.day), planned.at, zone)
        treatments.append(
            Treatment(
                uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                patient=patient,
                performed_at=local.astimezone(dt.UTC),
                performed_offset_minutes=int(local.utcoffset().total_seconds() // 60),
                kind=planned.kind,
                approach=planned.approach,
                levels=list(planned.levels),
                volume_ml=planned.volume_ml,
                note="Second opinion: leak seen on CT myelography." if planned.day == 170 else "",
            )
        )
    return entries, treatments


# The patient's own verdict at +72 h and +7 d after each planned treatment, as
# the story goes (1 very much improved ... 7 very much worse).
PGIC_STORY = {60: (2, 5), 110: (4, 4), 170: (3, 2), 300: (2, 1)}


def sample_day_logs(
    patient: Patient, treatments: list[Treatment], *, start: dt.date, days: int = 365, seed: int = 7
) -> tuple[list[DayLog], list[Impression]]:
    """Unsaved day logs (most days) and PGIC answers that tell the same story as
    the ratings: hours upright fall as the upright headache rises, and a bad
    day is a day in bed."""
    rng = random.Random(seed + 1)  # noqa: S311 - sample data, reproducible by its seed
    zone = ZoneInfo(patient.timezone)
    logs = []
    for day in range(days):
        if rng.random() < 0.2:  # not every day is logged
            continue
        upright_level, _ = _levels(day)
        upright = max(0.5, min(15.0, 15.5 - 1.6 * upright_level + rng.gauss(0, 1)))
        upright = round(upright * 2) / 2
        logs.append(
            DayLog(
                uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                patient=patient,
                date=start + dt.timedelta(days=day),
                upright_hours=Decimal(str(upright)),
                longest_upright_minutes=int(min(upright * 60, rng.randint(10, 30) * upright)),
                bed_rest_hours=Decimal(str(max(0.0, 16 - upright))),
                fluids_l=Decimal(str(round(rng.uniform(1.5, 3.0), 1))),
                caffeine_mg=300 if upright_level >= 5 else rng.choice((0, 80, 160)),
                binder=upright_level >= 5 and rng.random() < 0.6,
                medications=(
                    [{"name": "paracetamol", "dose": "1 g", "note": ""}]
                    if upright_level >= 5 and rng.random() < 0.5
                    else []
                ),
            )
        )
    answers = []
    for treatment, planned in zip(treatments, TREATMENTS, strict=False):
        for (checkpoint, delay), score in zip(
            (("72h", dt.timedelta(hours=74)), ("7d", dt.timedelta(days=7, hours=3))),
            PGIC_STORY[planned.day],
            strict=True,
        ):
            answered = treatment.performed_at + delay
            if answered.astimezone(zone).date() >= start + dt.timedelta(days=days):
                continue
            answers.append(
                Impression(
                    uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                    patient=patient,
                    treatment=treatment,
                    answered_at=answered,
                    answered_offset_minutes=int(
                        answered.astimezone(zone).utcoffset().total_seconds() // 60
                    ),
                    checkpoint=checkpoint,
                    score=score,
                )
            )
    return logs, answers


@transaction.atomic
def sample_year_create(
    patient: Patient, *, start: dt.date, days: int = 365, per_day: int = 6, seed: int = 7
) -> tuple[int, int]:
    """Write the sample year (bulk, bypassing the per-write services), day logs
    and PGIC answers included. Returns the counts of entries and treatments."""
    entries, treatments = sample_year(patient, start=start, days=days, per_day=per_day, seed=seed)
    SymptomEntry.objects.bulk_create(entries, batch_size=2000)
    Treatment.objects.bulk_create(treatments)
    logs, answers = sample_day_logs(patient, treatments, start=start, days=days, seed=seed)
    DayLog.objects.bulk_create(logs, batch_size=2000)
    Impression.objects.bulk_create(answers)
    return len(entries), len(treatments)
