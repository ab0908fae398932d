"""Judge a patient's treatments against their diary and keep the flags in step.

Loading and saving live here; the judgement itself is the pure
`diary.analysis.judge_treatments`. Safe to run any number of times, at once
or after a crash: one flag per (treatment, kind), enforced by the database.
"""

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from diary.analysis import Rating, Thresholds, TreatmentEvent, judge_treatments
from diary.models import ClinicThresholds, Flag, Patient, SymptomEntry, Treatment

# Patients the periodic sweep judges: a treatment in the last 90 days (DOMAIN.md).
SWEEP_LOOKBACK = dt.timedelta(days=90)


@dataclass
class EvaluationResult:
    patient_id: str
    raised: list[Flag] = field(default_factory=list)
    no_longer_supported: int = 0


def thresholds_for(clinic_id: int) -> Thresholds:
    overrides = (
        ClinicThresholds.objects.filter(clinic_id=clinic_id)
        .values_list("overrides", flat=True)
        .first()
    )
    return Thresholds.from_overrides(overrides or {})


def _load(patient: Patient, thresholds: Thresholds) -> tuple[list[Rating], list[TreatmentEvent]]:
    treatments = [
        TreatmentEvent(id=str(record_id), performed_at=performed_at, kind=kind)
        for record_id, performed_at, kind in Treatment.objects.live()
        .filter(patient=patient)
        .values_list("uuid", "performed_at", "kind")
    ]
    if not treatments:
        return [], []
    # Nothing older than the earliest baseline can change a judgement.
    baseline_reach = dt.timedelta(days=thresholds.baseline_fallback_days)
    since = min(t.performed_at for t in treatments) - baseline_reach
    ratings = [
        Rating(id=str(record_id), recorded_at=at, posture=posture, headache=headache)
        for record_id, at, posture, headache in SymptomEntry.objects.live()
        .filter(patient=patient, recorded_at__gte=since)
        .values_list("uuid", "recorded_at", "posture", "headache")
    ]
    return ratings, treatments


@transaction.atomic
def patient_evaluate(*, patient_id, now: dt.datetime | None = None) -> EvaluationResult:
    """Judge every treatment of one patient; raise new flags, recheck old ones."""
    now = now or timezone.now()
    result = EvaluationResult(patient_id=str(patient_id))
    # One evaluation per patient at a time: concurrent runs queue here, so
    # the second sees the first's flags instead of racing it.
    patient = Patient.objects.select_for_update().filter(pk=patient_id).first()
    if patient is None:
        return result  # deleted since the job was queued: nothing to judge
    # From here on a new diary write asks for another judgement (see changes.py).
    Patient.objects.filter(pk=patient_id).update(evaluation_requested_at=None)
    thresholds = thresholds_for(patient.clinic_id)
    ratings, treatments = _load(patient, thresholds)
    judgements = judge_treatments(
        ratings=ratings,
        treatments=treatments,
        tz=patient.timezone,
        as_of=now,
        thresholds=thresholds,
    )
    judged = {(j.treatment_id, j.kind): j for j in judgements}
    existing = {
        (str(flag.treatment.uuid), flag.kind): flag
        for flag in Flag.objects.filter(patient=patient).select_related("treatment")
    }
    treatment_pks = dict(
        Treatment.objects.filter(patient=patient, uuid__in={t for t, _ in judged}).values_list(
            "uuid", "pk"
        )
    )
    for key, judgement in judged.items():
        if key in existing:
            continue
        flag = _raise(patient, treatment_pks, judgement, now)
        if flag is not None:
            result.raised.append(flag)
    result.no_longer_supported = _recheck(existing, judged, now)
    return result


def _raise(patient, treatment_pks, judgement, now) -> Flag | None:
    try:
        with transaction.atomic():
            return Flag.objects.create(
                patient=patient,
                treatment_id=treatment_pks[uuid.UUID(judgement.treatment_id)],
                kind=judgement.kind,
                detected_at=now,
                proven_at=judgement.proven_at,
                evidence=judgement.evidence,
            )
    except IntegrityError:
        return None  # raised meanwhile by another run: the constraint keeps it single


def _recheck(existing: dict, judged: dict, now) -> int:
    """Flags whose proof disappeared (entries edited or deleted) are marked, never deleted."""
    changed = []
    for key, flag in existing.items():
        supported = key in judged
        if flag.still_supported != supported:
            flag.still_supported, flag.rechecked_at = supported, now
            changed.append(flag)
    Flag.objects.bulk_update(changed, ["still_supported", "rechecked_at"])
    return sum(1 for flag in changed if not flag.still_supported)


def patients_due_for_sweep(*, now: dt.datetime, chunk_size: int = 500) -> Iterator[list[str]]:
    """Ids of every patient with a treatment in the last 90 days, in chunks."""
    ids = (
        Treatment.objects.live()
        .filter(performed_at__gte=now - SWEEP_LOOKBACK)
        .order_by("patient_id")
        .values_list("patient_id", flat=True)
        .distinct()
    )
    chunk: list[str] = []
    for patient_id in ids.iterator(chunk_size=chunk_size):
        chunk.append(str(patient_id))
        if len(chunk) == chunk_size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
