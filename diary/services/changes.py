"""Every change to a diary starts here: lock, version, and a judgement request.

`diary_change_begin` takes the patient's row lock for the rest of the
transaction and hands out the next diary version. Because the lock is held
until commit, versions become visible in the order they were handed out: a
reader that has seen version N never later finds an older change appearing
(the trap of timestamp cursors).

It also asks for the patient's treatments to be judged. The request is the
outbox row: `evaluation_requested_at`, set in the same transaction as the
write, one per patient, so a burst of writes or a 500-entry batch is one
pending judgement. The judgement clears it when it starts (in its own
transaction: a judgement killed midway leaves it set), so a write after that
start asks again and nothing is missed. The message queued after commit only
makes it sooner: the minute-ly `evaluations_redispatch` hands out again every
request left waiting longer than OUTBOX_REDISPATCH_AFTER, whatever happened to
its message, and a write after PENDING_TTL queues one again itself.
"""

import datetime as dt
from functools import partial

from django.db import connections, router, transaction
from django.utils import timezone

from config.broker import enqueue
from diary.models import Patient

PENDING_TTL = dt.timedelta(minutes=5)


def diary_change_begin(*, patient_id, batch_digest: str = "") -> int:
    """Lock the diary for this transaction and return the version it writes.

    `batch_digest`: the sync batch this change applies, remembered until the
    next change (see diary.services.sync.sync_is_exact_replay).
    """
    now = timezone.now()
    connection = connections[router.db_for_write(Patient)]
    adapt = connection.ops.adapt_datetimefield_value
    pk = Patient._meta.pk.get_db_prep_value(patient_id, connection)
    lock, bump = _statements(connection)
    # Plain SQL: every diary write runs these two, and building them through
    # the ORM cost twice what the database spends on them.
    with connection.cursor() as cursor:
        cursor.execute(lock, [adapt(now - PENDING_TTL), pk])
        row = cursor.fetchone()
        if row is None:
            raise Patient.DoesNotExist(f"No patient {patient_id}")
        version, ask = row[0] + 1, bool(row[1])
        # The mark is set only when asking (NULL keeps the one pending); safe
        # without a compare: we hold the row lock.
        cursor.execute(bump, [version, batch_digest, adapt(now) if ask else None, pk])
    if ask:
        transaction.on_commit(partial(_enqueue_evaluation, str(patient_id)))
    return version


def _statements(connection) -> tuple[str, str]:
    """Lock (version, whether a judgement must be asked for); bump (and mark)."""
    quote = connection.ops.quote_name
    table = quote(Patient._meta.db_table)
    version, requested, digest, pk = (
        quote(Patient._meta.get_field(name).column)
        for name in ("diary_version", "evaluation_requested_at", "last_batch_digest", "id")
    )
    for_update = " FOR UPDATE" if connection.features.has_select_for_update else ""
    # Only names from the model's meta go into the text.
    lock = (
        f"SELECT {version}, {requested} IS NULL OR {requested} < %s "  # noqa: S608
        f"FROM {table} WHERE {pk} = %s{for_update}"
    )
    bump = (
        f"UPDATE {table} SET {version} = %s, {digest} = %s, "  # noqa: S608
        f"{requested} = COALESCE(%s, {requested}) WHERE {pk} = %s"
    )
    return lock, bump


def _enqueue_evaluation(patient_id: str) -> None:
    from diary.tasks import evaluate_pending  # tasks import services, not the reverse

    # The write has committed with its request: if the broker is away, the
    # re-dispatch hands it out later. Never an error for the phone.
    enqueue(evaluate_pending, patient_id)
