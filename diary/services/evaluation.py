"""Judge a patient's treatments against their diary and keep the flags in step.

Loading and saving live here; the judgement itself is the pure
`diary.analysis.assess_treatments` (the judgements, and each treatment's
course, stored as its follow-up row). Safe to run any number of times, at once
or after a crash: one flag per (treatment, kind), enforced by the database.

A judgement covers every treatment (the sweep, `detect_relapses`) or only those
a change can alter (`diary.analysis.reach`): the outbox's job, from the moments
written since the last one, and `treatments_evaluate`. Either way, what it
writes for those treatments is what judging every treatment writes.
"""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Func, JSONField, Max, OuterRef, Q, Subquery
from django.utils import timezone

from diary.analysis import (
    Rating,
    Thresholds,
    TreatmentCourse,
    TreatmentEvent,
    assess_treatments,
    local_day,
)
from diary.analysis.context import WINDOW_DAYS, Answer, flag_context
from diary.analysis.judge import followed_until
from diary.analysis.reach import Scope, follow_up_ends, judged_span, judgement_scope
from diary.analysis.records import UPRIGHT_POSTURES
from diary.models import (
    ClinicThresholds,
    DayLog,
    Flag,
    Impression,
    Patient,
    SymptomEntry,
    Treatment,
    TreatmentFollowUp,
)
from diary.services.changes import NOTHING_JUDGED
from diary.signals import flag_raised

# Patients the periodic sweep judges: a treatment in the last 90 days (DOMAIN.md).
SWEEP_LOOKBACK = dt.timedelta(days=90)
# Patients the sweep judges in one transaction: enough to share each query's cost
# (most of an evaluation's, one by one), few enough that a diary write waits on
# their locks for at most ~0.2-0.3 s (bench/sweep.py).
SWEEP_BATCH = 50


@dataclass
class EvaluationResult:
    patient_id: str
    raised: list[Flag] = field(default_factory=list)
    no_longer_supported: int = 0


# A patient's clinic's threshold overrides (None: the defaults), as a subquery.
_CLINIC_OVERRIDES = Subquery(
    ClinicThresholds.objects.filter(clinic_id=OuterRef("clinic_id")).values("overrides")[:1],
    output_field=JSONField(),
)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class _EpochMicroseconds(Func):
    """A stored UTC timestamp as whole microseconds since 1970: exact, and an integer
    decodes in C, where Django's time-zone-aware datetime loader (pure Python) was
    the largest single cost of loading a diary."""

    output_field = BigIntegerField()
    template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite stores 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC: whole seconds from the
        # first 19 characters, microseconds from the rest ('' casts to 0).
        template = (
            "(CAST(round((julianday(substr(%(expressions)s, 1, 19)) - 2440587.5) * 86400)"
            " AS INTEGER) * 1000000 + CAST(substr(%(expressions)s, 21, 6) AS INTEGER))"
        )
        return self.as_sql(compiler, connection, template=template, **extra_context)


@dataclass(frozen=True)
class Ask:
    """What to judge again of one patient (None in its place: every treatment).

    `moments`: ratings or treatments written in [from, until] (the outbox's
    range); `treatments`: these treatments' pks (e.g. a checkpoint due)."""

    moments: tuple[dt.datetime, dt.datetime] | None = None
    treatments: frozenset[int] = frozenset()


@dataclass
class _Diary:
    treatments: list[TreatmentEvent]
    treatment_pks: dict[uuid.UUID, int]
    scope: Scope
    ratings: list[Rating] = field(default_factory=list)
    # Only when judging part of the treatments: the patient's last upright rating
    # the full judgement reads, where follow-ups are censored.
    last_upright: dt.datetime | None = None


def _load_treatments(patients: list[Patient]) -> dict[uuid.UUID, list[tuple[int, TreatmentEvent]]]:
    """Per patient: every live treatment (pk, event): one query."""
    treatments: dict[uuid.UUID, list[tuple[int, TreatmentEvent]]] = defaultdict(list)
    for pk, patient_id, record_id, performed_at, kind in (
        Treatment.objects.live()
        .filter(patient__in=[p.pk for p in patients])
        .order_by()
        .values_list("pk", "patient_id", "uuid", "performed_at", "kind")
    ):
        treatments[patient_id].append(
            (pk, TreatmentEvent(id=str(record_id), performed_at=performed_at, kind=kind))
        )
    return treatments


def _scope(
    events: list[TreatmentEvent],
    pks: dict[uuid.UUID, int],
    th: Thresholds,
    ask: Ask | None,
    stored: dict[int, list],
) -> Scope:
    """What one patient's judgement covers: every treatment, or what `ask` can change
    (and any treatment never judged, whose follow-up row is missing)."""
    if ask is None:
        span = judged_span(events, th)
        ids = frozenset(t.id for t in events)
        return Scope(ids, ids, *(span or (None, None)))
    wanted = {t.id for t in events if pks[uuid.UUID(t.id)] in ask.treatments}
    wanted |= {t.id for t in events if pks[uuid.UUID(t.id)] not in stored}
    return judgement_scope(events, th, moments=ask.moments, treatment_ids=wanted)


def _load_ratings(diaries: dict[uuid.UUID, _Diary], partial: set[uuid.UUID], thresholds) -> None:
    """The ratings each scope reads (one query), and for a partial judgement the
    last upright rating the full one would read (one more)."""
    windows = Q()
    for patient_id, diary in diaries.items():
        if diary.scope.since is not None:
            windows |= Q(
                patient_id=patient_id,
                recorded_at__gte=diary.scope.since,
                recorded_at__lt=diary.scope.until,
            )
    if windows:  # nothing in scope, nothing to read
        for patient_id, record_id, at, posture, headache in (
            SymptomEntry.objects.live()
            .filter(windows)
            .order_by()  # the judgement sorts; no need to sort twice
            .values_list(
                "patient_id", "uuid", _EpochMicroseconds("recorded_at"), "posture", "headache"
            )
        ):
            diaries[patient_id].ratings.append(
                Rating(
                    id=str(record_id),
                    recorded_at=_EPOCH + dt.timedelta(microseconds=at),
                    posture=posture,
                    headache=headache,
                )
            )
    lasts = Q()
    for patient_id in partial:
        span = judged_span(diaries[patient_id].treatments, thresholds[patient_id])
        if span is not None:
            # An upright rating before the span is before every treatment: where it
            # censors a follow-up (judge.followed_until) is the treatment's start,
            # as with none, so the full judgement's reading of the span is enough.
            lasts |= Q(patient_id=patient_id, recorded_at__gte=span[0], recorded_at__lt=span[1])
    if lasts:
        for patient_id, last in (
            SymptomEntry.objects.live()
            .filter(lasts, posture__in=UPRIGHT_POSTURES)
            .order_by()
            .values("patient_id")
            .annotate(last=Max("recorded_at"))
            .values_list("patient_id", "last")
        ):
            diaries[patient_id].last_upright = last


def patient_evaluate(
    *, patient_id, now: dt.datetime | None = None, only_pending: bool = False
) -> EvaluationResult:
    """Judge every treatment of one patient; raise new flags, recheck old ones.

    `only_pending`: only if a judgement is asked for (the outbox's jobs: a
    message handed out twice, or after the judgement ran, costs one lookup),
    and only the treatments the moments written since can change.
    """
    [result] = _evaluate_batch([patient_id], now or timezone.now(), only_pending=only_pending)
    return result


def patients_evaluate(
    *, patient_ids: list, now: dt.datetime | None = None, only_pending: bool = False
) -> list[EvaluationResult]:
    """Judge many patients (the sweep), SWEEP_BATCH to a transaction."""
    now = now or timezone.now()
    results: list[EvaluationResult] = []
    for start in range(0, len(patient_ids), SWEEP_BATCH):
        chunk = patient_ids[start : start + SWEEP_BATCH]
        results += _evaluate_batch(chunk, now, only_pending=only_pending)
    return results


def treatments_evaluate(
    *, treatments: Mapping[object, Collection[int]], now: dt.datetime | None = None
) -> list[EvaluationResult]:
    """Judge again these treatments (pks, per patient id), and what their judgement
    can change: the later treatments whose baseline their holding days reach.

    The result is what judging every treatment gives, for these; the others are
    left as stored. Leaves a pending judgement of the patient (the outbox) in place.
    """
    now = now or timezone.now()
    ids = list(treatments)
    results: list[EvaluationResult] = []
    for start in range(0, len(ids), SWEEP_BATCH):
        chunk = ids[start : start + SWEEP_BATCH]
        asks = {uuid.UUID(str(pid)): Ask(treatments=frozenset(treatments[pid])) for pid in chunk}
        results += _evaluate_batch(chunk, now, asks=asks)
    return results


def evaluations_redispatch(*, now: dt.datetime | None = None, limit: int = 5000) -> list[str]:
    """Patients whose judgement was asked for OUTBOX_REDISPATCH_AFTER ago or more
    and has not started: their message was lost, killed with its worker, or is
    still queued. Returned to be handed out again, their mark moved to `now` so
    each is handed out at most once per interval.

    Patients being judged right now are skipped (their rows are locked): the
    judgement clears their mark, or, killed, leaves it for the next run.
    """
    now = now or timezone.now()
    cutoff = now - settings.OUTBOX_REDISPATCH_AFTER
    with transaction.atomic():
        ids = list(
            Patient.objects.select_for_update(skip_locked=True)
            .filter(evaluation_requested_at__lte=cutoff)
            .order_by("evaluation_requested_at")
            .values_list("pk", flat=True)[:limit]
        )
        Patient.objects.filter(pk__in=ids).update(evaluation_requested_at=now)
    return [str(pk) for pk in ids]


@transaction.atomic
def _evaluate_batch(
    patient_ids: list,
    now: dt.datetime,
    *,
    only_pending: bool = False,
    asks: dict[uuid.UUID, Ask | None] | None = None,
) -> list[EvaluationResult]:
    """`asks`: what to judge of each patient (None: every treatment, and the pending
    request is cleared; `only_pending`: what the request asks)."""
    results = {uuid.UUID(str(pid)): EvaluationResult(patient_id=str(pid)) for pid in patient_ids}
    # One evaluation per patient at a time: concurrent runs queue here, so the
    # second sees the first's flags instead of racing it. Locked in pk order, so
    # two batches never wait on each other crosswise. A patient deleted since the
    # job was queued is simply not found: nothing to judge.
    patients = list(
        Patient.objects.select_for_update()
        .annotate(threshold_overrides=_CLINIC_OVERRIDES)
        .filter(pk__in=results)
        .order_by("pk")
    )
    if only_pending:
        patients = [p for p in patients if p.evaluation_requested_at is not None]
    if asks is None:
        asks = {p.pk: _pending(p) if only_pending else None for p in patients}
        requested = [p.pk for p in patients if p.evaluation_requested_at is not None]
        if requested:  # read under the lock: current
            # From here on a new diary write asks for another judgement (see changes.py).
            Patient.objects.filter(pk__in=requested).update(
                evaluation_requested_at=None,
                evaluation_moments_from=None,
                evaluation_moments_until=None,
            )
    thresholds = {p.pk: Thresholds.from_overrides(p.threshold_overrides or {}) for p in patients}
    follow_ups = {
        pk: values
        for pk, *values in TreatmentFollowUp.objects.filter(patient__in=patients).values_list(
            "treatment_id", *TreatmentFollowUp.JUDGED_FIELDS
        )
    }
    loaded = _load_treatments(patients)
    diaries: dict[uuid.UUID, _Diary] = {}
    for patient in patients:
        events = [t for _, t in loaded[patient.pk]]
        pks = {uuid.UUID(t.id): pk for pk, t in loaded[patient.pk]}
        scope = _scope(events, pks, thresholds[patient.pk], asks.get(patient.pk), follow_ups)
        diaries[patient.pk] = _Diary(events, pks, scope)
    partial = {p.pk for p in patients if asks.get(p.pk) is not None}
    _load_ratings(diaries, partial, thresholds)
    flags: dict[uuid.UUID, dict[tuple[str, str], Flag]] = defaultdict(dict)
    for flag in (
        Flag.objects.filter(patient__in=patients)
        .select_related("treatment")
        # Not the evidence: decoding it is most of this query's cost, and it never changes.
        .only("patient", "kind", "still_supported", "rechecked_at", "treatment__uuid")
    ):
        flags[flag.patient_id][(str(flag.treatment.uuid), flag.kind)] = flag
    changed_follow_ups: list[TreatmentFollowUp] = []
    censored: list[TreatmentFollowUp] = []
    new = []  # (patient, judgement) not flagged yet
    for patient in patients:
        result = results[patient.pk]
        diary = diaries[patient.pk]
        judged_ids = diary.scope.judged
        courses = [
            c
            for c in assess_treatments(
                ratings=diary.ratings,
                treatments=diary.treatments,
                tz=patient.timezone,
                as_of=now,
                thresholds=thresholds[patient.pk],
            )
            if c.treatment_id in judged_ids
        ]
        if patient.pk in partial:
            courses, moved = _censored(diary, thresholds[patient.pk], courses, follow_ups, now)
            censored += moved
        changed_follow_ups += _changed_follow_ups(
            patient, diary.treatment_pks, courses, follow_ups, now
        )
        judged = {(j.treatment_id, j.kind): j for c in courses for j in c.judgements}
        live = {t.id for t in diary.treatments}
        # The flags of the treatments judged, and of those deleted (never supported now).
        existing = {
            key: flag
            for key, flag in flags[patient.pk].items()
            if key[0] in judged_ids or key[0] not in live
        }
        new += [(patient, j) for key, j in judged.items() if key not in existing]
        result.no_longer_supported = _recheck(existing, judged, now)
    reported = _patient_reported(new, diaries)
    for patient, judgement in new:
        treatment_pks = diaries[patient.pk].treatment_pks
        context = reported.get((patient.pk, judgement.treatment_id, judgement.kind))
        flag = _raise(patient, treatment_pks, judgement, now, context)
        if flag is not None:
            results[patient.pk].raised.append(flag)
    _keep_judged_spans(patients, diaries, thresholds)
    if changed_follow_ups:
        TreatmentFollowUp.objects.bulk_create(
            changed_follow_ups,
            update_conflicts=True,
            unique_fields=["treatment"],
            update_fields=["updated_at", *TreatmentFollowUp.JUDGED_FIELDS],
        )
    TreatmentFollowUp.objects.bulk_update(censored, ["followed_until", "updated_at"])
    return list(results.values())


def _pending(patient: Patient) -> Ask | None:
    """What the outbox asks of this patient: the moments written since the last
    judgement; every treatment if a request carries none (asked before they were kept)."""
    since, until = patient.evaluation_moments_from, patient.evaluation_moments_until
    if patient.evaluation_requested_at is None or since is None or until is None:
        return None
    return Ask(moments=(since, until))


def _censored(
    diary: _Diary,
    th: Thresholds,
    courses: list[TreatmentCourse],
    stored: dict[int, list],
    now: dt.datetime,
) -> tuple[list[TreatmentCourse], list[TreatmentFollowUp]]:
    """A partial judgement's `followed_until`, as the full one has it: censored at the
    patient's last upright rating, which may lie outside every window judged. For
    the treatments not judged, the stored rows whose censoring moved."""
    ends = follow_up_ends(diary.treatments, th)
    starts = {t.id: t.performed_at for t in diary.treatments}

    def censored_at(treatment_id: str) -> dt.datetime:
        return followed_until(starts[treatment_id], ends[treatment_id], diary.last_upright)

    courses = [replace(c, followed_until=censored_at(c.treatment_id)) for c in courses]
    at = TreatmentFollowUp.JUDGED_FIELDS.index("followed_until")
    moved = []
    for t in diary.treatments:
        pk = diary.treatment_pks[uuid.UUID(t.id)]
        if t.id in diary.scope.judged or pk not in stored:
            continue
        if stored[pk][at] != censored_at(t.id):
            moved.append(
                TreatmentFollowUp(treatment_id=pk, followed_until=censored_at(t.id), updated_at=now)
            )
    return courses, moved


def _keep_judged_spans(patients: list[Patient], diaries: dict, thresholds: dict) -> None:
    """Store what each judgement reads, where it moved: a diary write outside it
    asks for no judgement (diary.services.changes)."""
    moved = []
    for patient in patients:
        span = judged_span(diaries[patient.pk].treatments, thresholds[patient.pk]) or NOTHING_JUDGED
        if (patient.judged_from, patient.judged_until) != span:
            patient.judged_from, patient.judged_until = span
            moved.append(patient)
    Patient.objects.bulk_update(moved, ["judged_from", "judged_until"])


def _changed_follow_ups(
    patient: Patient,
    treatment_pks: dict[uuid.UUID, int],
    courses: list[TreatmentCourse],
    stored: dict[int, list],
    now: dt.datetime,
) -> list[TreatmentFollowUp]:
    """Each treatment's follow-up row, where it differs from the stored one (or is new):
    the daily sweep rewrites nothing that did not change."""
    rows = []
    for course in courses:
        pk = treatment_pks[uuid.UUID(course.treatment_id)]
        values = [getattr(course, name) for name in TreatmentFollowUp.JUDGED_FIELDS]
        if stored.get(pk) != values:
            fields = dict(zip(TreatmentFollowUp.JUDGED_FIELDS, values, strict=True))
            rows.append(
                TreatmentFollowUp(treatment_id=pk, patient=patient, updated_at=now, **fields)
            )
    return rows


def _patient_reported(new: list, diaries: dict) -> dict[tuple, dict]:
    """Upright hours and PGIC answers around each new flag, quoted in its
    evidence (never judged on). Two queries for the whole batch, none when
    nothing is raised."""
    if not new:
        return {}
    performed: dict[str, dt.datetime] = {}
    windows, wanted_pks = Q(), []
    for patient, judgement in new:
        events = {t.id: t for t in diaries[patient.pk].treatments}
        at = performed[judgement.treatment_id] = events[judgement.treatment_id].performed_at
        treatment_day = local_day(at, patient.timezone)
        first = treatment_day - dt.timedelta(days=WINDOW_DAYS)
        last = max(
            local_day(judgement.proven_at, patient.timezone),
            treatment_day + dt.timedelta(days=WINDOW_DAYS),
        )
        windows |= Q(patient_id=patient.pk, date__gte=first, date__lte=last)
        wanted_pks.append(diaries[patient.pk].treatment_pks[uuid.UUID(judgement.treatment_id)])
    hours: dict[uuid.UUID, dict[dt.date, float]] = defaultdict(dict)
    for patient_id, day, upright in (
        DayLog.objects.live()
        .filter(windows, upright_hours__isnull=False)
        .values_list("patient_id", "date", "upright_hours")
    ):
        hours[patient_id][day] = float(upright)
    answers: dict[int, list[Answer]] = defaultdict(list)
    for treatment_pk, checkpoint, score in (
        Impression.objects.live()
        .filter(treatment_id__in=wanted_pks)
        .order_by("answered_at", "pk")
        .values_list("treatment_id", "checkpoint", "score")
    ):
        answers[treatment_pk].append(Answer(checkpoint, score))
    reported = {}
    for patient, judgement in new:
        treatment_pk = diaries[patient.pk].treatment_pks[uuid.UUID(judgement.treatment_id)]
        context = flag_context(
            upright_hours=hours[patient.pk],
            treatment_day=local_day(performed[judgement.treatment_id], patient.timezone),
            proven_day=local_day(judgement.proven_at, patient.timezone),
            answers=answers[treatment_pk],
        )
        if context:
            reported[(patient.pk, judgement.treatment_id, judgement.kind)] = context
    return reported


def _raise(patient, treatment_pks, judgement, now, context: dict | None = None) -> Flag | None:
    evidence = judgement.evidence
    if context:
        evidence = {**evidence, "patient_reported": context}
    try:
        with transaction.atomic():
            flag = Flag.objects.create(
                patient=patient,
                treatment_id=treatment_pks[uuid.UUID(judgement.treatment_id)],
                kind=judgement.kind,
                detected_at=now,
                proven_at=judgement.proven_at,
                evidence=evidence,
            )
            # The care team is told once it commits (notifications listens); were
            # that lost, the flag without its fan-out is found by their sweep.
            transaction.on_commit(partial(flag_raised.send_robust, sender=Flag, flag_id=flag.pk))
            return flag
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


def patients_due_for_sweep(
    *, now: dt.datetime, chunk_size: int = 500, every_treated: bool = False
) -> Iterator[list[str]]:
    """Ids of every patient with a treatment in the last 90 days (or ever, with
    `every_treated`: to fill every treatment's follow-up after a change of rules), in chunks."""
    treatments = Treatment.objects.live()
    if not every_treated:
        treatments = treatments.filter(performed_at__gte=now - SWEEP_LOOKBACK)
    ids = treatments.order_by("patient_id").values_list("patient_id", flat=True).distinct()
    chunk: list[str] = []
    for patient_id in ids.iterator(chunk_size=chunk_size):
        chunk.append(str(patient_id))
        if len(chunk) == chunk_size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
