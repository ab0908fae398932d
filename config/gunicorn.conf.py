"""gunicorn's settings in production, from the environment only:

    gunicorn -c config/gunicorn.conf.py config.wsgi:application

Threaded workers (`gthread`) by default: an idle kept-alive connection or a slow
client waits in the worker's poller, not in a thread, and a request's database
round trips overlap with another thread's Python. See docs/production.md for
the numbers behind the defaults.
"""

import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# WEB_CONCURRENCY is also what gunicorn itself reads without this file.
workers = _int("WEB_CONCURRENCY", 2)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = _int("GUNICORN_THREADS", 4)
# Longer than the idle timeout of whatever keeps connections to us open (a
# proxy: nginx's upstream keepalive_timeout, a cloud load balancer's idle
# timeout, typically 60 s; a phone's HTTP client: 5-60 s). With the default
# 2 s, a client reusing a connection idle for 2 s+ races our close of it: the
# request is cut off (a reset, "server disconnected") instead of answered.
keepalive = _int("GUNICORN_KEEPALIVE", 75)
# A request still running after this long has its worker restarted (the API's
# slowest requests, a 500-item sync, take well under a second).
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None  # e.g. "-" for stdout
