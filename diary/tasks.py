"""Celery tasks: thin, idempotent interfaces to the evaluation services.

acks_late + reject_on_worker_lost: a worker killed mid-evaluation leaves the
message to be delivered again. That is safe only because evaluation is
idempotent (one flag per treatment and kind, enforced by the database).
"""

from celery import shared_task
from django.utils import timezone

from config.celery import IDEMPOTENT_DB_TASK
from diary.services.checkpoints import checkpoints_claim, checkpoints_judge
from diary.services.evaluation import (
    SWEEP_BATCH,
    evaluations_redispatch,
    patient_evaluate,
    patients_due_for_sweep,
    patients_evaluate,
)
from diary.services.retention import closed_diaries_purge


@shared_task(**IDEMPOTENT_DB_TASK)
def evaluate_patient(patient_id: str) -> int:
    """Judge one patient's treatments now (queued after a diary write)."""
    return len(patient_evaluate(patient_id=patient_id).raised)


@shared_task(**IDEMPOTENT_DB_TASK)
def evaluate_pending(patient_id: str) -> int:
    """Judge one patient if a judgement is still asked for (the outbox's job:
    queued after a diary write, or handed out again by `redispatch_evaluations`)."""
    return len(patient_evaluate(patient_id=patient_id, only_pending=True).raised)


@shared_task(**IDEMPOTENT_DB_TASK)
def evaluate_pending_patients(patient_ids: list[str]) -> int:
    """Many patients' pending judgements (a chunk of the re-dispatch)."""
    results = patients_evaluate(patient_ids=patient_ids, only_pending=True)
    return sum(len(result.raised) for result in results)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def redispatch_evaluations() -> int:
    """Every minute, and when beat starts: hand out again the judgements that
    have waited too long, SWEEP_BATCH patients to a job."""
    ids = evaluations_redispatch()
    for start in range(0, len(ids), SWEEP_BATCH):
        evaluate_pending_patients.delay(ids[start : start + SWEEP_BATCH])
    return len(ids)


@shared_task(**IDEMPOTENT_DB_TASK)
def evaluate_patients(patient_ids: list[str]) -> int:
    """One chunk of the sweep."""
    return sum(len(result.raised) for result in patients_evaluate(patient_ids=patient_ids))


@shared_task(acks_late=True, reject_on_worker_lost=True)
def judge_due_checkpoints() -> int:
    """Every minute, and when beat starts: claim the no-response checkpoints that are
    due and hand their treatments out, SWEEP_BATCH patients to a job. A job lost on
    the way is claimed again when its lease runs out."""
    due = [[patient_id, pks] for patient_id, pks in checkpoints_claim(now=timezone.now()).items()]
    for start in range(0, len(due), SWEEP_BATCH):
        evaluate_checkpoints.delay(due[start : start + SWEEP_BATCH])
    return len(due)


@shared_task(**IDEMPOTENT_DB_TASK)
def evaluate_checkpoints(due: list[list]) -> int:
    """Judge claimed treatments (a chunk of the above: [patient id, [treatment pks]])."""
    results = checkpoints_judge(treatments=dict(due))
    return sum(len(result.raised) for result in results)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sweep_relapses() -> int:
    """The daily safety net: fan out chunks of patients with a recent treatment."""
    chunks = 0
    for chunk in patients_due_for_sweep(now=timezone.now()):
        evaluate_patients.delay(chunk)
        chunks += 1
    return chunks


# --- Patient rights (issue 7) ---
@shared_task(**IDEMPOTENT_DB_TASK)
def purge_closed_diaries() -> int:
    """Daily: remove diaries of accounts closed longer ago than their clinic keeps them."""
    return closed_diaries_purge(now=timezone.now())
