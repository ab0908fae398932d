"""Load benchmark: the production-like stack on this machine, driven open-loop.

    .venv/bin/python bench/load.py                 # the whole run, ~4-5 min
    .venv/bin/python bench/load.py --quick         # short steps, ~1.5 min
    .venv/bin/python bench/load.py --worker-class sync --rates 50,100  # the former default

Brings up, as child processes it stops at the end: gunicorn (production's
config/gunicorn.conf.py by default: 2 gthread workers, 4 threads each), one
Celery worker and beat, on the machine's PostgreSQL (its own
database, `csf_load`) and Redis (its own databases: broker 8, cache 9). Enrols
200 patients with 60 days of history and a blood patch 20 days ago (bulk
inserts), then:

1. the floor: a bare Django view inserting one row (bench/load_urls.py), same
   gunicorn and settings, closed loop: its maximum rate;
2. the mix (70 % single-entry POST /api/v1/entries/, 15 % sync pulls with the
   phone's cursor, 10 % month reads, 5 % 20-entry sync batches) at a fixed
   arrival rate: 25, 50, 100 and 150 req/s (open loop: each request is sent at
   its scheduled time whatever the ones before it are doing; its latency counts
   from that time, so a slow server cannot slow the client down or hide);
3. single-entry POSTs only at 100 req/s, open loop;
4. the project's maximum: single-entry POSTs, closed loop.

The client is httpx's async client in this process. After each step the bench
waits for the worker to finish the jobs the step queued, then reads the Celery
worker's CPU (from /proc, its whole process group) and the new PostgreSQL
sessions of the database (pg_stat_database.sessions). Last line:
`load: p99 N ms at 100 req/s, N req/s max, N x bare` (the single-entry load).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import (
    HOST,
    REPO_ROOT,
    GunicornServer,
    app_env,
    drop_database,
    pg_url,
    recreate_database,
    setup_django,
)

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
PASSWORD = "load-bench-passphrase"  # noqa: S105 - the bench's own throwaway logins
CLK_TCK = os.sysconf("SC_CLK_TCK")
EVALUATION_TASKS = (
    "diary.tasks.evaluate_pending",
    "diary.tasks.evaluate_patient",
    "diary.tasks.evaluate_pending_patients",
    "diary.tasks.evaluate_patients",
    "diary.tasks.evaluate_checkpoints",
)
MIX = (("entry", 70), ("pull", 15), ("month", 10), ("batch", 5))
# Requests on the wire at most (--max-in-flight); later arrivals wait here, in
# a plain FIFO (httpx's own pool gets slow with hundreds of waiters), timed.
IN_FLIGHT: list[asyncio.Semaphore] = []


# --- Child processes -------------------------------------------------------------


GUNICORN_CONF = REPO_ROOT / "config" / "gunicorn.conf.py"


def gunicorn_settings(args: argparse.Namespace) -> dict:
    """Production's gunicorn settings (config/gunicorn.conf.py, env-driven), with
    this run's --workers / --worker-class / --threads / --keepalive over them."""
    import runpy

    conf = runpy.run_path(str(GUNICORN_CONF))
    chosen = {
        "workers": args.workers,
        "worker_class": args.worker_class,
        "threads": args.threads,
        "keepalive": args.keepalive,
    }
    settings = {k: conf[k] if v is None else v for k, v in chosen.items()}
    if settings["worker_class"] == "sync" and args.threads is None:
        settings["threads"] = 1  # more would make gunicorn run gthread instead
    return settings


class Gunicorn(GunicornServer):
    """The harness's gunicorn child, started with production's config file."""

    def __init__(self, env, *, settings: dict, port: int, root: Path) -> None:
        super().__init__(env, workers=settings["workers"])
        self.settings = settings
        if port:
            self.port = port
        self.log.close()
        self.log = open(root / "gunicorn.log", "w+b")  # noqa: SIM115 - kept with --keep

    def __enter__(self) -> Gunicorn:
        gunicorn = Path(sys.executable).parent / "gunicorn"
        s = self.settings
        argv = [
            str(gunicorn),
            f"--config={GUNICORN_CONF}",
            "config.wsgi:application",
            f"--bind={HOST}:{self.port}",
            f"--workers={s['workers']}",
            f"--worker-class={s['worker_class']}",
            f"--threads={s['threads']}",
            f"--keep-alive={s['keepalive']}",
            f"--chdir={REPO_ROOT}",
            "--timeout=120",
        ]
        self.proc = subprocess.Popen(  # noqa: S603 (fixed argv, no shell)
            argv, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            self._wait_ready(timeout=60)
        except BaseException:
            self.__exit__()
            raise
        return self


class Celery:
    """`celery -A config worker|beat` in a session of its own (its pid is its group)."""

    def __init__(self, kind: str, env: dict[str, str], root: Path, concurrency: int) -> None:
        self.kind, self.env, self.log = kind, env, root / f"celery-{kind}.log"
        self.concurrency = concurrency
        self.proc: subprocess.Popen | None = None

    def start(self) -> Celery:
        argv = [sys.executable, "-m", "celery", "-A", "config", self.kind, "--loglevel", "WARNING"]
        if self.kind == "worker":
            argv += [
                f"--concurrency={self.concurrency}",
                "--without-gossip",
                "--without-mingle",
                f"--hostname=load-{os.getpid()}@%h",
            ]
        else:
            argv += ["--pidfile", str(self.log.with_suffix(".pid"))]
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(  # noqa: S603
                argv, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)  # its own group: master and pool
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def group_cpu(pgid: int) -> float:
    """CPU seconds (user + system, with reaped children) of every process in a group."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            ticks += sum(int(v) for v in fields[11:15])
    return ticks / CLK_TCK


# --- Preconditions: nobody else on our database, Redis databases or port ------------


def check_free(db: str, redis_dbs: list[int], port: int) -> None:
    with psycopg.connect(pg_url("postgres"), autocommit=True) as conn:
        pids = [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", [db]
            ).fetchall()
        ]
    if pids:
        raise SystemExit(
            f"Database {db!r} is in use (backend pids {pids}): another load run? "
            "Wait for it, or pass --db NAME."
        )
    client = redis.Redis(REDIS_HOST, REDIS_PORT)
    try:
        clients = client.client_list()
    except redis.ConnectionError as exc:
        raise SystemExit(f"Redis at {REDIS_HOST}:{REDIS_PORT} does not answer: {exc}") from exc
    busy = sorted({int(c["db"]) for c in clients if int(c["db"]) in redis_dbs})
    if busy:
        raise SystemExit(
            f"Redis database(s) {busy} have clients connected: another run? "
            "Pass --redis-dbs with free numbers."
        )
    if port:
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
            except OSError as exc:
                raise SystemExit(f"Port {port} is busy ({exc}); pass another --port.") from exc


def flush_redis(dbs: list[int]) -> None:
    for db in dbs:
        redis.Redis(REDIS_HOST, REDIS_PORT, db=db).flushdb()


# --- The diaries ----------------------------------------------------------------------


@dataclass
class Phone:
    patient_id: str
    token: str
    cursor: str = ""


def enrol(n: int, days: int, treatment_days_ago: int, per_day: int) -> tuple[list[Phone], str]:
    """N patients with `days` of history and a patch `treatment_days_ago`: bulk inserts.
    Returns the phones and the bare view's own patient."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import Clinic, Role, User
    from accounts.tokens import login_begin
    from diary.models import Patient, SymptomEntry, Treatment

    rng = random.Random(18)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    clinic = Clinic.objects.create(name="Load clinic")
    password = make_password(PASSWORD)  # one real hash for all: no login is timed
    users = User.objects.bulk_create(
        User(username=f"load{i}", role=Role.PATIENT, password=password) for i in range(n)
    )
    patients = Patient.objects.bulk_create(
        Patient(clinic=clinic, user=user, display_name=f"Load {i}", timezone="Europe/Zurich")
        for i, user in enumerate(users)
    )
    patch_at = now - dt.timedelta(days=treatment_days_ago)
    Treatment.objects.bulk_create(
        Treatment(
            patient=p,
            performed_at=patch_at,
            kind="epidural_blood_patch",
            approach="blind",
            levels=["L3/L4"],
            volume_ml=20,
            recorded_by=p.user,
        )
        for p in patients
    )
    # A patch that holds: upright headache 6-8 before it, 1-3 after; lying lower.
    rows = []
    start = now - dt.timedelta(days=days)
    for p in patients:
        for day in range(days):
            for k in range(per_day):
                at = start + dt.timedelta(days=day, hours=8 + k * 14 / per_day)
                upright = k % 2 == 0
                before = at < patch_at
                score = rng.randint(6, 8) if upright and before else rng.randint(1, 3)
                rows.append(
                    SymptomEntry(
                        patient=p,
                        recorded_at=at,
                        recorded_offset_minutes=60,
                        posture="standing" if upright else "lying",
                        headache=score,
                    )
                )
    SymptomEntry.objects.bulk_create(rows, batch_size=5000)
    bare = Patient.objects.create(clinic=clinic, display_name="Bare", timezone="UTC")
    phones = [Phone(str(p.pk), str(login_begin(user=p.user).access_token)) for p in patients]
    return phones, str(bare.pk)


# --- Requests -----------------------------------------------------------------------


@dataclass
class Request:
    kind: str
    method: str
    url: str
    phone: Phone | None
    body: bytes | None = None
    expect: tuple[int, ...] = (200,)
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] | None = None


def new_entry(now: dt.datetime, rng: random.Random) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "recorded_at": (now - dt.timedelta(seconds=rng.randint(0, 6 * 3600))).isoformat(),
        "posture": rng.choice(("lying", "sitting", "standing")),
        "headache": rng.randint(1, 3),
    }


def make_request(kind: str, phone: Phone, rng: random.Random) -> Request:
    now = dt.datetime.now(dt.UTC)
    if kind == "entry":
        body = json.dumps(new_entry(now, rng)).encode()
        return Request(kind, "POST", "/api/v1/entries/", phone, body, (201,))
    if kind == "batch":
        body = json.dumps({"entries": [new_entry(now, rng) for _ in range(20)]}).encode()
        return Request(kind, "POST", "/api/v1/sync/", phone, body)
    if kind == "pull":
        return Request(kind, "GET", "/api/v1/sync/", phone)
    # The app's month view: the last 30 days' entries in one page.
    month = {"from": (now - dt.timedelta(days=30)).isoformat(), "to": now.isoformat()}
    return Request(kind, "GET", "/api/v1/entries/", phone, params={**month, "page_size": "200"})


@dataclass
class Outcome:
    kind: str
    latency: float  # seconds from the scheduled (open loop) or actual (closed loop) send
    error: str | None
    detail: str = ""


async def send(
    client: httpx.AsyncClient, req: Request, deadline: float = 60.0
) -> tuple[str | None, str]:
    """Send one request; (error kind or None, detail). `deadline`: the whole
    request, waiting for a free connection (IN_FLIGHT) included."""
    headers = {"Content-Type": "application/json", **req.headers}
    params = req.params
    if req.phone is not None:
        headers["Authorization"] = f"Bearer {req.phone.token}"
        if req.kind == "pull" and req.phone.cursor:
            params = {"cursor": req.phone.cursor}
    loop = asyncio.get_running_loop()
    give_up = loop.time() + deadline
    gate = IN_FLIGHT[0]
    try:
        async with asyncio.timeout(deadline):
            await gate.acquire()
    except TimeoutError:
        return "no answer within the deadline", f"waited for a free connection {deadline:g} s"
    try:
        # httpx's own timeouts from here: cancelling a request mid-flight could
        # leave a fresh connection idle in its pool, and a sync gunicorn worker
        # blocks reading it (as behind no proxy it would on any silent client).
        response = await client.request(
            req.method, req.url, content=req.body, headers=headers, params=params,
            timeout=max(0.1, give_up - loop.time()),
        )  # fmt: skip
    except httpx.TimeoutException as exc:  # connect, write or read: past the deadline
        return "no answer within the deadline", f"{type(exc).__name__} after {deadline:g} s"
    except httpx.HTTPError as exc:  # refused, reset, cut off: a fault, not load
        return type(exc).__name__, str(exc)[:200]
    finally:
        gate.release()
    if response.status_code not in req.expect:
        return f"HTTP {response.status_code}", response.text[:200]
    if req.kind == "pull":
        payload = response.json()
        if not payload.get("has_more"):
            req.phone.cursor = payload["cursor"]
    return None, ""


async def open_loop(
    client: httpx.AsyncClient,
    rate: float,
    duration: float,
    next_request: Callable[[], Request],
    deadline: float,
) -> tuple[list[Outcome], float, float]:
    """Requests at a fixed arrival rate; (outcomes, wall seconds, worst send lag)."""
    loop = asyncio.get_running_loop()
    outcomes: list[Outcome] = []
    pending: set[asyncio.Task] = set()
    lags: list[float] = []

    async def one(req: Request, scheduled: float) -> None:
        error, detail = await send(client, req, deadline)
        outcomes.append(Outcome(req.kind, loop.time() - scheduled, error, detail))

    start = loop.time() + 0.05
    for i in range(int(rate * duration)):
        scheduled = start + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        lags.append(loop.time() - scheduled)
        task = asyncio.create_task(one(next_request(), scheduled))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending)
    return outcomes, loop.time() - start, max(lags, default=0.0)


async def closed_loop(
    client: httpx.AsyncClient,
    concurrency: int,
    duration: float,
    next_request: Callable[[], Request],
    deadline: float,
) -> tuple[list[Outcome], float, float]:
    """`concurrency` clients, each sending its next request when the last is answered."""
    loop = asyncio.get_running_loop()
    outcomes: list[Outcome] = []
    start = loop.time()
    end = start + duration

    async def user() -> None:
        while loop.time() < end:
            req = next_request()
            sent = loop.time()
            error, detail = await send(client, req, deadline)
            outcomes.append(Outcome(req.kind, loop.time() - sent, error, detail))

    await asyncio.gather(*(user() for _ in range(concurrency)))
    return outcomes, loop.time() - start, 0.0


# --- Measuring a step ---------------------------------------------------------------


@dataclass
class Step:
    name: str
    target: str
    outcomes: list[Outcome]
    wall: float
    lag: float
    worker_cpu: float = 0.0
    web_cpu: float = 0.0
    client_cpu: float = 0.0
    sessions: int = 0
    evaluations: int = 0
    committed: int = 0  # write transactions the server committed (diary versions)
    drained_in: float = 0.0

    @property
    def ok(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error is None]

    @property
    def writes(self) -> int:
        """Write requests the server committed, answered or not (a client that
        gave up does not stop the server, nor the job its write queues)."""
        return self.committed

    @property
    def achieved(self) -> float:
        return len(self.ok) / self.wall if self.wall else 0.0

    def percentile(self, q: float, kinds: tuple[str, ...] | None = None) -> float:
        values = sorted(o.latency for o in self.ok if kinds is None or o.kind in kinds)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(q / 100 * len(values)))] * 1000

    def errors(self) -> Counter:
        return Counter(o.error for o in self.outcomes if o.error)


class Meters:
    """Counters read before and after a step."""

    def __init__(self, db: str, worker: Celery | None, web: Gunicorn, broker_db: int) -> None:
        self.db, self.worker, self.web = db, worker, web
        self.pg = psycopg.connect(pg_url("postgres"), autocommit=True)
        self.broker = redis.Redis(REDIS_HOST, REDIS_PORT, db=broker_db)

    def close(self) -> None:
        self.pg.close()
        self.broker.close()

    def sessions(self) -> int:
        self.pg.execute("SELECT pg_stat_clear_snapshot()")
        row = self.pg.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s", [self.db]
        ).fetchone()
        return int(row[0]) if row else 0

    def evaluations(self) -> int:
        if self.worker is None:
            return 0
        from config.celery import app

        stats = app.control.inspect(timeout=2).stats() or {}
        return sum(
            worker.get("total", {}).get(name, 0)
            for worker in stats.values()
            for name in EVALUATION_TASKS
        )

    def snapshot(self) -> dict[str, float]:
        return {
            "worker": group_cpu(self.worker.proc.pid) if self.worker else 0.0,
            "web": group_cpu(self.web.proc.pid),
            "client": time.process_time(),
            "sessions": self.sessions(),
            "evaluations": self.evaluations(),
            "versions": self.diary_versions(),
        }

    def diary_versions(self) -> int:
        """Every committed diary write bumps its patient's version once."""
        with psycopg.connect(pg_url(self.db), autocommit=True) as conn:
            return conn.execute(
                "SELECT coalesce(sum(diary_version), 0) FROM diary_patient"
            ).fetchone()[0]

    def wait_for_start_sweep(self, timeout: float) -> float:
        """Until the worker has run the relapse sweep beat queues when it starts."""
        from config.celery import app

        start = time.monotonic()
        while time.monotonic() - start < timeout:
            stats = app.control.inspect(timeout=1).stats() or {}
            if any(w.get("total", {}).get("diary.tasks.sweep_relapses") for w in stats.values()):
                break
            time.sleep(0.5)
        else:
            print("(beat's start-up sweep not seen: measuring anyway)", file=sys.stderr)
        return time.monotonic() - start

    def pending_jobs(self) -> int:
        """Messages waiting in the broker or taken but not acknowledged, and
        outbox marks still set (a judgement asked for and not yet started)."""
        queued = self.broker.llen("celery") + self.broker.hlen("unacked")
        with psycopg.connect(pg_url(self.db), autocommit=True) as conn:
            marks = conn.execute(
                "SELECT count(*) FROM diary_patient WHERE evaluation_requested_at IS NOT NULL"
            ).fetchone()[0]
        return queued + marks

    def drain(self, timeout: float) -> float:
        """Wait for the worker to finish what the step queued; seconds waited."""
        if self.worker is None:
            return 0.0
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.pending_jobs() == 0:
                break
            time.sleep(0.25)
        return time.monotonic() - start

    def settle(self, timeout: float) -> float:
        """Wait until gunicorn has finished the requests still in its backlog (an
        overloaded step leaves some whose client gave up: the server answers them
        anyway) and the worker the jobs; seconds waited."""
        start = time.monotonic()
        web = group_cpu(self.web.proc.pid)
        while time.monotonic() - start < timeout:
            time.sleep(0.5)
            now = group_cpu(self.web.proc.pid)
            if now - web < 0.05:  # under 10 % of a core: its backlog is done
                break
            web = now
        return time.monotonic() - start + self.drain(max(1.0, timeout - (time.monotonic() - start)))


def measure(meters: Meters, step: Step, before: dict[str, float], drain_timeout: float) -> Step:
    step.drained_in = meters.settle(drain_timeout)
    time.sleep(1.0)  # sessions that just ended reach pg_stat_database
    after = meters.snapshot()
    step.worker_cpu = after["worker"] - before["worker"]
    step.web_cpu = after["web"] - before["web"]
    step.client_cpu = after["client"] - before["client"]
    step.sessions = int(after["sessions"] - before["sessions"])
    step.evaluations = int(after["evaluations"] - before["evaluations"])
    step.committed = int(after["versions"] - before["versions"])
    return step


# --- Report ----------------------------------------------------------------------------


def fmt(value: float, digits: int = 0) -> str:
    return "-" if value != value else f"{value:.{digits}f}"  # NaN: no successful request


def print_header() -> None:
    print(
        f"{'step':<26} {'target':>8} {'achieved':>8} {'ok':>6} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'lag ms':>6} {'worker CPU/1k writes':>20} {'web CPU/req':>11} "
        f"{'client CPU/req':>14} "
        f"{'sessions/eval':>13}  errors",
        flush=True,
    )


def print_step(step: Step) -> None:
    writes = step.writes
    worker = f"{step.worker_cpu / writes * 1000:.1f} s" if writes else "-"
    web = f"{step.web_cpu / len(step.outcomes) * 1000:.1f} ms" if step.outcomes else "-"
    client = f"{step.client_cpu / len(step.outcomes) * 1000:.1f} ms" if step.outcomes else "-"
    per_eval = (
        f"{step.sessions}/{step.evaluations}={step.sessions / step.evaluations:.2f}"
        if step.evaluations
        else f"{step.sessions}/0"
    )
    errors = ", ".join(f"{k} x{v}" for k, v in step.errors().most_common()) or "none"
    print(
        f"{step.name:<26} {step.target:>8} {step.achieved:>8.1f} {len(step.ok):>6} "
        f"{fmt(step.percentile(50)):>7} {fmt(step.percentile(95)):>7} "
        f"{fmt(step.percentile(99)):>7} {step.lag * 1000:>6.0f} {worker:>20} {web:>11} "
        f"{client:>14} {per_eval:>13}  {errors}",
        flush=True,
    )


def print_details(steps: list[Step]) -> None:
    print("\nPer kind (p50 / p99 ms) and the first answer of each error kind:")
    for step in steps:
        kinds = sorted({o.kind for o in step.outcomes})
        if len(kinds) > 1:
            parts = [
                f"{k} {fmt(step.percentile(50, (k,)))}/{fmt(step.percentile(99, (k,)))}"
                for k in kinds
            ]
            print(f"  {step.name}: " + ", ".join(parts))
        seen: set[str] = set()
        for o in step.outcomes:
            if o.error and o.error not in seen:
                seen.add(o.error)
                print(f"  {step.name}: {o.error} ({o.kind}): {o.detail!r}")


# --- The run -------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="csf_load", help="own database (dropped and recreated)")
    parser.add_argument(
        "--redis-dbs", default="8,9", help="own Redis databases: broker,cache (flushed)"
    )
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: a free one)")
    for flag, kind, what in (
        ("--workers", int, "gunicorn workers"),
        ("--worker-class", str, "gunicorn worker class (sync, gthread)"),
        ("--threads", int, "gunicorn threads per worker"),
        ("--keepalive", int, "gunicorn keep-alive seconds"),
    ):
        parser.add_argument(flag, type=kind, help=f"{what} (default: config/gunicorn.conf.py)")
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--no-worker", action="store_true", help="no Celery worker nor beat")
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--days", type=int, default=60, help="days of history per patient")
    parser.add_argument("--per-day", type=int, default=4, help="entries per day of history")
    parser.add_argument("--treatment-days-ago", type=int, default=20)
    parser.add_argument("--rates", default="25,50,100,150", help="the mix's arrival rates, req/s")
    parser.add_argument("--entry-rate", type=float, default=100.0, help="single-entry-only rate")
    parser.add_argument("--duration", type=float, default=25.0, help="seconds per open-loop step")
    parser.add_argument("--max-duration", type=float, default=15.0, help="seconds per closed loop")
    parser.add_argument("--concurrency", type=int, default=8, help="closed-loop clients")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="a request's deadline (s), queueing included"
    )
    parser.add_argument(
        "--max-in-flight",
        type=int,
        default=256,
        help="client connections at most; later arrivals wait for one (their wait is timed)",
    )
    parser.add_argument("--drain-timeout", type=float, default=60.0)
    parser.add_argument("--quick", action="store_true", help="6 s steps, 5 s closed loops")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.max_duration = 6.0, 5.0
    args.rates = [float(r) for r in args.rates.split(",") if r]
    args.gunicorn = gunicorn_settings(args)
    args.redis_dbs = [int(d) for d in args.redis_dbs.split(",")]
    if len(args.redis_dbs) != 2 or {14, 15} & set(args.redis_dbs):
        parser.error("--redis-dbs: two numbers (broker,cache), never 14 or 15")
    return args


def _terminate(signum, frame) -> None:
    # SIGTERM: the same clean shutdown as Ctrl-C (asyncio's own SIGINT handler
    # cancels the load while it runs; otherwise SIGINT raises KeyboardInterrupt).
    signal.raise_signal(signal.SIGINT)


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    check_free(args.db, args.redis_dbs, args.port)
    broker_db, cache_db = args.redis_dbs
    root = Path(tempfile.mkdtemp(prefix="load-"))
    created_db = False
    with contextlib.ExitStack() as stack:
        try:
            flush_redis(args.redis_dbs)
            recreate_database(args.db)
            created_db = True
            env = app_env(
                args.db,
                DJANGO_SETTINGS_MODULE="bench.load_settings",
                TASKS_IN_PROCESS="false",
                CELERY_BROKER_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/{broker_db}",
                CACHE_URL=f"rediscache://{REDIS_HOST}:{REDIS_PORT}/{cache_db}",
                THROTTLE_WRITE="1000000/min",
                ACCESS_TOKEN_MINUTES="120",  # noqa: S106 - not a password
                EMAIL_URL="consolemail://",
            )
            run(args, env, root, stack)
        except KeyboardInterrupt:
            print("\ninterrupted: stopping the children", file=sys.stderr)
        finally:
            # A second Ctrl-C must not leave children or the database behind.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            stack.close()  # children first (they hold sessions on the database)
            with contextlib.suppress(Exception):
                flush_redis(args.redis_dbs)
            if created_db and not args.keep:
                with contextlib.suppress(Exception):
                    from django.db import connections

                    connections.close_all()
                drop_database(args.db)
            if args.keep:
                print(f"kept database {args.db} and logs in {root}", file=sys.stderr)
            else:
                shutil.rmtree(root, ignore_errors=True)


def run(args: argparse.Namespace, env: dict[str, str], root: Path, stack) -> None:
    t0 = time.monotonic()
    setup_django(env)
    phones, bare_patient = enrol(args.patients, args.days, args.treatment_days_ago, args.per_day)
    from django.db import connections

    connections.close_all()
    print(
        f"enrolled {len(phones)} patients ({args.days} days x {args.per_day} entries, a patch "
        f"{args.treatment_days_ago} days ago) in {time.monotonic() - t0:.1f} s",
        flush=True,
    )
    web = Gunicorn(env, settings=args.gunicorn, port=args.port, root=root)
    stack.enter_context(web)
    worker = None
    if not args.no_worker:
        worker = Celery("worker", env, root, args.celery_concurrency).start()
        stack.callback(worker.stop)
        beat = Celery("beat", env, root, 0).start()
        stack.callback(beat.stop)
    meters = Meters(args.db, worker, web, broker_db=args.redis_dbs[0])
    stack.callback(meters.close)
    g = args.gunicorn
    print(
        f"gunicorn {g['workers']} x {g['worker_class']}"
        + (f" ({g['threads']} threads)" if g["worker_class"] == "gthread" else "")
        + f", keep-alive {g['keepalive']} s, on :{web.port}; celery worker "
        + ("none" if worker is None else f"concurrency {args.celery_concurrency}, and beat"),
        flush=True,
    )
    asyncio.run(drive(args, web, worker, meters, phones, bare_patient))
    server_errors = [
        line
        for line in (root / "gunicorn.log").read_text(errors="replace").splitlines()
        if "[ERROR]" in line or "[CRITICAL]" in line or "WORKER TIMEOUT" in line
    ]
    if server_errors:
        print(
            f"gunicorn logged {len(server_errors)} errors; the first:",
            *server_errors[:8],
            sep="\n  ",
        )


async def drive(args, web, worker, meters, phones, bare_patient) -> None:
    rng = random.Random(1800)
    IN_FLIGHT[:] = [asyncio.Semaphore(args.max_in_flight)]
    # Sync workers close every connection: keep none idle (an idle one would
    # hold a worker); others keep them alive as a phone's client would.
    keep = 0 if args.gunicorn["worker_class"] == "sync" else args.max_in_flight
    limits = httpx.Limits(max_connections=args.max_in_flight, max_keepalive_connections=keep)
    timeout = httpx.Timeout(args.timeout)
    async with httpx.AsyncClient(
        base_url=f"http://{HOST}:{web.port}", limits=limits, timeout=timeout
    ) as client:
        # Warm-up: each phone's first pull (its whole diary) gives it its cursor.
        sem = asyncio.Semaphore(args.concurrency)

        async def first_pull(phone: Phone) -> None:
            async with sem:
                error, detail = await send(client, Request("pull", "GET", "/api/v1/sync/", phone))
                if error:
                    raise SystemExit(f"warm-up pull failed: {error} {detail}")

        await asyncio.gather(*(first_pull(p) for p in phones))
        if worker is not None:  # beat's start-up sweep judges everyone once
            waited = await asyncio.to_thread(meters.wait_for_start_sweep, 90.0)
            waited += await asyncio.to_thread(meters.drain, 120.0)
            if not worker.alive():
                raise SystemExit(f"the Celery worker exited:\n{worker.log_tail()}")
            print(f"warm-up done; start-up jobs drained in {waited:.1f} s\n", flush=True)

        kinds = [k for k, w in MIX for _ in range(w)]

        def mix() -> Request:
            return make_request(rng.choice(kinds), rng.choice(phones), rng)

        def entry() -> Request:
            return make_request("entry", rng.choice(phones), rng)

        def bare() -> Request:
            return Request(
                "bare", "POST", "/bench/bare-insert/", None, b"", (201,),
                {"X-Bench-Patient": bare_patient},
            )  # fmt: skip

        t, c = args.timeout, args.concurrency
        plan: list[tuple[str, str, Callable]] = [
            (f"bare insert, closed x{c}", "max",
             lambda: closed_loop(client, c, args.max_duration, bare, t)),
            *[("mix, open", f"{r:g}/s",
               lambda r=r: open_loop(client, r, args.duration, mix, t)) for r in args.rates],
            ("single entry, open", f"{args.entry_rate:g}/s",
             lambda: open_loop(client, args.entry_rate, args.duration, entry, t)),
            (f"single entry, closed x{c}", "max",
             lambda: closed_loop(client, c, args.max_duration, entry, t)),
        ]  # fmt: skip
        print_header()
        steps = []
        for name, target, run_step in plan:
            before = await asyncio.to_thread(meters.snapshot)
            outcomes, wall, lag = await run_step()
            step = Step(name, target, outcomes, wall, lag)
            await asyncio.to_thread(measure, meters, step, before, args.drain_timeout)
            steps.append(step)
            print_step(step)
            if worker is not None and not worker.alive():
                raise SystemExit(f"the Celery worker exited:\n{worker.log_tail()}")
    summary(args, steps)


def summary(args: argparse.Namespace, steps: list[Step]) -> None:
    print_details(steps)
    bare, entry_open, entry_max = steps[0], steps[-2], steps[-1]
    writes = sum(s.writes for s in steps[1:])
    worker_cpu = sum(s.worker_cpu for s in steps[1:])
    sessions = sum(s.sessions for s in steps[1:])
    evaluations = sum(s.evaluations for s in steps[1:])
    print(
        f"\nproject steps: {writes} writes, Celery worker CPU {worker_cpu:.1f} s = "
        f"{worker_cpu / max(writes, 1) * 1000:.1f} s per 1,000 writes; "
        f"{sessions} new PostgreSQL sessions for {evaluations} evaluation jobs"
        + (f" = {sessions / evaluations:.2f} per evaluation" if evaluations else "")
    )
    client_cpu = sum(s.client_cpu for s in steps)
    wall = sum(s.wall for s in steps)
    print(f"load generator CPU: {client_cpu:.1f} s over {wall:.0f} s of load")
    mix_ok = [s for s in steps[1:-2] if s.percentile(99) <= 150 and not s.errors()]
    sustained = max((s.achieved for s in mix_ok), default=0.0)
    mix100 = next((s for s in steps[1:-2] if s.target == "100/s"), None)
    if mix100 is not None:
        print(
            f"mix: p99 {fmt(mix100.percentile(99))} ms at 100 req/s "
            f"(achieved {mix100.achieved:.1f} req/s, errors {sum(mix100.errors().values())}); "
            f"highest step with p99 <= 150 ms and no error: {sustained:.0f} req/s"
        )
    print(
        f"load: p99 {fmt(entry_open.percentile(99))} ms at {args.entry_rate:g} req/s, "
        f"{entry_max.achieved:.0f} req/s max, {entry_max.achieved / bare.achieved:.2f} x bare"
    )


if __name__ == "__main__":
    main()
