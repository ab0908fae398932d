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

from django.db import transaction
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
    version, requested_at = (
        Patient.objects.select_for_update()
        .values_list("diary_version", "evaluation_requested_at")
        .get(pk=patient_id)
    )
    ask = requested_at is None or requested_at < now - PENDING_TTL
    Patient.objects.filter(pk=patient_id).update(
        diary_version=version + 1,  # safe: we hold the row lock
        evaluation_requested_at=now if ask else requested_at,
        last_batch_digest=batch_digest,
    )
    if ask:
        transaction.on_commit(partial(_enqueue_evaluation, str(patient_id)))
    return version + 1


def _enqueue_evaluation(patient_id: str) -> None:
    from diary.tasks import evaluate_patient  # tasks import services, not the reverse

    try:
        evaluate_patient.delay(patient_id)
    except Exception:
        # The write has committed: never turn it into an error for the phone.
        # Clear the mark so the next write asks again; the sweep is the backstop.
        logger.exception("Could not queue the evaluation of patient %s", patient_id)
        Patient.objects.filter(pk=patient_id).update(evaluation_requested_at=None)
