"""Ingest benchmark: a 500-entry `POST /api/v1/sync/` against a raw psycopg COPY.

    .venv/bin/python bench/sync_ingest.py [--rounds 11] [--workers 1] [--keep]
    .venv/bin/python bench/sync_ingest.py --profile      # in-process, under cProfile

Per round (after one warm-up round), on PostgreSQL, in a database of its own:

- upload: a fresh patient sends 500 new entries through gunicorn (sync workers,
  DEBUG off, persistent DB connection); timed from request to last byte read.
- replay: the same bytes again; every item must come back "unchanged".
- COPY: the same 500 rows (fresh uuids, another fresh patient) written with
  COPY ... FROM STDIN + COMMIT over an already-open psycopg connection. Rows are
  built before the clock starts: this is the database's floor, not a parser.

Goals (from the issue): upload / COPY <= 3 and replay / upload <= 0.3.

Beside it, a mixed batch of the same size (issue 13): entries with a few
triggers, two treatments, a day log a day and a PGIC answer at 72 h and 7 days
for each treatment, uploaded and replayed the same way (`--mixed-only` skips
the entry rounds; `--rounds` applies to both).

Jobs go to a Redis broker, as in production (which refuses to start without
one): the judgement a write asks for is one enqueue in the request and runs in
a worker. No worker runs here; the bench uses a Redis database it finds empty
(`--broker-url`) and empties it at the end. `--tasks in-process` runs the
judgement inside the upload request after commit instead, as the embedded
default does.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

import psycopg
from psycopg.types.json import Jsonb

from bench.harness import (
    HOST,
    GunicornServer,
    HttpClient,
    app_env,
    drop_database,
    fmt_ms,
    median_min,
    pg_url,
    recreate_database,
    setup_django,
)

SYNC_PATH = "/api/v1/sync/"
LOGIN_PATH = "/api/v1/auth/token/"
GOAL_COPY_RATIO = 3.0
GOAL_REPLAY_RATIO = 0.3
PHONE_TZ = timezone(timedelta(hours=1))
COPY_COLUMNS = (
    "uuid",
    "patient_id",
    "recorded_at",
    "recorded_offset_minutes",
    "posture",
    "headache",
    "minutes_in_posture",
    "onset_minutes",
    "relief_minutes",
    "symptoms",
    "triggers",
    "note",
    "created_at",
    "updated_at",
    "deleted_at",
    "version",
    "sync_digest",
)
NOTES = (
    "Worse after standing at work.",
    "Took paracetamol, little effect.",
    "Better after lying flat for an hour.",
    "Ringing in the left ear again.",
    "Slept badly; woke with a pressure headache.",
    "Long walk; had to sit down twice.",
)


# --- the batch ---------------------------------------------------------------------


def build_entries(rng: random.Random, n: int, symptoms: tuple[str, ...]) -> list[dict[str, Any]]:
    """n phone entries with fresh uuids, 4 a day over n/4 days, ending yesterday (+01:00)."""
    per_day = 4
    days = -(-n // per_day)
    first_day = datetime.now(PHONE_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    first_day -= timedelta(days=days + 1)
    slots = ((7, 30), (12, 15), (17, 0), (21, 45))
    entries = []
    for i in range(n):
        hour, minute = slots[i % per_day]
        moment = first_day + timedelta(
            days=i // per_day, hours=hour, minutes=minute + rng.randint(-20, 20)
        )
        posture = rng.choices(("lying", "sitting", "standing"), weights=(35, 35, 30))[0]
        upright = posture != "lying"
        entry: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "recorded_at": moment.isoformat(timespec="seconds"),
            "posture": posture,
            "headache": rng.randint(3, 10) if upright else rng.randint(0, 5),
            "minutes_in_posture": rng.randint(0, 240),
        }
        if upright and rng.random() < 0.4:
            entry["onset_minutes"] = rng.randint(2, 120)
        elif not upright and rng.random() < 0.4:
            entry["relief_minutes"] = rng.randint(5, 90)
        if rng.random() < 0.6:
            picked = set(rng.sample(symptoms, rng.randint(1, 4)))
            entry["symptoms"] = [s for s in symptoms if s in picked]  # the app's order
        if rng.random() < 0.2:
            entry["note"] = rng.choice(NOTES)
        entries.append(entry)
    return entries


def mixed_shape(n: int) -> dict[str, int]:
    """How many items of each kind a mixed batch of n holds."""
    day_logs, patches, impressions = n // 8, 2, 4
    return {
        "entries": n - day_logs - patches - impressions,
        "patches": patches,
        "day_logs": day_logs,
        "impressions": impressions,
    }


def build_mixed(rng: random.Random, n: int, symptoms: tuple[str, ...]) -> dict[str, list]:
    """n items of every kind a phone sends: a day log for each of the batch's
    days, two treatments with their two PGIC answers each, the rest entries."""
    shape = mixed_shape(n)
    n_logs = shape["day_logs"]
    entries = build_entries(rng, shape["entries"], symptoms)
    triggers = ("sitting_up", "standing", "walking", "coughing_or_straining")
    for entry in entries:
        if entry["posture"] != "lying" and rng.random() < 0.3:
            entry["triggers"] = [rng.choice(triggers)]
    yesterday = datetime.now(PHONE_TZ).date() - timedelta(days=1)
    day_logs = []
    for i in range(n_logs):
        upright = rng.randint(1, 28) / 2
        day_logs.append(
            {
                "id": str(uuid.uuid4()),
                "date": (yesterday - timedelta(days=i)).isoformat(),
                "upright_hours": upright,
                "longest_upright_minutes": rng.randint(5, int(upright * 60)),
                "bed_rest_hours": max(0.0, 16 - upright),
                "fluids_l": round(rng.uniform(1.5, 3), 1),
                "caffeine_mg": rng.choice((0, 100, 300)),
                "binder": rng.random() < 0.5,
                "medications": [{"name": "paracetamol", "dose": "1 g"}] if upright < 4 else [],
            }
        )
    now = datetime.now(PHONE_TZ).replace(microsecond=0)
    patches, answers = [], []
    for weeks in (6, 3):
        performed = now - timedelta(weeks=weeks)
        patch_id = str(uuid.uuid4())
        patches.append(
            {
                "id": patch_id,
                "performed_at": performed.isoformat(),
                "kind": "epidural_blood_patch",
                "approach": "targeted",
                "levels": ["T12/L1"],
                "volume_ml": 18,
            }
        )
        for checkpoint, delay in (("72h", timedelta(hours=73)), ("7d", timedelta(days=7))):
            answers.append(
                {
                    "id": str(uuid.uuid4()),
                    "treatment": patch_id,
                    "answered_at": (performed + delay).isoformat(),
                    "checkpoint": checkpoint,
                    "score": rng.randint(1, 7),
                }
            )
    return {"entries": entries, "patches": patches, "day_logs": day_logs, "impressions": answers}


def check_mixed(payload: bytes, batch: dict[str, list], expected: str, what: str) -> None:
    results = json.loads(payload)
    for section, items in batch.items():
        statuses = {r["status"] for r in results[section]}
        if len(results[section]) != len(items) or statuses != {expected}:
            sample = next((r for r in results[section] if r["status"] != expected), None)
            raise SystemExit(f"{what} {section}: expected {expected!r}, got {statuses}: {sample}")


def mixed_round(
    *, login: Callable[[str], None], post: Poster, cast: Cast, rng: random.Random, n: int
) -> tuple[float, float]:
    from diary.symptoms import SYMPTOMS

    username, _ = cast.patient("bench-mixed")
    assert username is not None
    login(username)
    batch = build_mixed(rng, n, SYMPTOMS)
    body = json.dumps(batch).encode()
    status, data, upload = post(body)
    if status != 200:
        raise SystemExit(f"mixed upload answered {status}: {data[:500]!r}")
    check_mixed(data, batch, "created", "mixed upload")
    status, data, replay = post(body)
    if status != 200:
        raise SystemExit(f"mixed replay answered {status}: {data[:500]!r}")
    check_mixed(data, batch, "unchanged", "mixed replay")
    return upload, replay


def copy_rows(entries: list[dict[str, Any]], patient_id: uuid.UUID) -> list[tuple[Any, ...]]:
    """The row the app would write for each entry (fresh uuid; version 1 = first write)."""
    from diary.services.sync import item_digest  # needs Django set up first

    now = datetime.now(UTC)
    rows = []
    for e in entries:
        moment = datetime.fromisoformat(e["recorded_at"])
        offset = moment.utcoffset()
        assert offset is not None
        rows.append(
            (
                uuid.uuid4(),
                patient_id,
                moment.astimezone(UTC),
                int(offset.total_seconds() // 60),
                e["posture"],
                e["headache"],
                e.get("minutes_in_posture"),
                e.get("onset_minutes"),
                e.get("relief_minutes"),
                Jsonb(e.get("symptoms", [])),
                Jsonb(e.get("triggers", [])),
                e.get("note", ""),
                now,
                now,
                None,
                1,
                item_digest(e),  # the app stores it too, so the floor writes the same bytes
            )
        )
    return rows


def copy_insert(conn: psycopg.Connection, rows: list[tuple[Any, ...]]) -> float:
    """Seconds for COPY + COMMIT of `rows` (the connection is already open)."""
    statement = f"COPY diary_symptomentry ({', '.join(COPY_COLUMNS)}) FROM STDIN"
    start = time.perf_counter()
    with conn.cursor() as cur, cur.copy(statement) as copy:  # type: ignore[arg-type]
        for row in rows:
            copy.write_row(row)
    conn.commit()
    return time.perf_counter() - start


# --- fixtures in the bench database ----------------------------------------------------


@dataclass
class Cast:
    """A clinic and a pre-computed password hash, so making a patient is cheap."""

    clinic: Any
    password: str
    password_hash: str
    counter: int = 0

    @classmethod
    def create(cls) -> Cast:
        import secrets

        from django.contrib.auth.hashers import make_password

        from accounts.models import Clinic

        password = secrets.token_urlsafe(16)
        clinic, _ = Clinic.objects.get_or_create(name="Bench clinic")
        # One real (slow) hash, reused: the server still checks it on every login.
        return cls(clinic=clinic, password=password, password_hash=make_password(password))

    def patient(self, label: str, *, with_login: bool = True) -> tuple[str | None, Any]:
        """(username or None, Patient) — a new diary, so every upload creates rows."""
        from accounts.models import Role, User
        from diary.models import Patient

        self.counter += 1
        user = None
        if with_login:
            user = User.objects.create(
                username=f"{label}-{self.counter}",
                password=self.password_hash,
                role=Role.PATIENT,
            )
        patient = Patient.objects.create(
            clinic=self.clinic,
            user=user,
            display_name=f"{label} {self.counter}",
            timezone="Europe/Zurich",
        )
        return (user.username if user else None), patient


def entry_count(patient: Any) -> int:
    from diary.models import SymptomEntry

    return SymptomEntry.objects.filter(patient=patient).count()


def check_results(
    payload: bytes, n: int, expected: str, patient: Any, what: str, *, rows: int | None = None
) -> None:
    """The run is only meaningful if the app did what the contract says."""
    results = json.loads(payload)["entries"]
    statuses = {r["status"] for r in results}
    if len(results) != n or statuses != {expected}:
        sample = next((r for r in results if r["status"] != expected), None)
        raise SystemExit(f"{what}: expected {n} x {expected!r}, got {statuses}; e.g. {sample}")
    found, rows = entry_count(patient), n if rows is None else rows
    if found != rows:
        raise SystemExit(f"{what}: expected {rows} rows for the patient, found {found}")


def another_write(patient: Any) -> None:
    """One entry from elsewhere (another device, the web): the diary moves on."""
    from diary.models import SymptomEntry
    from diary.services.records import record_create

    values = {"recorded_at": datetime.now(UTC), "posture": "lying", "headache": 1}
    record_create(model=SymptomEntry, patient=patient, values=values)


# --- the two ways in: gunicorn over HTTP, and django.test.Client in-process ---------

Poster = Callable[[bytes], tuple[int, bytes, float]]


def http_login(client: HttpClient, username: str, password: str) -> None:
    body = json.dumps({"username": username, "password": password}).encode()
    client.headers.pop("Authorization", None)
    status, data, _ = client.post(LOGIN_PATH, body)
    if status != 200:
        raise SystemExit(f"login failed ({status}): {data[:300]!r}")
    client.headers["Authorization"] = f"Bearer {json.loads(data)['access']}"


class InProcess:
    """The same request through Django's handler, without a socket or gunicorn."""

    def __init__(self) -> None:
        from django.test import Client

        self.client = Client(HTTP_HOST=HOST)
        self.auth: dict[str, str] = {}

    def login(self, username: str, password: str) -> None:
        response = self.client.post(
            LOGIN_PATH,
            {"username": username, "password": password},
            content_type="application/json",
        )
        if response.status_code != 200:
            raise SystemExit(f"login failed ({response.status_code}): {response.content[:300]!r}")
        self.auth = {"Authorization": f"Bearer {response.json()['access']}"}

    def post(self, body: bytes) -> tuple[int, bytes, float]:
        start = time.perf_counter()
        response = self.client.post(
            SYNC_PATH, body, content_type="application/json", headers=self.auth
        )
        content = response.content
        return response.status_code, content, time.perf_counter() - start


@dataclass
class Timings:
    upload: list[float] = field(default_factory=list)
    replay: list[float] = field(default_factory=list)
    replay_after: list[float] = field(default_factory=list)
    copy: list[float] = field(default_factory=list)
    mixed_upload: list[float] = field(default_factory=list)
    mixed_replay: list[float] = field(default_factory=list)


def one_round(
    *,
    login: Callable[[str], None],
    post: Poster,
    cast: Cast,
    rng: random.Random,
    n: int,
    label: str,
    copy_conn: psycopg.Connection | None,
) -> tuple[float, float, float, float | None]:
    from diary.symptoms import SYMPTOMS

    username, patient = cast.patient(label)
    assert username is not None
    login(username)
    entries = build_entries(rng, n, SYMPTOMS)
    body = json.dumps({"entries": entries}).encode()

    status, data, upload = post(body)
    if status != 200:
        raise SystemExit(f"upload answered {status}: {data[:500]!r}")
    check_results(data, n, "created", patient, "upload")

    status, data, replay = post(body)
    if status != 200:
        raise SystemExit(f"replay answered {status}: {data[:500]!r}")
    check_results(data, n, "unchanged", patient, "replay")

    # After another write the same batch no longer matches the diary's last
    # change: each item is recognised by its own fingerprint instead.
    another_write(patient)
    status, data, replay_after = post(body)
    if status != 200:
        raise SystemExit(f"replay after another write answered {status}: {data[:500]!r}")
    check_results(data, n, "unchanged", patient, "replay after a write", rows=n + 1)

    copy_seconds = None
    if copy_conn is not None:
        _, copy_patient = cast.patient(f"{label}-copy", with_login=False)
        copy_seconds = copy_insert(copy_conn, copy_rows(entries, copy_patient.pk))
        if entry_count(copy_patient) != n:
            raise SystemExit("COPY did not leave the expected rows")
    return upload, replay, replay_after, copy_seconds


def run_rounds(
    *,
    login: Callable[[str], None],
    post: Poster,
    cast: Cast,
    args: argparse.Namespace,
    label: str,
    copy_conn: psycopg.Connection | None,
    mixed: bool = False,
) -> Timings:
    rng = random.Random(args.seed)  # same batch shape every run; uuids are always fresh
    timings = Timings()
    if mixed:
        mixed_rng = random.Random(args.seed + 1)
        for i in range(args.warmup + args.rounds):
            upload, replay = mixed_round(
                login=login, post=post, cast=cast, rng=mixed_rng, n=args.entries
            )
            if i >= args.warmup:
                timings.mixed_upload.append(upload)
                timings.mixed_replay.append(replay)
    for i in range(args.warmup + args.rounds) if not args.mixed_only else ():
        upload, replay, replay_after, copy_s = one_round(
            login=login,
            post=post,
            cast=cast,
            rng=rng,
            n=args.entries,
            label=label,
            copy_conn=copy_conn,
        )
        if i < args.warmup:
            continue  # first requests pay for imports, URL resolving, connection setup
        timings.upload.append(upload)
        timings.replay.append(replay)
        timings.replay_after.append(replay_after)
        if copy_s is not None:
            timings.copy.append(copy_s)
    return timings


def count_queries(cast: Cast, n: int, *, show: bool) -> dict[str, tuple[int, int]]:
    """SQL statements for one upload and one replay (in-process), as (request, after).

    `after` is what runs after the request's COMMIT: the eager Celery judgement
    (with a broker it would be one enqueue and run in a worker instead).
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from diary.symptoms import SYMPTOMS

    inproc = InProcess()
    username, _ = cast.patient("bench-queries")
    assert username is not None
    inproc.login(username, cast.password)
    body = json.dumps({"entries": build_entries(random.Random(1), n, SYMPTOMS)}).encode()
    counts = {}
    for what in ("upload", "replay"):
        with CaptureQueriesContext(connection) as ctx:
            status, _, _ = inproc.post(body)
        assert status == 200, status
        sqls = [q["sql"] for q in ctx.captured_queries]
        in_request = sqls.index("COMMIT") + 1 if "COMMIT" in sqls else len(sqls)
        counts[what] = (in_request, len(sqls) - in_request)
        if show:
            print(f"\n-- {what}: {len(sqls)} queries ({in_request} before the request's COMMIT)")
            for q in ctx.captured_queries:
                print(f"  {float(q['time']) * 1000:7.2f} ms  {q['sql'][:150]}")
    return counts


def profile(cast: Cast, args: argparse.Namespace) -> None:
    """Upload and replay in-process under cProfile; top entries for each.

    Only the request itself is profiled (not building the batch or the checks).
    Cumulative shows which call chain dominates; tottime shows where the CPU goes.
    """
    from diary.symptoms import SYMPTOMS

    inproc = InProcess()
    rng = random.Random(args.seed)
    profilers = {"upload": cProfile.Profile(), "replay": cProfile.Profile()}
    expected = {"upload": "created", "replay": "unchanged"}
    for i in range(args.warmup + args.rounds):
        username, patient = cast.patient("bench-profile")
        assert username is not None
        inproc.login(username, cast.password)
        body = json.dumps({"entries": build_entries(rng, args.entries, SYMPTOMS)}).encode()
        for what, profiler in profilers.items():
            measured = i >= args.warmup
            if measured:
                profiler.enable()
            status, data, _ = inproc.post(body)
            if measured:
                profiler.disable()
            assert status == 200, (what, status, data[:300])
            check_results(data, args.entries, expected[what], patient, what)
    for what, profiler in profilers.items():
        for sort, top in (("cumulative", args.profile_top), ("tottime", 15)):
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort)
            stats.print_stats(top)
            print(f"\n===== {what} x {args.rounds}, in-process, by {sort} =====")
            print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


# --- report ------------------------------------------------------------------------


def report_mixed(args: argparse.Namespace, http: Timings) -> None:
    up_med, up_min = median_min(http.mixed_upload)
    re_med, re_min = median_min(http.mixed_replay)
    counts = mixed_shape(args.entries).items()
    shape = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts)
    print()
    print(f"mixed batch of {args.entries} items ({shape}), HTTP:")
    print(f"{'':38}{'median ms':>10}{'min ms':>10}")
    print(f"{'upload, HTTP (all created)':38}{fmt_ms(up_med):>10}{fmt_ms(up_min):>10}")
    print(f"{'replay, HTTP (all unchanged)':38}{fmt_ms(re_med):>10}{fmt_ms(re_min):>10}")
    line = f"mixed replay / mixed upload {re_med / up_med:5.2f}"
    if http.upload:
        ratio = up_med / statistics.median(http.upload)
        line += f";  mixed upload / entries-only upload {ratio:5.2f}"
    print(line)


def report(
    args: argparse.Namespace,
    http: Timings,
    inproc: Timings,
    queries: dict[str, tuple[int, int]] | None,
) -> None:
    if args.mixed_only:
        report_mixed(args, http)
        return
    up_med, up_min = median_min(http.upload)
    re_med, re_min = median_min(http.replay)
    ra_med, ra_min = median_min(http.replay_after)
    cp_med, cp_min = median_min(http.copy)
    in_up_med, in_up_min = median_min(inproc.upload)
    in_re_med, in_re_min = median_min(inproc.replay)
    print()
    print(
        f"{args.entries} entries, {args.rounds} rounds (+{args.warmup} warm-up), "
        f"gunicorn {args.workers} sync worker(s), PostgreSQL, jobs "
        + ("queued on Redis" if args.tasks == "broker" else "run in-process after commit")
    )
    print(f"{'':38}{'median ms':>10}{'min ms':>10}")
    rows = (
        ("upload, HTTP (all created)", up_med, up_min),
        ("replay, HTTP (all unchanged)", re_med, re_min),
        ("replay after another write, HTTP", ra_med, ra_min),
        ("COPY + commit (open connection)", cp_med, cp_min),
        ("upload, in-process Client", in_up_med, in_up_min),
        ("replay, in-process Client", in_re_med, in_re_min),
    )
    for name, med, low in rows:
        print(f"{name:38}{fmt_ms(med):>10}{fmt_ms(low):>10}")
    copy_ratio, replay_ratio = up_med / cp_med, re_med / up_med
    # Each round's upload over the same round's COPY: less moved by the machine's
    # drift over a run than the ratio of the two medians.
    paired = statistics.median(u / c for u, c in zip(http.upload, http.copy, strict=True))
    print()
    print(
        f"upload / COPY   {copy_ratio:6.2f}  (min/min {up_min / cp_min:5.2f})   "
        f"goal <= {GOAL_COPY_RATIO:g}: {'MET' if copy_ratio <= GOAL_COPY_RATIO else 'NOT MET'}"
    )
    print(
        f"replay / upload {replay_ratio:6.2f}  (min/min {re_min / up_min:5.2f})   "
        f"goal <= {GOAL_REPLAY_RATIO:g}: "
        f"{'MET' if replay_ratio <= GOAL_REPLAY_RATIO else 'NOT MET'}"
    )
    print(f"upload / COPY round by round, median {paired:5.2f}")
    print(f"replay after another write / upload {ra_med / up_med:5.2f}  (item by item)")
    if queries is not None:
        print(
            "SQL per request (request + what runs after its commit in-process): "
            + ", ".join(f"{k} {a} + {b}" for k, (a, b) in queries.items())
        )
    report_mixed(args, http)


# --- main --------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn sync workers")
    parser.add_argument("--db", default="csf_bench", help="database to (re)create and drop")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--seed", type=int, default=20260304)
    parser.add_argument("--show-queries", action="store_true", help="print each request's SQL")
    parser.add_argument(
        "--profile", action="store_true", help="only profile the in-process path (no gunicorn)"
    )
    parser.add_argument("--profile-top", type=int, default=25)
    parser.add_argument(
        "--mixed-only", action="store_true", help="only the mixed batch (issue 13), HTTP"
    )
    parser.add_argument(
        "--tasks",
        choices=["broker", "in-process"],
        default="broker",
        help="where the judgement a write asks for runs (default: a broker, as in production)",
    )
    parser.add_argument(
        "--broker-url",
        default="redis://127.0.0.1:6379/14",
        help="a Redis database the bench may fill and empty (must be empty at the start)",
    )
    return parser.parse_args()


@contextmanager
def task_settings(args: argparse.Namespace):
    """Settings for where jobs go; with a broker, an empty Redis database emptied afterwards."""
    if args.tasks == "in-process":
        yield {"TASKS_IN_PROCESS": "true"}
        return
    import redis

    broker = redis.Redis.from_url(args.broker_url)
    if broker.dbsize():
        raise SystemExit(f"{args.broker_url} is not empty; give --broker-url an unused database")
    try:
        yield {"CELERY_BROKER_URL": args.broker_url, "TASKS_IN_PROCESS": "false"}
    finally:
        broker.flushdb()  # only the queued judgements of this run: it was empty before
        broker.close()


def main() -> None:
    args = parse_args()
    with task_settings(args) as tasks:
        run(args, app_env(args.db, **tasks))


def run(args: argparse.Namespace, env: dict[str, str]) -> None:
    recreate_database(args.db)
    try:
        setup_django(env)
        cast = Cast.create()
        if args.profile:
            profile(cast, args)
            return
        with GunicornServer(env, workers=args.workers) as server:
            client = HttpClient(server.port)
            with psycopg.connect(pg_url(args.db)) as copy_conn:
                copy_conn.execute("SELECT 1")  # open and ready before any timing
                copy_conn.commit()
                http = run_rounds(
                    login=lambda user: http_login(client, user, cast.password),
                    post=lambda body: client.post(SYNC_PATH, body),
                    cast=cast,
                    args=args,
                    label="bench-http",
                    copy_conn=copy_conn,
                    mixed=True,
                )
            client.close()
        if args.mixed_only:
            report(args, http, Timings(), None)
            return
        inproc_client = InProcess()
        inproc = run_rounds(
            login=lambda user: inproc_client.login(user, cast.password),
            post=inproc_client.post,
            cast=cast,
            args=args,
            label="bench-inproc",
            copy_conn=None,
        )
        queries = count_queries(cast, args.entries, show=args.show_queries)
        report(args, http, inproc, queries)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"\nkept database {args.db!r} ({pg_url(args.db)})")
        else:
            drop_database(args.db)


if __name__ == "__main__":
    main()
