"""Sweep benchmark: judge N synthetic patients as `manage.py detect_relapses` does.

    .venv/bin/python bench/sweep.py [--sizes 1000,10000] [--keep] [--reuse]
    .venv/bin/python bench/sweep.py --sizes 1000 --profile 300   # cProfile one sweep slice

On PostgreSQL, in a database of its own (`csf_bench_sweep`, dropped at the end
unless --keep), built with COPY: N patients in four time zones, 180 local days
x 4 entries (2 upright, 2 lying) ending yesterday, and one blood patch 5-80
days ago, so every patient is due for the sweep. Each patient tells one seeded
story (~30 % relapse, ~20 % no response, ~10 % rebound pattern, the rest a
patch that holds), so the first sweep must raise exactly one flag of the
story's kind for ~60 % of them and nothing for the rest: the bench checks it.

At each size (the same database grows: 1k, then 9k more for 10k):

- first sweep: flags emptied, then `call_command("detect_relapses")`, timed;
- steady sweep: the same again (an hourly sweep: must raise 0 new flags);
- on-write: `patient_evaluate` of random patients, as a diary write asks for it
  (median ms), and the SQL statements of one evaluation (steady, and raising a flag).

Goal (issue 3): a 100k-patient sweep in <= 10 minutes on this 2-core machine,
i.e. >= ~167 patients/s; the on-write evaluation must not grow with N.

Then the minute-ly checkpoint job (issue 18) at 100,000 patients of whom 1 % have
a no-response checkpoint due (`--checkpoint-total`, `--checkpoint-due`): the
database gets cheap patients (a treatment and its follow-up row each, no
entries; ~3 % waiting for a checkpoint later) up to the total, and the first
1 % of the real diaries have their checkpoint made due. Timed: one run of
`judge_due_checkpoints` (claim, then judge each claimed treatment: what beat and
the workers do, here in one process), first raising those patients' flags
again, then steady; and the claim alone with nothing due. Printed beside the
full sweep's 100k projection. Goal: <= 30 s. The cheap rows are deleted after.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import math
import pstats
import random
import re
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

import psycopg
from psycopg import sql

from bench.harness import app_env, drop_database, pg_url, recreate_database, setup_django

GOAL_PATIENTS, GOAL_SECONDS = 100_000, 600
GOAL_RATE = GOAL_PATIENTS / GOAL_SECONDS
ZONES = ("Europe/Zurich", "America/New_York", "Australia/Sydney", "Asia/Tokyo")
DAYS = 180
# Local minute of the day and posture of the 4 daily entries (2 upright, 2 lying).
SLOTS = (
    (8 * 60, "lying"),
    (11 * 60 + 30, "sitting"),
    (17 * 60 + 30, "standing"),
    (22 * 60, "lying"),
)
STORY_WEIGHTS = {"relapse": 30, "no_response": 20, "rebound": 10, "hold": 40}
FLAG_OF_STORY = {"relapse": "relapse", "no_response": "no_response", "rebound": "rebound_pattern"}
PATIENTS_PER_CLINIC = 250
CONDITIONS = ("pdph", "spontaneous", "post_surgical", "traumatic", "unknown")
LEVELS = ('["L3/L4"]', '["L2/L3"]', '["C6/C7"]', '["T11/T12", "T12/L1"]')
UPRIGHT_SYMPTOMS = ('["nausea", "neck_pain"]', '["tinnitus"]', '["dizziness", "cognitive_fog"]')

# The columns each COPY fills; any other NOT NULL column gets its model default
# (see `_defaults`), so a field added later does not break the bench.
PATIENT_COLUMNS = (
    "id",
    "clinic_id",
    "display_name",
    "timezone",
    "condition",
    "diary_version",
    "created_at",
)
TREATMENT_COLUMNS = (
    "uuid",
    "patient_id",
    "note",
    "created_at",
    "updated_at",
    "version",
    "performed_at",
    "performed_offset_minutes",
    "kind",
    "approach",
    "levels",
    "volume_ml",
)
ENTRY_COLUMNS = (
    "uuid",
    "patient_id",
    "recorded_at",
    "recorded_offset_minutes",
    "posture",
    "headache",
    "symptoms",
    "note",
    "created_at",
    "updated_at",
    "version",
)


# --- the synthetic patients ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Story:
    """One patient's course; everything follows from (seed, index)."""

    index: int
    patient_id: str
    treatment_id: str
    zone: str
    kind: str  # a key of STORY_WEIGHTS
    days_ago: int  # local day of the patch, counted back from today
    patch_minute: int  # local minute of the day of the patch (09:00-11:00)
    up0: int  # upright headache before the patch
    ly0: int  # lying headache before the patch
    hold_up: int  # upright once the patch works
    hold_ly: int  # lying once the patch works
    turn: int  # relapse: day the headache comes back; rebound: day lying gets worse

    @property
    def flag(self) -> str | None:
        return FLAG_OF_STORY.get(self.kind)


def story_rng(seed: int, index: int) -> random.Random:
    return random.Random(seed * 1_000_003 + index)


def make_story(seed: int, index: int) -> Story:
    rng = story_rng(seed, index)
    kind = rng.choices(list(STORY_WEIGHTS), weights=list(STORY_WEIGHTS.values()))[0]
    days_ago = rng.randint(5, 80)
    if kind == "relapse":
        # Improved from the day after, back up on `turn`; proven the next day (12 h span).
        turn = rng.randint(3, min(20, days_ago - 2))
    elif kind == "rebound":
        turn = rng.randint(1, min(3, days_ago - 1))
    else:
        turn = 0
    return Story(
        index=index,
        patient_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        treatment_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        zone=ZONES[index % len(ZONES)],
        kind=kind,
        days_ago=days_ago,
        patch_minute=rng.randint(9 * 60, 11 * 60),
        up0=rng.randint(6, 8),
        ly0=rng.randint(1, 3),
        hold_up=rng.randint(1, 2),
        hold_ly=rng.randint(0, 1),
        turn=turn,
    )


def stories(seed: int, start: int, stop: int) -> list[Story]:
    return [make_story(seed, i) for i in range(start, stop)]


def _noisy(rng: random.Random, value: int, how: str) -> int:
    """One stray point now and then; `how` keeps each story's outcome certain.

    "both": -1 or +1 (20 % each); "up": +1 (30 %); "down": -1 (30 %).
    """
    r = rng.random()
    if how == "both":
        value += (r < 0.2) - (r > 0.8)
    elif how == "up":
        value += r < 0.3
    else:
        value -= r < 0.3
    return min(10, max(0, value))


def headache(s: Story, rng: random.Random, day: int, posture: str) -> int:
    """The rating on day `day` (0 = the patch day: still the baseline) in `posture`.

    Margins against the default thresholds: before the patch and on its day the
    upright score stays >= 5 (no improvement); a held patch stays upright <= 3
    (never a relapse, >= 4) with lying <= 1 (never 2 above upright); a relapse
    goes back to >= 6 upright; a rebound lies at 5-7 against upright <= 3;
    no response keeps the baseline (target <= 3.5 while upright >= 5).
    """
    upright = posture != "lying"
    if day <= 0 or s.kind == "no_response":
        return _noisy(rng, s.up0 if upright else s.ly0, "both")
    if s.kind == "relapse" and day >= s.turn:
        return _noisy(rng, s.up0, "up") if upright else _noisy(rng, s.ly0, "both")
    if s.kind == "rebound" and day >= s.turn:
        return _noisy(rng, s.hold_up, "both") if upright else _noisy(rng, 6, "both")
    return _noisy(rng, s.hold_up, "both") if upright else _noisy(rng, s.hold_ly, "down")


@dataclass
class _Diary:
    story: Story
    rng: random.Random
    patch_index: int  # day index (0..DAYS-1) of the patch
    bases: list[datetime]  # each day's local midnight, as naive UTC
    offsets: list[int]  # each day's UTC offset in minutes (taken at local noon)


def _diary(s: Story, seed: int, now: datetime) -> _Diary:
    zone = ZoneInfo(s.zone)
    first = now.astimezone(zone).date() - timedelta(days=DAYS)  # last diary day: yesterday
    bases, offsets = [], []
    for i in range(DAYS):
        d = first + timedelta(days=i)
        offset = zone.utcoffset(datetime(d.year, d.month, d.day, 12))  # noqa: DTZ001 (wall time)
        assert offset is not None
        minutes = int(offset.total_seconds() // 60)
        bases.append(datetime(d.year, d.month, d.day) - offset)  # noqa: DTZ001 (naive UTC)
        offsets.append(minutes)
    rng = random.Random(f"entries:{seed}:{s.index}")  # the entries' own seeded stream
    return _Diary(s, rng, DAYS - s.days_ago, bases, offsets)


def patch_time(d: _Diary) -> tuple[datetime, int]:
    """(performed_at as naive UTC, its offset in minutes)."""
    i = d.patch_index
    return d.bases[i] + timedelta(minutes=d.story.patch_minute), d.offsets[i]


def entry_chunks(diaries: list[_Diary], salt: str, created: str) -> Iterator[str]:
    """COPY text for every entry, one chunk per day across all the batch's patients.

    Day-major order spreads each patient's entries over the table as daily syncs
    would, instead of one contiguous run per patient (which would flatter reads).
    """
    for i in range(DAYS):
        lines = []
        for d in diaries:
            s, rng = d.story, d.rng
            base, off = d.bases[i], d.offsets[i]
            day = i - d.patch_index
            for k, (minute, posture) in enumerate(SLOTS):
                minute += int(rng.random() * 41) - 20  # +-20 min
                value = headache(s, rng, day, posture)
                at = base + timedelta(minutes=minute)
                symptoms = "[]"
                if posture != "lying" and value >= 5:
                    symptoms = UPRIGHT_SYMPTOMS[(i + k) % len(UPRIGHT_SYMPTOMS)]
                lines.append(
                    f"{s.index:08x}-{i:04x}-4000-8{k:03x}-{salt}\t{s.patient_id}\t{at}+00\t{off}\t"
                    f"{posture}\t{value}\t{symptoms}\t\t{created}\t{created}\t{i * 4 + k + 1}\n"
                )
        yield "".join(lines)


# --- building the database with COPY ----------------------------------------------


def _defaults(model: Any, columns: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """The NOT NULL columns the bench does not fill, and their defaults as COPY text."""
    names, values = [], []
    for f in model._meta.concrete_fields:
        if f.column in columns or f.null or f.primary_key:
            continue
        if not f.has_default():
            raise SystemExit(f"bench/sweep.py does not fill {model.__name__}.{f.name}")
        value = f.get_default()
        text = json.dumps(value) if isinstance(value, list | dict) else str(value)
        names.append(f.column)
        values.append({"True": "t", "False": "f"}.get(text, text))
    return tuple(names), "".join(f"\t{v}" for v in values)


def _copy(
    cur: psycopg.Cursor[Any], model: Any, columns: tuple[str, ...], chunks: Iterable[str]
) -> None:
    """COPY rows (text lines of `columns`) into the model's table, defaults appended."""
    extra, suffix = _defaults(model, columns)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table),
        sql.SQL(", ").join(map(sql.Identifier, columns + extra)),
    )
    with cur.copy(statement) as copy:
        for chunk in chunks:
            copy.write(chunk.replace("\n", suffix + "\n") if suffix else chunk)


def ensure_clinics(n_patients: int) -> list[int]:
    """One clinic per PATIENTS_PER_CLINIC patients; every other one has threshold overrides
    (equal to the defaults: the override path runs without changing any story)."""
    from accounts.models import Clinic
    from diary.models import ClinicThresholds

    ids = []
    for c in range(math.ceil(n_patients / PATIENTS_PER_CLINIC)):
        clinic, _ = Clinic.objects.get_or_create(name=f"Bench clinic {c:04d}")
        if c % 2:
            ClinicThresholds.objects.get_or_create(
                clinic=clinic, defaults={"overrides": {"relapse_min_entries": 2}}
            )
        ids.append(clinic.pk)
    return ids


def build(dbname: str, seed: int, start: int, stop: int, batch: int) -> tuple[int, float]:
    """Add patients start..stop-1 (one COPY transaction per batch), then VACUUM ANALYZE.

    Returns (entries written, seconds)."""
    from diary.models import Patient, SymptomEntry, Treatment

    if stop <= start:
        return 0, 0.0
    clinics = ensure_clinics(stop)
    salt = f"{seed & 0xFFFFFFFFFFFF:012x}"
    rows = 0
    t0 = time.perf_counter()
    with psycopg.connect(pg_url(dbname)) as conn:
        conn.execute("SET synchronous_commit = off")  # a bench load, not a patient's write
        for lo in range(start, stop, batch):
            hi = min(stop, lo + batch)
            now = datetime.now(UTC)
            created = f"{now.replace(tzinfo=None)}+00"
            diaries = [_diary(s, seed, now) for s in stories(seed, lo, hi)]
            patients, treatments = [], []
            for d in diaries:
                s = d.story
                patients.append(
                    f"{s.patient_id}\t{clinics[s.index // PATIENTS_PER_CLINIC]}\t"
                    f"Bench patient {s.index:06d}\t{s.zone}\t"
                    f"{CONDITIONS[s.index % len(CONDITIONS)]}\t{DAYS * 4 + 1}\t{created}\n"
                )
                at, off = patch_time(d)
                approach = "targeted" if s.index % 3 == 0 else "blind"
                treatments.append(
                    f"{s.treatment_id}\t{s.patient_id}\t\t{created}\t{created}\t{DAYS * 4 + 1}\t"
                    f"{at}+00\t{off}\tepidural_blood_patch\t{approach}\t"
                    f"{LEVELS[s.index % len(LEVELS)]}\t{10 + 5 * (s.index % 4)}.0\n"
                )
            with conn.cursor() as cur:
                _copy(cur, Patient, PATIENT_COLUMNS, ["".join(patients)])
                _copy(cur, Treatment, TREATMENT_COLUMNS, ["".join(treatments)])
                _copy(cur, SymptomEntry, ENTRY_COLUMNS, entry_chunks(diaries, salt, created))
            conn.commit()
            rows += len(diaries) * DAYS * len(SLOTS)
            print(f"  built {hi:>7,} patients ({time.perf_counter() - t0:5.1f} s)", flush=True)
    with psycopg.connect(pg_url(dbname), autocommit=True) as conn:
        # ANALYZE for the planner; VACUUM so the first sweep does not pay for setting
        # hint bits on millions of fresh rows (a live database's old rows have them).
        for model in (Patient, Treatment, SymptomEntry):
            conn.execute(
                sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(model._meta.db_table))
            )
    return rows, time.perf_counter() - t0


# --- measuring ---------------------------------------------------------------------


@dataclass
class Sweep:
    patients: int
    raised: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.patients / self.seconds


def sweep() -> Sweep:
    """`manage.py detect_relapses`, timed from the call to its return."""
    from django.core.management import call_command

    out = io.StringIO()
    start = time.perf_counter()
    call_command("detect_relapses", stdout=out)
    seconds = time.perf_counter() - start
    match = re.search(r"Judged (\d+) patients; raised (\d+) new flags", out.getvalue())
    if match is None:
        raise SystemExit(f"unexpected detect_relapses output: {out.getvalue()!r}")
    return Sweep(int(match[1]), int(match[2]), seconds)


@contextlib.contextmanager
def notifications_queued() -> Iterator[list[tuple]]:
    """A raised flag's notification fan-out only queued, as with a broker.

    The bench runs without a broker (the embedded default), where the fan-out
    runs in-process as each flag commits: the notification worker's work, not
    the sweep's. The list collects what would have gone to the broker."""
    from notifications.tasks import notify_flag

    queued: list[tuple] = []
    notify_flag.delay = lambda *args: queued.append(args)  # type: ignore[method-assign]
    try:
        yield queued
    finally:
        del notify_flag.delay  # back to the class's method


def reset_flags() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE diary_flag CASCADE")  # and what refers to flags (notifications)
        cur.execute("ANALYZE diary_flag")


def check_flags(built: list[Story]) -> str:
    """Every patient flagged exactly as its story says, or SystemExit."""
    from diary.models import Flag

    pairs = {(str(p), k) for p, k in Flag.objects.values_list("patient_id", "kind")}
    expected = {(s.patient_id, s.flag) for s in built if s.flag}
    unsupported = Flag.objects.filter(still_supported=False).count()
    got = Counter(k for _, k in pairs)
    line = ", ".join(f"{k} {got[k]:,}" for k in ("relapse", "no_response", "rebound_pattern"))
    missing, unexpected = len(expected - pairs), len(pairs - expected)
    if missing or unexpected or unsupported:
        raise SystemExit(
            f"flags {line}: {missing} missing, {unexpected} unexpected, "
            f"{unsupported} no longer supported"
        )
    return f"{line}: exactly the stories' ({len(built) - len(expected):,} patients hold)"


@dataclass
class OnWrite:
    median_ms: float
    min_ms: float
    max_ms: float
    samples: int
    queries_steady: int
    queries_raising: int


def on_write(built: list[Story], samples: int, seed: int, show_queries: bool) -> OnWrite:
    """`patient_evaluate` of random patients, as a diary write asks for it (no new flag),
    then the statements of one evaluation steady and of one that raises a flag."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from diary.models import Flag
    from diary.services.evaluation import patient_evaluate

    picked = random.Random(seed).sample(built, min(samples, len(built)))
    times = []
    for s in picked:
        start = time.perf_counter()
        patient_evaluate(patient_id=s.patient_id)
        times.append((time.perf_counter() - start) * 1000)
    flagged = next(s for s in picked if s.flag)
    with CaptureQueriesContext(connection) as steady:
        patient_evaluate(patient_id=flagged.patient_id)
    Flag.objects.filter(patient_id=flagged.patient_id).delete()
    with notifications_queued(), CaptureQueriesContext(connection) as raising:
        result = patient_evaluate(patient_id=flagged.patient_id)
    if [f.kind for f in result.raised] != [flagged.flag]:
        raise SystemExit(f"on-write evaluation raised {result.raised}, expected {flagged.flag}")
    if show_queries:
        print("    statements of one evaluation that raises a flag:")
        for q in raising.captured_queries:
            print(f"      {q['time']:>6} s  {q['sql'][:150]}")
    return OnWrite(
        median_ms=statistics.median(times),
        min_ms=min(times),
        max_ms=max(times),
        samples=len(times),
        queries_steady=len(steady.captured_queries),
        queries_raising=len(raising.captured_queries),
    )


# --- the checkpoint job at 100k (issue 18) ------------------------------------------


CHECKPOINT_GOAL_SECONDS = 30
CHEAP_CLINIC = "Bench checkpoint clinic (cheap rows)"
CHEAP_WAITING_EVERY = 33  # ~3 % of the cheap follow-ups wait for a checkpoint later


def build_cheap(dbname: str, count: int, batch: int = 20_000) -> float:
    """`count` patients with one old treatment and its follow-up row each, no entries:
    the rows the checkpoint claim reads past. Returns seconds."""
    from accounts.models import Clinic
    from diary.models import Patient, Treatment, TreatmentFollowUp

    t0 = time.perf_counter()
    clinic = Clinic.objects.create(name=CHEAP_CLINIC)
    now = datetime.now(UTC)
    created = f"{now.replace(tzinfo=None)}+00"
    rng = random.Random(count)
    with psycopg.connect(pg_url(dbname)) as conn:
        conn.execute("SET synchronous_commit = off")
        for lo in range(0, count, batch):
            patients, treatments = [], []
            for i in range(lo, min(count, lo + batch)):
                pid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                at = now - timedelta(days=i % 365, minutes=rng.randint(0, 1439))
                patients.append(
                    f"{pid}\t{clinic.pk}\tCheap patient {i:06d}\tUTC\tunknown\t1\t{created}\n"
                )
                treatments.append(
                    f"{uuid.uuid4()}\t{pid}\t\t{created}\t{created}\t1\t"
                    f"{at.replace(tzinfo=None)}+00\t0\tepidural_blood_patch\tblind\t"
                    '["L3/L4"]\t20.0\n'
                )
            with conn.cursor() as cur:
                _copy(cur, Patient, PATIENT_COLUMNS, ["".join(patients)])
                _copy(cur, Treatment, TREATMENT_COLUMNS, ["".join(treatments)])
            conn.commit()
        # Their follow-ups: nothing judged (no entries); a few wait for a later checkpoint.
        conn.execute(
            sql.SQL(
                "INSERT INTO {fu} (treatment_id, patient_id, updated_at, baseline_method,"
                " upright_entries_7d, evaluable, improved_by_72h, improved_within_7d,"
                " followed_until, improvement_window_end, next_checkpoint_at)"
                " SELECT t.id, t.patient_id, %(now)s, 'absolute', 0, false, false, false,"
                " t.performed_at, t.performed_at + interval '8 days',"
                " CASE WHEN t.id %% {every} = 0"
                " THEN %(now)s + (t.id %% 10080) * interval '1 minute' END"
                " FROM {t} t JOIN {p} p ON p.id = t.patient_id WHERE p.clinic_id = %(clinic)s"
            ).format(
                fu=sql.Identifier(TreatmentFollowUp._meta.db_table),
                t=sql.Identifier(Treatment._meta.db_table),
                p=sql.Identifier(Patient._meta.db_table),
                every=sql.Literal(CHEAP_WAITING_EVERY),
            ),
            {"now": now, "clinic": clinic.pk},
        )
        conn.commit()
    with psycopg.connect(pg_url(dbname), autocommit=True) as conn:
        for model in (Patient, Treatment, TreatmentFollowUp):
            conn.execute(
                sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(model._meta.db_table))
            )
    return time.perf_counter() - t0


def delete_cheap() -> None:
    """Back to the real diaries only, so --reuse keeps working."""
    from django.db import connection

    from accounts.models import Clinic

    clinic = Clinic.objects.get(name=CHEAP_CLINIC)
    with connection.cursor() as cur:
        for table, via in (
            ("diary_treatmentfollowup", "patient_id"),
            ("diary_treatment", "patient_id"),
        ):
            cur.execute(
                f"DELETE FROM {table} WHERE {via} IN "  # noqa: S608 - fixed names
                "(SELECT id FROM diary_patient WHERE clinic_id = %s)",
                [clinic.pk],
            )
        cur.execute("DELETE FROM diary_patient WHERE clinic_id = %s", [clinic.pk])
    clinic.delete()


def make_due(patient_ids: list[str]) -> None:
    from django.db import connection
    from django.utils import timezone

    from diary.models import TreatmentFollowUp

    TreatmentFollowUp.objects.filter(patient_id__in=patient_ids).update(
        next_checkpoint_at=timezone.now() - timedelta(minutes=1)
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE diary_treatmentfollowup")


@dataclass
class CheckpointRun:
    claimed: int
    raised: int
    seconds: float


def checkpoint_job() -> CheckpointRun:
    """One run of the beat task (its per-chunk jobs run in-process: no broker)."""
    from diary.models import Flag
    from diary.tasks import judge_due_checkpoints

    before = Flag.objects.count()
    start = time.perf_counter()
    claimed = judge_due_checkpoints()
    seconds = time.perf_counter() - start
    return CheckpointRun(claimed, Flag.objects.count() - before, seconds)


@dataclass
class CheckpointResult:
    total: int
    due: int
    raising: CheckpointRun
    steady: CheckpointRun
    idle_ms: float


def measure_checkpoints(args: argparse.Namespace, built_n: int) -> CheckpointResult | None:
    from django.utils import timezone

    from diary.models import Flag, Patient, TreatmentFollowUp
    from diary.services.checkpoints import checkpoints_claim

    total, due_n = args.checkpoint_total, round(args.checkpoint_total * args.checkpoint_due)
    if not total:
        return None
    if due_n > built_n:
        raise SystemExit(f"{due_n:,} due checkpoints need as many real diaries (have {built_n:,})")
    print(f"\n== Checkpoints: {total:,} patients, {due_n:,} due ==", flush=True)
    seconds = build_cheap(args.db, total - built_n)
    print(f"  build: {total - built_n:,} cheap patients with follow-ups in {seconds:.0f} s")
    try:
        assert Patient.objects.count() == total
        due = stories(args.seed, 0, due_n)
        ids = [s.patient_id for s in due]
        waiting = TreatmentFollowUp.objects.filter(next_checkpoint_at__isnull=False).count()
        print(f"  follow-up rows {TreatmentFollowUp.objects.count():,}, {waiting:,} waiting")

        start = time.perf_counter()
        idle = checkpoints_claim(now=timezone.now())
        idle_ms = (time.perf_counter() - start) * 1000
        if idle:
            raise SystemExit(f"{len(idle)} checkpoints claimed with none due")

        Flag.objects.filter(patient_id__in=ids).delete()
        make_due(ids)
        with notifications_queued():
            raising = checkpoint_job()
        expected = sum(1 for s in due if s.flag)
        if raising.claimed != due_n or raising.raised != expected:
            raise SystemExit(
                f"claimed {raising.claimed:,} / raised {raising.raised:,}, "
                f"expected {due_n:,} / {expected:,}"
            )
        make_due(ids)
        steady = checkpoint_job()
        if steady.claimed != due_n or steady.raised:
            raise SystemExit(f"steady: claimed {steady.claimed:,}, raised {steady.raised:,}")
        if TreatmentFollowUp.objects.filter(
            patient_id__in=ids, next_checkpoint_at__isnull=False
        ).exists():
            raise SystemExit("a judged checkpoint was left waiting")
    finally:
        delete_cheap()
    for label, run in (
        ("checkpoint job, raising flags", raising),
        ("checkpoint job, steady", steady),
    ):
        print(
            f"  {label:38} {run.claimed:>7,} patients in {run.seconds:6.1f} s, "
            f"{run.raised:,} new flags",
            flush=True,
        )
    print(f"  checkpoint claim, nothing due          {idle_ms:8.1f} ms")
    return CheckpointResult(total, due_n, raising, steady, idle_ms)


@dataclass
class SizeResult:
    n: int
    first: Sweep
    eager: Sweep
    steady: Sweep
    onwrite: OnWrite


def show(label: str, run: Sweep) -> None:
    print(
        f"  {label:38} {run.patients:>7,} patients in {run.seconds:6.1f} s = "
        f"{run.rate:6.1f} patients/s, {run.raised:,} new flags",
        flush=True,
    )


def measure_size(args: argparse.Namespace, n: int) -> SizeResult:
    from diary.models import Patient

    have = Patient.objects.count()
    print(f"\n== N = {n:,} ==  (database has {have:,} patients)", flush=True)
    if have > n:
        raise SystemExit(f"database {args.db!r} already has {have:,} patients (> {n:,})")
    rows, seconds = build(args.db, args.seed, have, n, args.batch)
    if rows:
        print(f"  build: {rows:,} entries in {seconds:.0f} s (COPY + VACUUM ANALYZE)", flush=True)
    built = stories(args.seed, 0, n)

    # In-process first: it reads the freshly built diaries into the caches, so the
    # two runs the goal is judged on do not pay for that.
    reset_flags()
    eager = sweep()
    show("first sweep, notifications in-process", eager)
    if eager.patients != n:
        raise SystemExit(f"the sweep judged {eager.patients:,} patients, expected {n:,}")
    check_flags(built)
    reset_flags()
    with notifications_queued() as queued:
        first = sweep()
    show("first sweep, notifications queued", first)
    print(f"    flags: {check_flags(built)}; {len(queued):,} notifications queued", flush=True)
    steady = sweep()
    show("steady sweep", steady)
    if steady.raised:
        raise SystemExit(f"the steady sweep raised {steady.raised} new flags, expected 0")

    w = on_write(built, args.samples, args.seed + n, args.show_queries)
    print(
        f"  on-write patient_evaluate: median {w.median_ms:.1f} ms over {w.samples} patients "
        f"(min {w.min_ms:.1f}, max {w.max_ms:.1f}); SQL statements: {w.queries_steady} "
        f"(no new flag), {w.queries_raising} (raising one)",
        flush=True,
    )
    return SizeResult(n, first, eager, steady, w)


def report_checkpoints(c: CheckpointResult, results: list[SizeResult]) -> None:
    largest = results[-1]
    sweep_s = c.total / largest.steady.rate
    print(
        f"\nPeriodic work at {c.total:,} patients, {c.due:,} checkpoints due "
        f"(goal <= {CHECKPOINT_GOAL_SECONDS} s):"
    )
    for label, run in (
        ("checkpoint job, raising flags", c.raising),
        ("checkpoint job, steady", c.steady),
    ):
        verdict = "met" if run.seconds <= CHECKPOINT_GOAL_SECONDS else "NOT met"
        print(f"  {label:50} {run.seconds:6.1f} s  (goal {verdict})")
    print(f"  {'claim alone, nothing due (every idle minute)':50} {c.idle_ms / 1000:6.3f} s")
    print(
        f"  {'full sweep, projected from N = ' + format(largest.n, ','):50} {sweep_s:6.1f} s  "
        f"(steady; the checkpoint job takes {c.steady.seconds / sweep_s:.3f} x of it)"
    )


def report(results: list[SizeResult]) -> None:
    print("\n== Summary ==")
    print(f"{'':36}" + "".join(f"{f'N = {r.n:,}':>14}" for r in results))
    rows = [
        ("first sweep, patients/s", [f"{r.first.rate:.0f}" for r in results]),
        ("  notifications in-process", [f"{r.eager.rate:.0f}" for r in results]),
        ("steady sweep, patients/s", [f"{r.steady.rate:.0f}" for r in results]),
        ("on-write evaluate, median ms", [f"{r.onwrite.median_ms:.1f}" for r in results]),
        (
            "SQL per evaluate (steady / raising)",
            [f"{r.onwrite.queries_steady} / {r.onwrite.queries_raising}" for r in results],
        ),
    ]
    for name, cells in rows:
        print(f"{name:36}" + "".join(f"{c:>14}" for c in cells))
    largest = results[-1]
    print(
        f"\nProjected {GOAL_PATIENTS:,}-patient sweep, one process, from N = {largest.n:,} "
        f"(goal <= {GOAL_SECONDS // 60} min):"
    )
    for label, run in (
        ("first sweep (flags raised, notifications queued)", largest.first),
        ("first sweep, notifications in-process", largest.eager),
        ("steady sweep (no new flags)", largest.steady),
    ):
        minutes = GOAL_PATIENTS / run.rate / 60
        verdict = "met" if run.rate >= GOAL_RATE else "NOT met"
        print(f"  {label:50} {minutes:5.1f} min  (goal {verdict})")
    if len(results) > 1:
        a, b = results[0].onwrite, results[-1].onwrite
        print(
            f"On-write evaluation: {a.median_ms:.1f} ms at N = {results[0].n:,}, "
            f"{b.median_ms:.1f} ms at N = {results[-1].n:,} (x{b.median_ms / a.median_ms:.2f}); "
            f"statements {a.queries_steady} and {b.queries_steady}"
        )


def profile(args: argparse.Namespace, n: int, patients: int) -> None:
    """The sweep's first and a steady evaluation of `patients` due patients, under cProfile."""
    from django.utils import timezone

    from diary.models import Patient
    from diary.services.evaluation import patients_due_for_sweep, patients_evaluate

    build(args.db, args.seed, Patient.objects.count(), n, args.batch)
    ids = next(patients_due_for_sweep(now=timezone.now(), chunk_size=patients))
    reset_flags()
    for label in ("first judgement (raises flags)", "steady (no new flags)"):
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.runcall(patients_evaluate, patient_ids=ids)
        seconds = time.perf_counter() - start
        print(f"\n== {label}: {len(ids)} patients in {seconds:.2f} s under cProfile ==")
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
        stats.print_stats(args.profile_top)
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated, ascending")
    parser.add_argument("--samples", type=int, default=25, help="patients timed for on-write")
    parser.add_argument("--batch", type=int, default=500, help="patients per COPY transaction")
    parser.add_argument("--db", default="csf_bench_sweep", help="database to (re)create and drop")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="start from the kept database")
    parser.add_argument("--seed", type=int, default=20260304)
    parser.add_argument("--show-queries", action="store_true", help="print one evaluation's SQL")
    parser.add_argument(
        "--checkpoint-total", type=int, default=100_000, help="patients for the checkpoint job"
    )
    parser.add_argument(
        "--checkpoint-due", type=float, default=0.01, help="share with a checkpoint due"
    )
    parser.add_argument("--profile", type=int, metavar="P", help="only profile P patients")
    parser.add_argument("--profile-top", type=int, default=30)
    args = parser.parse_args()
    args.sizes = sorted(int(s) for s in args.sizes.split(","))
    return args


def main() -> None:
    args = parse_args()
    env = app_env(args.db)
    if not args.reuse:
        recreate_database(args.db)
    try:
        setup_django(env)  # migrations create every table and index
        if args.profile:
            profile(args, args.sizes[0], args.profile)
            return
        started = time.perf_counter()
        results = [measure_size(args, n) for n in args.sizes]
        checkpoints = measure_checkpoints(args, args.sizes[-1])
        report(results)
        if checkpoints:
            report_checkpoints(checkpoints, results)
        print(f"\n(total run time {time.perf_counter() - started:.0f} s)")
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"\nkept database {args.db!r} ({pg_url(args.db)}); --reuse starts from it")
        else:
            drop_database(args.db)


if __name__ == "__main__":
    main()
