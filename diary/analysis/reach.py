"""Which treatments a change of the diary can affect, and what judging them reads.

Pure (no ORM, no clock). The rules are `judge.assess_treatments`'s; this module
only says which of its results can differ after some moments of the diary were
written, so a job can judge those treatments alone and get what a judgement of
every treatment gives (tests/diary/test_incremental_judgement.py holds the two
equal).

A treatment's judgement reads:
- the ratings of its baseline look-back and its follow-up window,
  [performed_at - baseline_fallback_days, end of window);
- the holding days and baselines of earlier treatments whose window reaches its
  look-back (second edition: those days are left out, or their baseline taken);
- the patient's last upright rating, where its follow-up is censored
  (`judge.followed_until`): the one figure a rating far from the window can
  move, so a partial judgement computes it from that rating alone.
A treatment written (created, moved, deleted) changes the window of the one
before it and the look-back of those after it: its writer marks its moment and
the window after it (see diary.services.changes).
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .judge import window_end
from .records import TreatmentEvent
from .thresholds import Thresholds

# Holding days are local days; a look-back starting within a day of a window's
# end may still share a local day with it (any zone, DST included).
DAY_MARGIN = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class Scope:
    """What one job judges: `judged` (treatment ids) get new flags and follow-up
    rows; `context` (a superset) must be judged alongside for their holdings;
    the ratings in [since, until) are all their judgement reads."""

    judged: frozenset[str]
    context: frozenset[str]
    since: datetime | None
    until: datetime | None


def follow_up_ends(
    treatments: Iterable[TreatmentEvent], thresholds: Thresholds
) -> dict[str, datetime]:
    """Each treatment's window end, as `assess_treatments` has it (`judge.window_end`)."""
    treatments = list(treatments)
    starts = [t.performed_at for t in treatments]
    return {t.id: window_end(t.performed_at, starts, thresholds) for t in treatments}


def judged_span(
    treatments: Iterable[TreatmentEvent], thresholds: Thresholds
) -> tuple[datetime, datetime] | None:
    """Every moment a judgement of these treatments reads, [from, until); None with none."""
    starts = [t.performed_at for t in treatments]
    if not starts:
        return None
    return (
        min(starts) - timedelta(days=thresholds.baseline_fallback_days),
        max(starts) + timedelta(days=thresholds.window_days),
    )


def judgement_scope(
    treatments: Iterable[TreatmentEvent],
    thresholds: Thresholds,
    *,
    moments: tuple[datetime, datetime] | None = None,
    treatment_ids: Collection[str] = (),
) -> Scope:
    """The treatments whose judgement ratings written in [moments] (inclusive), or a
    change of the treatments `treatment_ids`, can change, and what judging them needs."""
    events = sorted(treatments, key=lambda t: (t.performed_at, t.id))
    ends = follow_up_ends(events, thresholds)
    look_back = timedelta(days=thresholds.baseline_fallback_days)

    def reads(t: TreatmentEvent) -> bool:
        if t.id in treatment_ids:
            return True
        if moments is None:
            return False
        low, high = moments
        return t.performed_at - look_back <= high and ends[t.id] >= low

    def reaches(earlier: TreatmentEvent, later: TreatmentEvent) -> bool:
        """Whether `earlier`'s holding days may fall in `later`'s look-back."""
        return (
            earlier.performed_at < later.performed_at
            and later.performed_at - look_back < ends[earlier.id] + DAY_MARGIN
        )

    judged: list[TreatmentEvent] = []
    for t in events:  # forward: a changed holding changes the baselines after it
        if reads(t) or any(reaches(j, t) for j in judged):
            judged.append(t)
    context: list[TreatmentEvent] = []
    judged_ids = {t.id for t in judged}
    for t in reversed(events):  # backward: what the judged ones' baselines rest on
        if t.id in judged_ids or any(reaches(t, c) for c in context):
            context.append(t)
    if not context:
        return Scope(frozenset(), frozenset(), None, None)
    return Scope(
        judged=frozenset(judged_ids),
        context=frozenset(t.id for t in context),
        since=min(t.performed_at for t in context) - look_back,
        until=max(ends[t.id] for t in context),
    )
