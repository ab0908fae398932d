"""Every change to a diary starts here: lock, version, and a judgement request.

`diary_change_begin` takes the patient's row lock for the rest of the
transaction and hands out the next diary version. Because the lock is held
until commit, versions become visible in the order they were handed out: a
reader that has seen version N never later finds an older change appearing
(the trap of timestamp cursors).

It also asks, after commit, for the patient's treatments to be judged. A
burst of writes asks once: `evaluation_requested_at` marks a judgement as
pending, and the judgement clears it when it starts, so a write after that
start asks again and nothing is missed. A request older than
`PENDING_TTL` is assumed lost and asked again; the periodic sweep is the
backstop.
"""

import datetime as dt
import logging
from functools import partial

from django.db import connections, router, transaction
from django.utils import timezone

from diary.models import Patient

PENDING_TTL = dt.timedelta(minutes=10)

logger = logging.getLogger(__name__)


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
    from diary.tasks import evaluate_patient  # tasks import services, not the reverse

    try:
        evaluate_patient.delay(patient_id)
    except Exception:
        # The write has committed: never turn it into an error for the phone.
        # Clear the mark so the next write asks again; the sweep is the backstop.
        logger.exception("Could not queue the evaluation of patient %s", patient_id)
        Patient.objects.filter(pk=patient_id).update(evaluation_requested_at=None)
