"""One single-entry `POST /api/v1/entries/`: what a request costs, against a bare insert.

    .venv/bin/python bench/entry_post.py [--requests 600] [--db csf_bench_web]
    .venv/bin/python bench/entry_post.py --profile       # in-process, under cProfile

A micro-benchmark of one request (issue 18's web path); `bench/load.py` drives
the whole stack under load. Production-like settings: PostgreSQL, throttle
counters in Redis (`--redis-url`, also the broker the judgements are queued
on; it must be empty at the start and is emptied at the end), DEBUG off,
throttles at their production rates for writes. Requests go round `--patients`
patients, a few per patient, as phones would.

- in-process: `django.test.Client`, sequential; CPU (process time) and wall
  time per request, then one more request with its SQL and Redis round trips
  counted (a transaction's BEGIN, implicit in psycopg, counts as one).
- HTTP: the same through gunicorn (1 sync worker, persistent DB connection),
  one request at a time; latency percentiles, and the CPU the worker process
  and its PostgreSQL backend spent per request (from /proc).
- bare: `SymptomEntry.objects.create()` in its own transaction, in-process:
  the floor the request's CPU is compared with.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

import psycopg

from bench.harness import (
    GunicornServer,
    HttpClient,
    app_env,
    drop_database,
    pg_url,
    recreate_database,
    setup_django,
)
from bench.sync_ingest import LOGIN_PATH, Cast

ENTRIES_PATH = "/api/v1/entries/"


def entry_body(i: int) -> bytes:
    moment = datetime.now(UTC) - timedelta(minutes=i)
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "recorded_at": moment.isoformat(),
            "posture": ("lying", "sitting", "standing")[i % 3],
            "headache": i % 11,
            "symptoms": ["neck_pain"] if i % 2 else [],
        }
    ).encode()


class Phones:
    """Patients with a login each, and their access tokens (one login each)."""

    def __init__(self, cast: Cast, n: int, login: Callable[[str], str]) -> None:
        self.tokens = []
        for _ in range(n):
            username, _ = cast.patient("bench-entry")
            assert username is not None
            self.tokens.append(login(username))

    def token(self, i: int) -> str:
        return self.tokens[i % len(self.tokens)]


def inprocess_login(client, password: str) -> Callable[[str], str]:
    def login(username: str) -> str:
        body = {"username": username, "password": password}
        response = client.post(LOGIN_PATH, body, content_type="application/json")
        if response.status_code != 200:
            raise SystemExit(f"login failed ({response.status_code}): {response.content[:300]!r}")
        return response.json()["access"]

    return login


def inprocess_post(client, token: str, body: bytes) -> int:
    response = client.post(
        ENTRIES_PATH, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    if response.status_code != 201:
        raise SystemExit(f"POST answered {response.status_code}: {response.content[:300]!r}")
    return response.status_code


class RedisRoundTrips:
    """Counts what redis-py sends: one packed send is one round trip (a pipeline too)."""

    def __enter__(self) -> RedisRoundTrips:
        from redis.connection import AbstractConnection

        self.count, self.original = 0, AbstractConnection.send_packed_command

        def counting(conn, *args, **kwargs):
            self.count += 1
            return self.original(conn, *args, **kwargs)

        AbstractConnection.send_packed_command = counting
        return self

    def __exit__(self, *exc: object) -> None:
        from redis.connection import AbstractConnection

        AbstractConnection.send_packed_command = self.original


def count_one(client, token: str) -> tuple[int, int, list[str]]:
    """(SQL round trips, Redis round trips, statements) for one steady-state request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx, RedisRoundTrips() as redis_trips:
        inprocess_post(client, token, entry_body(0))
    sqls = [q["sql"] for q in ctx.captured_queries]
    # psycopg opens each transaction with a BEGIN of its own, which Django may not log.
    ends = sum(1 for s in sqls if s in ("COMMIT", "ROLLBACK"))
    unlogged = max(0, ends - sqls.count("BEGIN"))
    return len(sqls) + unlogged, redis_trips.count, sqls


def bare_inserts(patient, n: int) -> float:
    """CPU seconds per `SymptomEntry.objects.create()` in its own transaction."""
    from django.db import transaction

    from diary.models import SymptomEntry

    start = time.process_time()
    for i in range(n):
        with transaction.atomic():
            SymptomEntry.objects.create(
                patient=patient,
                recorded_at=datetime.now(UTC) - timedelta(minutes=i),
                recorded_offset_minutes=60,
                posture="lying",
                headache=i % 11,
            )
    return (time.process_time() - start) / n


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (clock ticks)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()]


def backend_pids(dbname: str, own: psycopg.Connection) -> list[int]:
    rows = own.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        [dbname],
    ).fetchall()
    return [pid for (pid,) in rows]


def over_http(args: argparse.Namespace, env: dict[str, str], cast: Cast) -> dict[str, float]:
    with GunicornServer(env, workers=1) as server:
        client = HttpClient(server.port)

        def login(username: str) -> str:
            body = json.dumps({"username": username, "password": cast.password}).encode()
            client.headers.pop("Authorization", None)
            status, data, _ = client.post(LOGIN_PATH, body)
            if status != 200:
                raise SystemExit(f"login failed ({status}): {data[:300]!r}")
            return json.loads(data)["access"]

        phones = Phones(cast, args.patients, login)

        def post(i: int) -> float:
            client.headers["Authorization"] = f"Bearer {phones.token(i)}"
            status, data, seconds = client.post(ENTRIES_PATH, entry_body(i))
            if status != 201:
                raise SystemExit(f"POST answered {status}: {data[:300]!r}")
            return seconds

        for i in range(args.warmup):
            post(i)
        assert server.proc is not None
        (worker,) = children(server.proc.pid)
        with psycopg.connect(pg_url(args.db), autocommit=True) as own:
            backends = backend_pids(args.db, own)  # the worker's persistent connection
            cpu_before = cpu_seconds(worker)
            pg_before = sum(cpu_seconds(pid) for pid in backends)
            latencies = [post(args.warmup + i) for i in range(args.requests)]
            cpu = (cpu_seconds(worker) - cpu_before) / args.requests
            pg = (sum(cpu_seconds(pid) for pid in backends) - pg_before) / args.requests
        client.close()
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    return {"cpu": cpu, "pg": pg, "p50": pick(0.5), "p95": pick(0.95), "p99": pick(0.99)}


def in_process(args: argparse.Namespace, cast: Cast) -> dict:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    phones = Phones(cast, args.patients, inprocess_login(client, cast.password))
    for i in range(args.warmup):
        inprocess_post(client, phones.token(i), entry_body(i))
    walls = []
    start = time.process_time()
    for i in range(args.requests):
        began = time.perf_counter()
        inprocess_post(client, phones.token(args.warmup + i), entry_body(i))
        walls.append(time.perf_counter() - began)
    cpu = (time.process_time() - start) / args.requests
    sql, redis_trips, statements = count_one(client, phones.token(0))
    _, patient = cast.patient("bench-bare", with_login=False)
    bare_inserts(patient, 20)  # warm
    bare = bare_inserts(patient, args.requests)
    return {
        "cpu": cpu,
        "wall": statistics.median(walls),
        "sql": sql,
        "redis": redis_trips,
        "statements": statements,
        "bare": bare,
    }


def profile(args: argparse.Namespace, cast: Cast) -> None:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    phones = Phones(cast, args.patients, inprocess_login(client, cast.password))
    for i in range(args.warmup):
        inprocess_post(client, phones.token(i), entry_body(i))
    bodies = [entry_body(i) for i in range(args.requests)]
    profiler = cProfile.Profile(time.process_time)  # CPU, not time spent waiting
    profiler.enable()
    for i, body in enumerate(bodies):
        inprocess_post(client, phones.token(i), body)
    profiler.disable()
    for sort in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort).print_stats(
            args.profile_top
        )
        print(f"\n===== {args.requests} POSTs, in-process, by {sort} =====")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--warmup", type=int, default=60)
    parser.add_argument("--patients", type=int, default=60)
    parser.add_argument("--db", default="csf_bench_web", help="database to (re)create and drop")
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/11",
        help="throttle counters and broker; an unused Redis database, emptied at the end",
    )
    parser.add_argument("--profile", action="store_true", help="in-process under cProfile only")
    parser.add_argument("--profile-top", type=int, default=40)
    parser.add_argument("--show-queries", action="store_true")
    return parser.parse_args()


def main() -> None:
    import redis

    args = parse_args()
    store = redis.Redis.from_url(args.redis_url)
    if store.dbsize():
        raise SystemExit(f"{args.redis_url} is not empty; give --redis-url an unused database")
    env = app_env(
        args.db,
        CELERY_BROKER_URL=args.redis_url,
        TASKS_IN_PROCESS="false",
        CACHE_URL=args.redis_url,
        THROTTLE_WRITE="120/min",  # a phone's rate; each patient writes a few entries here
    )
    recreate_database(args.db)
    try:
        setup_django(env)
        cast = Cast.create()
        if args.profile:
            profile(args, cast)
            return
        inproc = in_process(args, cast)
        store.flushdb()  # throttle counters of the in-process phones
        http = over_http(args, env, cast)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(args.db)
        store.flushdb()  # only this run's counters and queued judgements: it was empty
        store.close()
    if args.show_queries:
        print("\n".join(f"  {s[:160]}" for s in inproc["statements"]))
    print(
        f"\nsingle-entry POST, {args.requests} requests (+{args.warmup} warm-up) over "
        f"{args.patients} patients, PostgreSQL, Redis throttles and broker"
    )
    print(f"{'':44}{'ms':>8}")
    rows = (
        ("in-process: CPU per request", inproc["cpu"]),
        ("in-process: wall per request (median)", inproc["wall"]),
        ("bare ORM insert + commit: CPU", inproc["bare"]),
        ("HTTP: gunicorn worker CPU per request", http["cpu"]),
        ("HTTP: PostgreSQL backend CPU per request", http["pg"]),
        ("HTTP: latency p50", http["p50"]),
        ("HTTP: latency p95", http["p95"]),
        ("HTTP: latency p99", http["p99"]),
    )
    for name, value in rows:
        print(f"{name:44}{ms(value):>8}")
    print(f"round trips per request: SQL {inproc['sql']} (incl. BEGIN), Redis {inproc['redis']}")
    print(
        f"entry_post: {ms(inproc['cpu'])} ms CPU in-process ({inproc['cpu'] / inproc['bare']:.1f}"
        f" x bare insert), {ms(http['cpu'])} ms gunicorn CPU, p50 {ms(http['p50'])} ms, "
        f"{inproc['sql']} SQL + {inproc['redis']} Redis round trips"
    )


if __name__ == "__main__":
    main()
