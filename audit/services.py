"""Write the audit trail and keep earlier versions of diary records.

A request's events are collected while it runs and written in one bulk
statement when it ends (`AuditMiddleware`), after ATOMIC_REQUESTS has committed
or rolled back the request's data. That order is deliberate: an audit write
that fails must not roll back a patient's diary entry. Instead the write is
retried once and, if it still fails, every event is logged at ERROR with its
full metadata on the dedicated `audit` logger (shipped off the machine with
the other logs), so it is neither lost nor silent. Outside a request (Celery
tasks, management commands) each event is written at once.
"""

import contextvars
import json
import logging
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.db import DatabaseError, transaction
from django.utils import timezone

from audit.models import Action, AuditEvent, Outcome, RecordRevision
from config.bulk_insert import insert_fanned_out, insert_rows

audit_logger = logging.getLogger("audit")

USER_AGENT_MAX = AuditEvent._meta.get_field("user_agent").max_length
# Fields of a diary record that are bookkeeping, not what the patient wrote.
NOT_REVISED = {"id", "uuid", "patient", "version", "sync_digest", "created_at", "updated_at"}


@dataclass
class PendingEvent:
    action: str
    record_type: str = ""
    record_id: str = ""
    patient_id: str | None = None
    outcome: str | None = None  # None: decided by the response status
    actor_id: int | None = None
    actor_username: str = ""
    actor_role: str = ""
    occurred_at: datetime = field(default_factory=timezone.now)
    detail: dict = field(default_factory=dict)
    # A batch: one event per id here, alike in everything else (record_id unused).
    record_ids: tuple[str, ...] = ()


@dataclass
class AuditScope:
    """The events of one request (or one command run) and where it came from."""

    ip: str | None = None
    user_agent: str = ""
    request: str = ""
    events: list[PendingEvent] = field(default_factory=list)


_scope: contextvars.ContextVar[AuditScope | None] = contextvars.ContextVar(
    "audit_scope", default=None
)


class AuditWriteFailed(Exception):
    """The trail could not be stored (the events were logged at ERROR)."""


def _actor_fields(user) -> dict:
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    return {"actor_id": user.pk, "actor_username": user.get_username(), "actor_role": user.role}


def audit_record(
    *,
    action: str,
    record_type: str = "",
    record_id="",
    patient_id=None,
    outcome: str | None = None,
    actor=None,
    actor_username: str = "",
    detail: dict | None = None,
) -> None:
    """Note one audited action; the request writes it when it ends."""
    _collect(
        [
            PendingEvent(
                action=action,
                record_type=record_type,
                record_id=str(record_id or ""),
                patient_id=str(patient_id) if patient_id else None,
                outcome=outcome,
                detail=detail or {},
                **{"actor_username": actor_username, **_actor_fields(actor)},
            )
        ]
    )


def audit_record_many(
    *, action: str, record_type: str, patient_id, record_ids: Iterable, actor=None
) -> None:
    """One event per diary record (entries or treatments) of one patient's batch."""
    record_ids = tuple(str(record_id) for record_id in record_ids)
    if record_ids:
        _collect(
            [
                PendingEvent(
                    action=action,
                    record_type=record_type,
                    patient_id=str(patient_id),
                    record_ids=record_ids,
                    **_actor_fields(actor),
                )
            ]
        )


def _collect(events: list[PendingEvent]) -> None:
    if not events:
        return
    scope = _scope.get()
    if scope is not None:
        scope.events.extend(events)
    else:  # a task or a command: no request end to wait for
        audit_write(AuditScope(events=events), default_outcome=Outcome.SUCCESS)


@contextmanager
def audit_scope(*, ip=None, user_agent: str = "", request: str = ""):
    """Collect events until the block ends; the caller writes them (audit_write)."""
    scope = AuditScope(ip=ip, user_agent=(user_agent or "")[:USER_AGENT_MAX], request=request)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def audit_write(scope: AuditScope, *, default_outcome: str, status_code=None, actor=None) -> None:
    """Store a scope's events (a statement for single events, one per batch);
    retry once, then log and raise."""
    if not scope.events:
        return
    fallback = _actor_fields(actor)
    shared = {
        "ip": scope.ip,
        "user_agent": scope.user_agent,
        "request": scope.request,
        "status_code": status_code,
    }
    singles, batches = [], []
    for event in scope.events:
        # vars(), not asdict(): asdict deep-copies.
        row = {
            **vars(event),
            **(fallback if event.actor_id is None else {}),
            "outcome": event.outcome or default_outcome,
            **shared,
        }
        record_ids = row.pop("record_ids")
        if record_ids:
            batches.append((row, record_ids))
        else:
            singles.append(row)

    def store():
        insert_rows(AuditEvent, singles)
        for row, record_ids in batches:
            insert_fanned_out(AuditEvent, row, "record_id", record_ids)

    # Inside a larger transaction (a task, a command, a test) a savepoint keeps
    # it usable if the insert fails; several statements commit together.
    atomic = transaction.get_connection().in_atomic_block or bool(singles) + len(batches) > 1
    for attempt in (1, 2):
        try:
            if atomic:
                with transaction.atomic():
                    store()
            else:  # the end of a request: one statement, committed on its own
                store()
            return
        except DatabaseError as exc:
            if attempt == 1:
                continue
            every_event = singles + [
                {**row, "record_id": record_id}
                for row, record_ids in batches
                for record_id in record_ids
            ]
            for row in every_event:
                audit_logger.error("Audit event not stored: %s", json.dumps(row, default=str))
            raise AuditWriteFailed(f"{len(every_event)} audit events not stored") from exc


def is_read_action(action: str) -> bool:
    return action in (Action.READ, Action.DOWNLOAD)


# --- History of diary records ---------------------------------------------------


def record_snapshot(record) -> dict:
    """A record's own fields as they stand (model attribute names)."""
    return {
        f.attname: f.value_from_object(record)
        for f in record._meta.concrete_fields
        if f.name not in NOT_REVISED
    }


def revisions_keep(*, records: Iterable, record_type: str, change: str, by=None) -> None:
    """Keep the current version of each record before it is changed or deleted.

    Call it before mutating the records; one INSERT for the lot.
    """
    now = timezone.now()
    by = by if getattr(by, "is_authenticated", False) else None
    RecordRevision.objects.bulk_create(
        [
            RecordRevision(
                patient_id=record.patient_id,
                record_type=record_type,
                record_uuid=record.uuid,
                values=record_snapshot(record),
                valid_from=record.updated_at,
                change=change,
                changed_at=now,
                changed_by=by,
            )
            for record in records
        ]
    )
