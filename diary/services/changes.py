"""Every change to a diary starts here: lock, version, and a judgement request.

`diary_change_begin` takes the patient's row lock for the rest of the
transaction and hands out the next diary version. Because the lock is held
until commit, versions become visible in order: a reader that has seen
version N never later finds an older change appearing (the trap of timestamp
cursors).

It also asks for the treatments to be judged, if the write can change a
judgement: the caller names the moments it wrote (a rating's `recorded_at`,
old and new; a treatment's `performed_at`, old and new). A rating asks only
if it falls in the span the judgement reads (`Patient.judged_from/until`: the
earliest baseline look-back to the end of the last follow-up window, kept by
every judgement; a patient never judged asks), read in the same statement as
the lock; a treatment always asks. Day logs and PGIC answers never do: they are quoted in a flag's
evidence when it is raised, never judged (diary.analysis.context).

The request is the outbox row: `evaluation_requested_at`, set in the same
transaction as the write, one per patient, so a burst of writes or a
500-entry batch is one pending judgement; beside it the range of moments
written since (`evaluation_moments_from/until`, widened under the lock), from
which the job finds the treatments to judge again. The judgement clears both
when it starts (in its own transaction: a judgement killed midway leaves them
set), so a write after that start asks again and nothing is missed. The
message queued after commit only makes it sooner: the minute-ly
`evaluations_redispatch` hands out again every request left waiting longer
than OUTBOX_REDISPATCH_AFTER, whatever happened to its message, and a write
after PENDING_TTL queues one again itself.
"""

import datetime as dt
from collections.abc import Iterable
from functools import partial

from django.db import connections, router, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from config.broker import enqueue
from diary.analysis.thresholds import MAX_WINDOW_DAYS
from diary.models import Patient, SymptomEntry, Treatment

PENDING_TTL = dt.timedelta(minutes=5)
# A treatment's write changes its own window, the one before it (cut short or
# extended) and the look-backs after it: the longest window a clinic may set.
TREATMENT_REACH = dt.timedelta(days=MAX_WINDOW_DAYS)
# Asks for every treatment to be judged (a change of the patient's time zone
# moves every local day).
EVERYTHING = (
    dt.datetime(1, 1, 2, tzinfo=dt.UTC),
    dt.datetime(9999, 12, 30, tzinfo=dt.UTC),
)
# The judged span of a patient with no live treatment: empty (from after until),
# and no moment, EVERYTHING's included, falls in it.
NOTHING_JUDGED = (
    dt.datetime(9999, 12, 31, tzinfo=dt.UTC),
    dt.datetime(1, 1, 1, tzinfo=dt.UTC),
)


def diary_change_begin(
    *,
    patient_id,
    moments: Iterable[dt.datetime] = (),
    treatments: Iterable[dt.datetime] = (),
    everything: bool = False,
    batch_digest: str = "",
) -> int:
    """Lock the diary for this transaction and return the version it writes.

    `moments`: when the ratings this change writes are (old and new moment of
    an edit, the moment of a delete); `treatments`: the same for treatments;
    `everything`: every treatment may judge differently. None of them: the
    change asks for no judgement (a note, a day log, a PGIC answer).
    `batch_digest`: the sync batch this change applies, remembered until the
    next change (see diary.services.sync.sync_is_exact_replay).
    """
    return _begin(patient_id, moments, treatments, everything, batch_digest=batch_digest)


# What the judgement reads of a record, by kind (moment first): a change to
# anything else (a note, a treatment's level, a day log, a PGIC answer) asks
# for no judgement. A treatment's kind is only quoted in evidence when raised.
JUDGED_FIELDS = {
    "entry": ("recorded_at", "posture", "headache"),
    "treatment": ("performed_at",),
}


def written(model, *, old=None, values=None) -> dict[str, list[dt.datetime]]:
    """`diary_change_begin`'s `moments` or `treatments` for one record of `model`:
    `old` the stored record (a change, a delete), `values` the model field values
    written (a create, a change)."""
    kind = {SymptomEntry: ("entry", "moments"), Treatment: ("treatment", "treatments")}.get(model)
    if kind is None:
        return {}
    fields, argument = JUDGED_FIELDS[kind[0]], kind[1]
    moment = fields[0]
    if old is None:
        return {argument: [values[moment]]}
    if values is None:
        return {argument: [getattr(old, moment)]}
    if not any(name in values and values[name] != getattr(old, name) for name in fields):
        return {}
    return {argument: [getattr(old, moment), values.get(moment, getattr(old, moment))]}


def judgement_ask(
    *,
    patient_id,
    moments: Iterable[dt.datetime] = (),
    treatments: Iterable[dt.datetime] = (),
) -> None:
    """Ask for a judgement of moments learned only under the lock `diary_change_begin`
    took (the stored moment of a record changed since the caller read it)."""
    _begin(patient_id, moments, treatments, False, batch_digest=None)


def judgements_ask_everything(patients: QuerySet[Patient]) -> int:
    """Ask for every treatment of these patients to be judged again, in one UPDATE:
    what the judgement reads changed for all of them (their clinic's thresholds,
    their clinic). Their judged span is cleared, so until the judgement stores
    the new one every rating written asks; the mark (an older one kept) is handed
    out by the outbox's re-dispatch within minutes. Returns how many were asked.

    Locks the rows in pk order first, as a batch judgement does, so the two never
    wait on each other crosswise. Call it inside the transaction of the change."""
    with transaction.atomic():
        list(patients.select_for_update().order_by("pk").values_list("pk", flat=True))
        return patients.order_by().update(
            judged_from=None,
            judged_until=None,
            evaluation_requested_at=Coalesce(F("evaluation_requested_at"), timezone.now()),
            evaluation_moments_from=EVERYTHING[0],
            evaluation_moments_until=EVERYTHING[1],
        )


def _range(moments, treatments, everything) -> tuple[dt.datetime, dt.datetime] | None:
    if everything:
        return EVERYTHING
    moments, treatments = list(moments), list(treatments)
    if treatments:
        return (
            min(moments + treatments),
            max(moments + [t + TREATMENT_REACH for t in treatments]),
        )
    if moments:
        return min(moments), max(moments)
    return None


def _begin(patient_id, moments, treatments, everything, *, batch_digest: str | None) -> int:
    treatments = list(treatments)
    written = _range(moments, treatments, everything)
    # EVERYTHING covers any judged span, so it asks exactly when there is one.
    always = bool(treatments)
    now = timezone.now()
    connection = connections[router.db_for_write(Patient)]
    adapt = connection.ops.adapt_datetimefield_value
    pk = Patient._meta.pk.get_db_prep_value(patient_id, connection)
    low, high = (adapt(m) for m in written) if written else (None, None)
    lock, bump, ask_only = _statements(connection)
    # Plain SQL: every diary write runs these two, and building them through
    # the ORM cost twice what the database spends on them.
    with connection.cursor() as cursor:
        cursor.execute(lock, [adapt(now - PENDING_TTL), high, low, pk])
        row = cursor.fetchone()
        if row is None:
            raise Patient.DoesNotExist(f"No patient {patient_id}")
        version = row[0] + 1
        asks = written is not None and (always or bool(row[2]))
        mark = asks and bool(row[1])
        pending = [low, low, high, high] if asks else [None] * 4
        # The mark is set only when asking (NULL keeps the one pending); safe
        # without a compare: we hold the row lock. The range only widens.
        if batch_digest is None:
            if asks:
                cursor.execute(ask_only, [adapt(now) if mark else None, *pending, pk])
        else:
            cursor.execute(
                bump, [version, batch_digest, adapt(now) if mark else None, *pending, pk]
            )
    if mark:
        transaction.on_commit(partial(_enqueue_evaluation, str(patient_id)))
    return version


def _statements(connection) -> tuple[str, str, str]:
    """Lock (version, whether a new mark is due, whether the moments are judged);
    bump (and mark, and widen the pending moments); the same without the bump."""
    quote = connection.ops.quote_name
    table = quote(Patient._meta.db_table)
    version, requested, digest, pk, pending_from, pending_until, judged_from, judged_until = (
        quote(Patient._meta.get_field(name).column)
        for name in (
            "diary_version",
            "evaluation_requested_at",
            "last_batch_digest",
            "id",
            "evaluation_moments_from",
            "evaluation_moments_until",
            "judged_from",
            "judged_until",
        )
    )
    for_update = " FOR UPDATE" if connection.features.has_select_for_update else ""
    # SQLite's many-argument MIN/MAX are PostgreSQL's LEAST/GREATEST (but return
    # NULL for a NULL argument, hence the COALESCE: NULL is "nothing pending").
    least, greatest = ("MIN", "MAX") if connection.vendor == "sqlite" else ("LEAST", "GREATEST")
    # Only names from the model's meta go into the text.
    lock = (
        f"SELECT {version}, {requested} IS NULL OR {requested} < %s, "  # noqa: S608
        f"{judged_from} IS NULL OR ({judged_from} <= %s AND {judged_until} > %s) "
        f"FROM {table} WHERE {pk} = %s{for_update}"
    )
    # A mark without moments is a request of the previous release ("judge every
    # treatment", see evaluation): a write of this one keeps it so rather than
    # narrowing it to its own moments (old web workers still write during a deploy).
    older = f"{requested} IS NOT NULL AND {pending_from} IS NULL"
    ask = (
        f"{requested} = COALESCE(%s, {requested}), "
        f"{pending_from} = CASE WHEN {older} THEN NULL "
        f"ELSE COALESCE({least}({pending_from}, %s), %s, {pending_from}) END, "
        f"{pending_until} = CASE WHEN {older} THEN NULL "
        f"ELSE COALESCE({greatest}({pending_until}, %s), %s, {pending_until}) END "
        f"WHERE {pk} = %s"
    )
    bump = f"UPDATE {table} SET {version} = %s, {digest} = %s, {ask}"  # noqa: S608
    ask_only = f"UPDATE {table} SET {ask}"  # noqa: S608
    return lock, bump, ask_only


def _enqueue_evaluation(patient_id: str) -> None:
    from diary.tasks import evaluate_pending  # tasks import services, not the reverse

    # The write has committed with its request: if the broker is away, the
    # re-dispatch hands it out later. Never an error for the phone.
    enqueue(evaluate_pending, patient_id)
