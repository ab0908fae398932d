"""Judge the no-response checkpoints when they are due, not by sweeping everyone.

The only verdicts that change with time alone are the no-response checkpoints
(72 h and 7 days, DOMAIN.md). Every evaluation stores each treatment's next one
on its follow-up row (`TreatmentFollowUp.next_checkpoint_at`, computed by the
pure judgement); a job beat runs every minute claims the due rows and judges
exactly those treatments (`treatments_evaluate`), like reminders are claimed.

Claiming moves the due time forward by a lease (CHECKPOINT_LEASE) in the same
statement that selects it, skipping rows another claimer holds: two beat
processes never claim one checkpoint twice. The judgement then writes the next
checkpoint (or none) over the lease. A job that never finishes (message lost,
worker killed) leaves the lease, and the row is due again when it runs out:
PostgreSQL, not the broker, remembers what is still to judge.
"""

import datetime as dt
from collections.abc import Collection, Mapping

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from diary.models import TreatmentFollowUp
from diary.services.evaluation import EvaluationResult, treatments_evaluate

# Checkpoints claimed by one run of the minute-ly job: far more than fall due in a
# minute (1,000 a minute would be 1.4 million a day); the rest wait a minute.
CLAIM_LIMIT = 5000


def checkpoints_claim(*, now: dt.datetime, limit: int = CLAIM_LIMIT) -> dict[str, list[int]]:
    """The treatments (pks, per patient id) with a checkpoint due by `now`, each row
    leased to this caller.

    Earliest first. A row locked by another claimer (or an evaluation writing it)
    is skipped: it is either claimed already or due again in a minute.
    """
    # A treatment deleted since it was judged has nothing left to wait for.
    TreatmentFollowUp.objects.filter(
        next_checkpoint_at__lte=now, treatment__deleted_at__isnull=False
    ).update(next_checkpoint_at=None)
    with transaction.atomic():
        due = list(
            TreatmentFollowUp.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(next_checkpoint_at__lte=now, treatment__deleted_at__isnull=True)
            .order_by("next_checkpoint_at")
            .values_list("pk", "patient_id", "treatment_id")[:limit]
        )
        TreatmentFollowUp.objects.filter(pk__in=[pk for pk, _, _ in due]).update(
            next_checkpoint_at=now + settings.CHECKPOINT_LEASE
        )
    claimed: dict[str, list[int]] = {}
    for _, patient_id, treatment_pk in due:
        claimed.setdefault(str(patient_id), []).append(treatment_pk)
    return claimed


def checkpoints_judge(
    *, treatments: Mapping[str, Collection[int]], now: dt.datetime | None = None
) -> list[EvaluationResult]:
    """Judge the claimed treatments (pks, per patient id), and what their judgement can
    change; each one's follow-up row takes its next checkpoint over the lease. Safe
    to run twice (evaluation is idempotent)."""
    return treatments_evaluate(treatments=treatments, now=now or timezone.now())
