"""Faults benchmark: the production-like stack broken on purpose, on servers of its own.

    .venv/bin/python bench/faults.py                  # every fault, fast outbox timings
    .venv/bin/python bench/faults.py --production-timings   # the outbox's defaults (60 s)
    .venv/bin/python bench/faults.py --faults worker-kill,redis-restart

Brings up, on free ports and in a temporary directory: a PostgreSQL cluster
it creates with `initdb` (run as the `postgres` system user: initdb refuses
root), a redis-server that keeps nothing on disk, gunicorn with two workers,
a Celery worker and beat, DEBUG off. Never the machine's shared PostgreSQL or
Redis: only what it started is stopped, by pid.

Writer threads play patients syncing entries with ids of their own, retrying
every batch that was not acknowledged (same ids). Per fault, fresh patients
send a batch that proves a relapse; the fault is injected right after; the
bench waits for each flag to reach the clinicians' inbox. Printed per fault:
requests, acknowledged, lost, duplicated, 5xx answers (a 503 with Retry-After
is counted apart), and the worst time from the proof arriving to the flag in
the inbox, also counted from when the failed part was back. Last line:
`faults: lost N, duplicated N, 5xx N, worst flag delay S s`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import REPO_ROOT, GunicornServer, free_port, setup_django

PG_BIN = Path("/usr/lib/postgresql/15/bin")
HOST = "127.0.0.1"
PASSWORD = "fault-bench-passphrase"  # noqa: S105 - the bench's own throwaway logins
ALL_FAULTS = ("worker-kill", "redis-stop", "redis-restart", "postgres-restart", "web-kill")


# --- Servers of its own ------------------------------------------------------------


def as_postgres(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return subprocess.run([runuser, "-u", "postgres", "--", *argv], check=True, **kwargs)  # noqa: S603


class Postgres:
    """A throwaway cluster: initdb in a temporary directory, trust auth, one port."""

    def __init__(self, root: Path) -> None:
        self.data, self.port = root / "pg", free_port()
        self.log = root / "pg.log"
        shutil.chown(root, "postgres", "postgres")  # its data directory goes in here
        as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                    capture_output=True)  # fmt: skip

    def ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses={HOST} -c fsync=off"
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                    "-o", options, "-w", *args, capture_output=True)  # fmt: skip

    def start(self) -> None:
        self.ctl("start")

    def restart(self) -> None:
        self.ctl("restart", "-m", "fast")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self.ctl("stop", "-m", "immediate")

    def url(self, db: str) -> str:
        return f"postgres://postgres@{HOST}:{self.port}/{db}"


class Redis:
    def __init__(self, root: Path) -> None:
        self.port, self.root = free_port(), root
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.root / "redis.log", "a")  # noqa: SIM115
        self.proc = subprocess.Popen(  # noqa: S603
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port),
             "--bind", HOST, "--save", "", "--appendonly", "no", "--dir", str(self.root)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        time.sleep(0.5)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()  # as a crash: nothing kept
            self.proc.wait()


class Celery:
    def __init__(self, kind: str, env: dict, root: Path) -> None:
        self.kind, self.env, self.log = kind, env, root / f"celery-{kind}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        argv = [sys.executable, "-m", "celery", "-A", "config", self.kind, "--loglevel", "INFO"]
        if self.kind == "worker":
            argv += ["--concurrency", "2", "--without-gossip", "--without-mingle"]
        else:
            argv += ["--pidfile", str(self.log.with_suffix(".pid"))]
        log = open(self.log, "a")  # noqa: SIM115
        self.proc = subprocess.Popen(  # noqa: S603
            argv, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


# --- The load -----------------------------------------------------------------------


@dataclass
class Counts:
    requests: int = 0
    acknowledged: int = 0  # batches
    server_errors: int = 0  # 5xx but 503
    unavailable: int = 0  # 503 with Retry-After
    no_answer: int = 0  # connection refused or reset
    acked_ids: list[str] = field(default_factory=list)

    def minus(self, other: Counts) -> Counts:
        return Counts(
            self.requests - other.requests,
            self.acknowledged - other.acknowledged,
            self.server_errors - other.server_errors,
            self.unavailable - other.unavailable,
            self.no_answer - other.no_answer,
            self.acked_ids[len(other.acked_ids) :],
        )

    def copy(self) -> Counts:
        return Counts(**{**self.__dict__, "acked_ids": list(self.acked_ids)})


class Phone:
    """One patient's phone: logs in, syncs batches, retries until acknowledged."""

    def __init__(self, port: int, username: str, counts: Counts, lock: threading.Lock) -> None:
        self.port, self.username, self.counts, self.lock = port, username, counts, lock
        self.token = ""

    def _request(self, method: str, path: str, body: dict | None) -> tuple[int, dict, dict]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        headers = {"Content-Type": "application/json", "Host": HOST}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            conn.request(method, path, body=json.dumps(body) if body else None, headers=headers)
            response = conn.getresponse()
            data = response.read()
            status, retry_after = response.status, response.getheader("Retry-After")
        except OSError:
            with self.lock:
                self.counts.requests += 1
                self.counts.no_answer += 1
            return 0, {}, {}
        finally:
            conn.close()
        with self.lock:
            self.counts.requests += 1
            if status == 503 and retry_after:
                self.counts.unavailable += 1
            elif status >= 500:
                self.counts.server_errors += 1
        try:
            payload = json.loads(data) if data else {}
        except ValueError:
            payload = {}
        return status, payload, {"retry_after": retry_after}

    def login(self) -> None:
        while True:
            self.token = ""
            status, payload, _ = self._request(
                "POST", "/api/v1/auth/token/", {"username": self.username, "password": PASSWORD}
            )
            if status == 200:
                self.token = payload["access"]
                return
            time.sleep(0.5)

    def sync(self, body: dict) -> float:
        """Send until acknowledged (the same ids each time); the ack's wall-clock time."""
        while True:
            status, payload, meta = self._request("POST", "/api/v1/sync/", body)
            if status == 401:
                self.login()
                continue
            if status == 200:
                ok = {"created", "unchanged", "updated"}
                items = payload.get("entries", []) + payload.get("patches", [])
                if all(item.get("status") in ok for item in items):
                    with self.lock:
                        self.counts.acknowledged += 1
                        self.counts.acked_ids += [e["id"] for e in body.get("entries", [])]
                    return time.time()
            time.sleep(min(float(meta.get("retry_after") or 0.5), 2.0))


def entries(n: int, start: dt.datetime) -> list[dict]:
    return [
        {
            "id": str(uuid.uuid4()),
            "recorded_at": (start + dt.timedelta(minutes=i)).isoformat(),
            "posture": random.choice(["lying", "sitting", "standing"]),
            "headache": random.randint(0, 10),
        }
        for i in range(n)
    ]


def relapse_proof(now: dt.datetime) -> dict:
    """A patch, upright 8 before it, 2 for a day and a half after, then 8 again."""
    patch_at = now - dt.timedelta(days=5)
    half_days = [-k for k in range(14, 0, -1)] + [1, 2, 3, 4, 5]
    scores = [8] * 14 + [2, 2, 2, 8, 8]
    return {
        "entries": [
            {
                "id": str(uuid.uuid4()),
                "recorded_at": (patch_at + dt.timedelta(hours=12 * k)).isoformat(),
                "posture": "standing",
                "headache": score,
            }
            for k, score in zip(half_days, scores, strict=True)
        ],
        "patches": [
            {
                "id": str(uuid.uuid4()),
                "performed_at": patch_at.isoformat(),
                "kind": "epidural_blood_patch",
                "approach": "blind",
                "levels": ["L3/L4"],
                "volume_ml": 20,
            }
        ],
    }


def writer(phone: Phone, stop: threading.Event) -> None:
    phone.login()
    while not stop.is_set():
        size = random.choice([1, 1, 5, 20])
        phone.sync({"entries": entries(size, dt.datetime.now(dt.UTC) - dt.timedelta(days=2))})
        time.sleep(0.2)


# --- The run ------------------------------------------------------------------------


@dataclass
class FaultResult:
    name: str
    counts: Counts
    delays: list[float]
    delays_after_back: list[float]


def create_people(n_writers: int, n_proofs: int) -> tuple[list[str], list[str], int]:
    from django.contrib.auth.hashers import make_password

    from accounts.models import Clinic, Role, User
    from diary.models import Patient

    clinic = Clinic.objects.create(name="Fault clinic")
    team = [
        User.objects.create(
            username=f"dr{i}", role=Role.CLINICIAN, clinic=clinic, email=f"dr{i}@example.org"
        )
        for i in range(2)
    ]
    password = make_password(PASSWORD)
    names = []
    for i in range(n_writers + n_proofs):
        user = User.objects.create(username=f"p{i}", role=Role.PATIENT, password=password)
        patient = Patient.objects.create(
            clinic=clinic, user=user, display_name=f"Patient {i}", timezone="Europe/Zurich"
        )
        patient.care_team.set(team)
        names.append(user.username)
    return names[:n_writers], names[n_writers:], len(team)


def inbox_times(usernames: list[str]) -> dict[str, float]:
    """Per proof patient: when their first flag reached an inbox (epoch seconds)."""
    from django.db import close_old_connections
    from django.db.models import Min

    from notifications.models import InboxItem

    try:
        rows = (
            InboxItem.objects.filter(flag__patient__user__username__in=usernames)
            .values("flag__patient__user__username")
            .annotate(first=Min("created_at"))
        )
        return {r["flag__patient__user__username"]: r["first"].timestamp() for r in rows}
    except Exception:  # the bench's own connection during a PostgreSQL restart
        close_old_connections()
        from django.db import connection

        connection.close()
        return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faults", default=",".join(ALL_FAULTS))
    parser.add_argument("--writers", type=int, default=4, help="phones writing all along")
    parser.add_argument("--proofs", type=int, default=2, help="relapse proofs per fault")
    parser.add_argument("--flag-timeout", type=float, default=330.0)
    parser.add_argument(
        "--production-timings",
        action="store_true",
        help="the outbox's defaults (re-dispatch after 60 s, every 60 s) instead of 15 s / 5 s",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    faults = [f for f in args.faults.split(",") if f]
    unknown = set(faults) - set(ALL_FAULTS)
    if unknown:
        parser.error(f"unknown faults: {', '.join(sorted(unknown))}")

    root = Path(tempfile.mkdtemp(prefix="faults-"))
    pg, redis = Postgres(root), Redis(root)
    processes: list = []
    try:
        pg.start()
        as_postgres(str(PG_BIN / "createdb"), "-h", HOST, "-p", str(pg.port), "diary")
        redis.start()
        env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(64),
            ALLOWED_HOSTS=HOST,
            SECURE_SSL_REDIRECT="false",
            DATABASE_URL=pg.url("diary"),
            CELERY_BROKER_URL=f"redis://{HOST}:{redis.port}/0",
            CACHE_URL=f"rediscache://{HOST}:{redis.port}/1",
            THROTTLE_USER="1000000/min",
            THROTTLE_ANON="1000000/min",
            THROTTLE_WRITE="1000000/min",
            LOG_LEVEL="WARNING",
            TASKS_IN_PROCESS="false",
            EMAIL_URL="consolemail://",
        )
        env.pop("REDIS_URL", None)
        if not args.production_timings:
            env.update(OUTBOX_REDISPATCH_SECONDS="15", OUTBOX_DISPATCH_SECONDS="5")
        setup_django(env)
        writers, proof_names, team_size = create_people(args.writers, args.proofs * len(faults))
        web = GunicornServer(env, workers=2).__enter__()
        processes.append(web)
        worker, beat = Celery("worker", env, root), Celery("beat", env, root)
        worker.start()
        beat.start()
        processes += [worker, beat]
        time.sleep(8)  # worker ready, beat's first dispatch

        counts, lock, stop = Counts(), threading.Lock(), threading.Event()
        threads = [
            threading.Thread(target=writer, args=(Phone(web.port, name, counts, lock), stop))
            for name in writers
        ]
        for thread in threads:
            thread.start()
        time.sleep(3)

        results = []
        for index, fault in enumerate(faults):
            proofs = proof_names[index * args.proofs : (index + 1) * args.proofs]
            results.append(
                run_fault(fault, proofs, web, worker, beat, pg, redis, counts, lock, args)
            )
        stop.set()
        for thread in threads:
            thread.join(120)
        report(results, counts, team_size, proof_names[: args.proofs * len(faults)])
    finally:
        for process in reversed(processes):
            try:
                process.__exit__() if isinstance(process, GunicornServer) else process.stop()
            except Exception as exc:
                print(f"stopping {process}: {exc}", file=sys.stderr)
        redis.stop()
        pg.stop()
        if args.keep:
            print(f"kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


def gunicorn_workers(master_pid: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            pids.append(int(stat.parent.name))
    return pids


def run_fault(fault, proofs, web, worker, beat, pg, redis, counts, lock, args) -> FaultResult:
    with lock:
        before = counts.copy()
    phones = [Phone(web.port, name, counts, lock) for name in proofs]
    for phone in phones:
        phone.login()
    if fault == "redis-restart":  # the proofs' jobs queued while no worker runs
        worker.stop()
    proved: dict[str, float] = {}
    senders = []
    for phone in phones:

        def send(phone=phone):
            proved[phone.username] = phone.sync(relapse_proof(dt.datetime.now(dt.UTC)))

        senders.append(threading.Thread(target=send))
        senders[-1].start()
    if fault == "web-kill":  # mid-request: the proofs are in flight
        time.sleep(0.05)
        for pid in gunicorn_workers(web.proc.pid)[:1]:
            os.kill(pid, signal.SIGKILL)
    for sender in senders:
        sender.join(300)
    if fault == "worker-kill":  # right after the proofs: their judgements queued or running
        worker.kill()
        time.sleep(5)
        worker.start()
    elif fault == "redis-stop":
        redis.stop()
        time.sleep(30)
        redis.start()
    elif fault == "redis-restart":
        redis.stop()
        redis.start()  # empty: the queued judgements are gone
        worker.start()
    elif fault == "postgres-restart":
        pg.restart()
    back = time.time()
    for process in (worker, beat):  # a supervisor would restart a process that died
        if not process.alive():
            print(f"  ({fault}: celery {process.kind} had exited; restarted)", flush=True)
            process.start()
    deadline = time.time() + args.flag_timeout
    seen: dict[str, float] = {}
    while time.time() < deadline and len(seen) < len(proofs):
        seen = inbox_times(proofs) or seen
        time.sleep(1)
    with lock:
        during = counts.copy().minus(before)
    delays = [seen[name] - proved[name] for name in proofs if name in seen]
    missing = [name for name in proofs if name not in seen]
    if missing:  # never reached the inbox within the timeout: counted as the timeout
        delays += [args.flag_timeout] * len(missing)
    after_back = [max(0.0, seen[name] - back) for name in proofs if name in seen]
    after_back += [args.flag_timeout] * len(missing)
    result = FaultResult(fault, during, delays, after_back)
    print(
        f"{fault:17} requests {during.requests:5}, acknowledged {during.acknowledged:4}, "
        f"5xx {during.server_errors}, 503 {during.unavailable}, no answer {during.no_answer}, "
        f"flags {len(seen)}/{len(proofs)}, worst flag delay {max(delays):.1f} s "
        f"({max(after_back):.1f} s after the part was back)",
        flush=True,
    )
    return result


def report(results, counts, team_size, proof_names) -> None:
    from django.db import connection
    from django.db.models import Count

    from diary.models import Flag, SymptomEntry
    from notifications.models import Delivery, DeliveryStatus

    connection.close()
    flags = Flag.objects.filter(patient__user__username__in=proof_names)
    sent = Delivery.objects.filter(flag__in=flags, status=DeliveryStatus.SENT)
    deadline = time.time() + 120  # the emails follow the inbox items
    while sent.count() < flags.count() * team_size and time.time() < deadline:
        time.sleep(1)
    acked = counts.acked_ids
    stored = {
        str(u) for u in SymptomEntry.objects.filter(uuid__in=acked).values_list("uuid", flat=True)
    }
    lost = len(set(acked) - stored)
    duplicated = SymptomEntry.objects.values("uuid").annotate(n=Count("id")).filter(n__gt=1).count()
    extra_flags = sum(
        max(0, row["n"] - 1) for row in flags.values("patient", "kind").annotate(n=Count("id"))
    )
    twice = sent.values("flag", "recipient").annotate(n=Count("id")).filter(n__gt=1).count()
    print(
        f"\nacknowledged batches {counts.acknowledged} ({len(acked)} entries), lost {lost}, "
        f"duplicated {duplicated}; flags raised {flags.count()} for {len(proof_names)} proofs "
        f"(extra {extra_flags}); alert emails sent {sent.count()} of "
        f"{flags.count() * team_size}, twice {twice}"
    )
    worst = max(max(r.delays) for r in results)
    print(
        f"faults: lost {lost}, duplicated {duplicated + extra_flags + twice}, "
        f"5xx {counts.server_errors}, worst flag delay {worst:.0f} s"
    )


if __name__ == "__main__":
    main()
