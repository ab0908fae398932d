"""Parts the failure tests may break: a redis-server of their own on a free port,
Celery worker and beat processes pointed at it.

Never the machine's shared Redis or PostgreSQL: only what a test started is
stopped, by its pid.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests.conftest import services_required

REPO = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout=30.0, interval=0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server that keeps nothing on disk, as production's may: a
    restart loses every queued message."""

    def __init__(self, workdir: Path):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            if services_required():
                pytest.fail("REQUIRE_SERVICES is set but redis-server is not installed")
            pytest.skip("needs redis-server")
        self.port = free_port()
        self.workdir = workdir
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        log = open(self.workdir / "redis.log", "a")  # noqa: SIM115 - the server owns it
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        assert wait_for(self.answers, timeout=10), "redis-server did not start"
        return self

    def answers(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


class CeleryProcess:
    """`celery -A config worker` or `beat`, with this test database and broker."""

    def __init__(self, kind: str, broker_url: str, log_path: Path, **env):
        from django.db import connection

        db = connection.settings_dict
        self.kind, self.log_path = kind, log_path
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "CELERY_BROKER_URL": broker_url,
            **env,
        }
        self.process = None

    def start(self, ready: str | None = None) -> "CeleryProcess":
        log = open(self.log_path, "a")  # noqa: SIM115 - the process owns it while it runs
        args = [sys.executable, "-m", "celery", "-A", "config", self.kind, "--loglevel", "INFO"]
        if self.kind == "worker":
            args += ["--concurrency", "1", "--without-gossip", "--without-mingle",
                     "--without-heartbeat", "-n", f"w{free_port()}@%h"]  # fmt: skip
        else:
            args += ["--pidfile", str(self.log_path.with_suffix(".pid"))]
        self.process = subprocess.Popen(
            args, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        ready = ready or ("ready." if self.kind == "worker" else "beat: Starting")
        assert wait_for(lambda: ready in self.log(), timeout=60), self.log()
        return self

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def kill(self) -> None:
        """kill -9, the whole process group: no chance to hand a message back."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
