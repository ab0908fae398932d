"""config/gunicorn.conf.py, production's gunicorn settings (issue 18): read from
the environment, and a kept-alive connection outlives a client's short idle."""

import http.client
import os
import runpy
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "config" / "gunicorn.conf.py"


def load(monkeypatch, **env) -> dict:
    for name in ("WEB_CONCURRENCY", "GUNICORN_WORKER_CLASS", "GUNICORN_THREADS",
                 "GUNICORN_KEEPALIVE", "GUNICORN_BIND"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_the_defaults_are_threaded_workers_with_a_long_keep_alive(monkeypatch):
    conf = load(monkeypatch)
    assert (conf["worker_class"], conf["workers"], conf["threads"]) == ("gthread", 2, 4)
    assert conf["keepalive"] > 60  # above a proxy's or a phone client's usual idle timeout


def test_every_setting_comes_from_the_environment(monkeypatch):
    conf = load(
        monkeypatch,
        WEB_CONCURRENCY="5",
        GUNICORN_WORKER_CLASS="sync",
        GUNICORN_THREADS="1",
        GUNICORN_KEEPALIVE="9",
        GUNICORN_BIND="127.0.0.1:9999",
    )
    assert (conf["workers"], conf["worker_class"], conf["threads"]) == (5, "sync", 1)
    assert (conf["keepalive"], conf["bind"]) == (9, "127.0.0.1:9999")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(postgres_only, transactional_db):
    """gunicorn with the production config file, on a free port and this test
    database, as a child."""
    from django.db import connection

    db = connection.settings_dict
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [str(gunicorn), "-c", str(CONF), "config.wsgi:application", f"--chdir={REPO}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(15)


def test_a_connection_idle_for_a_few_seconds_is_still_answered(served):
    """gunicorn's own default (2 s) closes it: a client reusing it then races
    the close, and its request is cut off instead of answered."""
    conn = http.client.HTTPConnection("127.0.0.1", served, timeout=30)
    conn.request("GET", "/")
    first = conn.getresponse()
    first.read()
    assert first.status == 200
    assert not first.will_close
    sock = conn.sock

    time.sleep(3)
    conn.request("GET", "/")
    again = conn.getresponse()
    again.read()

    assert again.status == 200
    assert conn.sock is sock  # the same connection, still open
    conn.close()
