"""Plumbing shared by the benchmarks: a throwaway PostgreSQL database, Django
pointed at it, a gunicorn server on a free port, and a timed HTTP client.

Nothing here touches the `test`, `root` or `postgres` databases' contents: the
admin connection only goes to `postgres` to CREATE/DROP the bench's own database
(not `template1`, which would block anyone else's CREATE DATABASE meanwhile).
"""

from __future__ import annotations

import http.client
import logging
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import psycopg
from psycopg import sql

REPO_ROOT = Path(__file__).resolve().parent.parent
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
PROTECTED_DATABASES = frozenset({"test", "root", "postgres", "template0", "template1"})
HOST = "127.0.0.1"

# Settings the app must not pick up from the caller's shell: no broker (so no
# shared Redis gets bench messages; jobs run in-process, as in the embedded
# default) and the default per-process locmem cache.
_SCRUBBED_ENV = ("CELERY_BROKER_URL", "REDIS_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE")


def pg_url(dbname: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{dbname}"


def _admin(statement: sql.Composable) -> None:
    with psycopg.connect(pg_url("postgres"), autocommit=True) as conn:
        conn.execute(statement)


def recreate_database(name: str) -> None:
    if name in PROTECTED_DATABASES:
        raise SystemExit(f"Refusing to use database {name!r}.")
    drop_database(name)
    _admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(name: str) -> None:
    if name in PROTECTED_DATABASES:
        raise SystemExit(f"Refusing to drop database {name!r}.")
    # FORCE: a gunicorn worker killed uncleanly may still hold a session.
    _admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def app_env(dbname: str, **overrides: str) -> dict[str, str]:
    """Production-like settings for the app (DEBUG off), on the bench database."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=pg_url(dbname),
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS=HOST,
        SECURE_SSL_REDIRECT="false",
        # The defaults (60/min anon, 1200/min user) would throttle a bench, not a phone.
        THROTTLE_USER="1000000/min",
        THROTTLE_ANON="1000000/min",
        LOG_LEVEL="WARNING",
        TASKS_IN_PROCESS="true",  # no broker: the judgement a write asks for runs after commit
    )
    env.update(overrides)
    return env


def setup_django(env: dict[str, str], *, migrate: bool = True) -> None:
    """Point this process's Django at the bench database, then migrate it."""
    for key in _SCRUBBED_ENV:
        os.environ.pop(key, None)
    os.environ.update(env)  # before django.setup(): settings read the environment once
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    import django
    from django.core.management import call_command

    # Bench-process noise only: no collectstatic under DEBUG=false, and kombu's
    # note about eager Celery having no broker host.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    logging.getLogger("kombu").setLevel(logging.ERROR)
    if migrate:
        call_command("migrate", verbosity=0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class GunicornServer:
    """`gunicorn config.wsgi:application` with sync workers, as a child process."""

    def __init__(self, env: dict[str, str], *, workers: int = 1) -> None:
        self.env, self.workers = env, workers
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log")  # noqa: SIM115

    def __enter__(self) -> GunicornServer:
        gunicorn = Path(sys.executable).parent / "gunicorn"
        if not gunicorn.exists():
            gunicorn = REPO_ROOT / ".venv" / "bin" / "gunicorn"
        argv = [
            str(gunicorn),
            "config.wsgi:application",
            f"--bind={HOST}:{self.port}",
            f"--workers={self.workers}",
            "--worker-class=sync",
            f"--chdir={REPO_ROOT}",
            "--timeout=120",
        ]
        # Own session: a Ctrl-C on the bench must not race our own terminate().
        self.proc = subprocess.Popen(  # noqa: S603 (fixed argv, no shell)
            argv, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("GET", "/api/v1/me/")
                conn.getresponse().read()  # any answer (401) means Django is serving
                conn.close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        text = Path(self.log.name).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM to the master, by pid: it stops its workers
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class HttpClient:
    """One keep-alive-capable connection. gunicorn's sync workers answer
    `Connection: close`, so http.client reopens it; we connect *before* the
    clock starts so a request's time never includes the TCP handshake."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection(HOST, port, timeout=120)
        self.headers: dict[str, str] = {"Host": HOST, "Content-Type": "application/json"}

    def post(self, path: str, body: bytes) -> tuple[int, bytes, float]:
        """(status, body, seconds from sending the request to the last byte read)."""
        if self.conn.sock is None:
            self.conn.connect()
        start = time.perf_counter()
        self.conn.request("POST", path, body=body, headers=self.headers)
        response = self.conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - start
        if response.will_close:
            self.conn.close()
        return response.status, data, elapsed

    def close(self) -> None:
        self.conn.close()


def median_min(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), min(values)


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"
