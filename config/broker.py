"""Hand a job to the broker, or leave it to the outbox while the broker is down.

What must happen is a database row first (the outbox: a patient's
`evaluation_requested_at`, a flag without its fan-out, a pending delivery);
the message only makes it happen sooner. So a request never fails, or waits
long, because Redis is away: the first failed publish makes this process skip
the broker for BROKER_BACKOFF_SECONDS, and the minute-ly re-dispatch hands out
what is waiting once the broker is back.
"""

import logging
import time

from django.conf import settings

logger = logging.getLogger(__name__)

_skip_until = 0.0  # per process: time.monotonic() before which the broker is not tried


def enqueue(task, *args) -> bool:
    """`task.delay(*args)`, never raising; False if the job was left to the outbox."""
    global _skip_until
    eager = task.app.conf.task_always_eager
    if not eager and time.monotonic() < _skip_until:
        return False
    try:
        task.delay(*args)
    except Exception:
        # In-process (no broker) the job itself failed: logged, and the outbox
        # still holds it. Otherwise the broker is away: stop trying for a while.
        if eager:
            logger.exception("Job %s%r failed in-process; the outbox keeps it", task.name, args)
        else:
            _skip_until = time.monotonic() + settings.BROKER_BACKOFF_SECONDS
            logger.warning(
                "Broker unreachable: %s%r left to the outbox; not tried for %s s",
                task.name,
                args,
                settings.BROKER_BACKOFF_SECONDS,
                exc_info=True,
            )
        return False
    return True


def unavailable() -> bool:
    """Whether this process found the broker down within BROKER_BACKOFF_SECONDS."""
    return time.monotonic() < _skip_until


def reset() -> None:
    """Try the broker again at the next job (tests)."""
    global _skip_until
    _skip_until = 0.0
