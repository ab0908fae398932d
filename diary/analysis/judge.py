"""Judge each treatment against the diary: relapse, no response, rebound pattern.

Pure: the caller passes the entries, treatments, time zone, thresholds and
"now" (`as_of`); nothing here reads a clock, a database or a file. The rules
are DOMAIN.md "How the diary judges a treatment" (second edition); every
number comes from `Thresholds`. Entries are facts: `as_of` only says whether
a checkpoint of `no_response` (72 h, 7 days) has passed.

Where DOMAIN.md leaves room, this module decides:
- Durations are elapsed time (90 days = 2160 h, 72 h = 72 h), even across a DST
  change; only "which local day" uses the patient's zone.
- A rating at the very instant of a treatment belongs to its follow-up, never
  to its baseline, so each rating is on exactly one side. The window is
  [performed_at, next treatment or +90 days).
- Baseline: the last 7 days if they hold at least 2 days with upright entries;
  otherwise every such day of the last 30 (the recent ones included), if at
  least 1; otherwise the absolute scale. Days on which an earlier treatment
  (strictly earlier: twins at one instant are judged alike) was holding are
  left out first: from its improvement day to the day before the first day of
  its relapse run, or to the last local day of its window if it never
  relapsed. If leaving them out empties both look-backs, the baseline of the
  latest earlier treatment whose days were left out is used (method
  `earlier_treatment`); if there was no day to leave out, the absolute scale.
- Improvement days are the local days from the treatment's day up to the local
  day 7 days after it, each with upright entries. The improvement window ends
  at the local midnight after that day (the 7-day checkpoint).
- No response, 72 h checkpoint: only entries logged by the 72 h mark count (a
  day straddling it counts its earlier part), so a later improvement does not
  undo it. With fewer than 3 upright entries by then, the 7-day checkpoint
  judges every upright entry of the improvement window instead. Either
  checkpoint needs the follow-up window to reach it: a next treatment before
  it leaves that checkpoint unjudged.
- The next checkpoint (`TreatmentCourse.next_checkpoint_at`, what the scheduled
  judgement waits for): the 72 h mark until it has passed, whatever was logged so
  far; then the 7-day checkpoint if the 72 h one had too few entries and saw no
  improvement; never past the window's end. Only time can make these decide, so
  nothing else needs judging when no entry is written.
- Proof time is the latest entry the proof rests on (the checkpoint for no
  response); for a rebound that can be an upright entry of the same day,
  logged after the last lying one.
- For the clinic's outcomes (`assess_treatments`): a treatment is evaluable
  with at least `no_response_min_entries` upright entries in its improvement
  window; improved by 72 h is the 72 h checkpoint's own test (the entries
  logged by then), improved within 7 days is that or an improvement day in
  the window.
"""

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from .day_scores import as_utc, as_zone, local_day, median, ratings_by_day, upright_day_scores
from .records import (
    LYING,
    NO_RESPONSE,
    REBOUND_PATTERN,
    RELAPSE,
    UPRIGHT_POSTURES,
    Judgement,
    Rating,
    TreatmentCourse,
    TreatmentEvent,
)
from .thresholds import Thresholds

BASELINE_RECENT = "7_days"
BASELINE_LOOK_BACK = "30_days"
BASELINE_EARLIER = "earlier_treatment"
BASELINE_ABSOLUTE = "absolute"

CHECKPOINT_72H = "72h"
CHECKPOINT_7D = "7d"


@dataclass(frozen=True, slots=True)
class Baseline:
    value: float | None  # None: no baseline, judge on the absolute scale
    method: str
    look_back_days: float | None
    days: dict[date, float]
    # Earlier treatments whose holding days were left out: (treatment id, first, last day).
    left_out: tuple[tuple[str, date, date], ...] = ()
    earlier_treatment: str | None = None  # method BASELINE_EARLIER: whose baseline


@dataclass(frozen=True, slots=True)
class _Holding:
    """Days on which an earlier treatment was holding: no baseline for a later one."""

    treatment_id: str
    performed_at: datetime
    first: date
    last: date
    baseline: Baseline


@dataclass(frozen=True, slots=True)
class _FollowUp:
    """One treatment's follow-up window and what was logged in it."""

    treatment: TreatmentEvent
    start: datetime
    end: datetime
    zone: tzinfo
    thresholds: Thresholds
    baseline: Baseline
    ratings: list[Rating]  # in [start, end), time order
    # Derived once (each is read by several rules and by the course):
    upright: list[Rating] = field(init=False)
    upright_days: list[date] = field(init=False)  # each upright rating's local day
    scores: dict[date, float] = field(init=False)  # upright day scores of the window
    logged_by_72h: list[Rating] = field(init=False)  # upright, by the 72 h checkpoint
    in_improvement_window: list[Rating] = field(init=False)  # upright, through day 7
    improvement: tuple[date, float] | None = field(init=False)  # first improvement day
    improvement_by_72h: tuple[date, float] | None = field(init=False)  # in what was logged

    def __post_init__(self) -> None:
        def derive(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        upright = [r for r in self.ratings if r.posture in UPRIGHT_POSTURES]
        days = [local_day(r.recorded_at, self.zone) for r in upright]
        due = self.start + timedelta(hours=self.thresholds.no_response_hours)
        last_day = self.last_improvement_day
        derive("upright", upright)
        by_day: dict[date, list[int]] = {}
        for rating, day in zip(upright, days, strict=True):
            by_day.setdefault(day, []).append(rating.headache)
        derive("scores", {day: median(by_day[day]) for day in sorted(by_day)})
        derive("logged_by_72h", [r for r in upright if r.recorded_at <= due])
        derive("upright_days", days)
        derive(
            "in_improvement_window",
            [r for r, d in zip(upright, days, strict=True) if d <= last_day],
        )
        derive("improvement", self.first_improvement(self.scores))
        early = upright_day_scores(self.logged_by_72h, self.zone)
        derive("improvement_by_72h", self.first_improvement(early))

    def day(self, rating: Rating) -> date:
        return local_day(rating.recorded_at, self.zone)

    @property
    def last_improvement_day(self) -> date:
        return local_day(self.start + timedelta(days=self.thresholds.improvement_days), self.zone)

    @property
    def improvement_window_end(self) -> datetime:
        """The local midnight after the last improvement day (the 7-day checkpoint)."""
        midnight = datetime.combine(self.last_improvement_day + timedelta(days=1), time(0))
        return as_utc(midnight.replace(tzinfo=self.zone))

    def improvement_target(self) -> float:
        """The highest upright day score that counts as improved."""
        th, value = self.thresholds, self.baseline.value
        if value is None:
            return th.absolute_improved_max
        return min(value * th.improvement_ratio, value - th.improvement_min_drop)

    def relapse_threshold(self, best: float) -> float:
        """Upright ratings at or above this, after an improvement, count towards a relapse."""
        th, value = self.thresholds, self.baseline.value
        if value is None:
            return th.absolute_recurred_min
        return max(th.relapse_min_score, best + th.relapse_fraction * (value - best))

    def first_improvement(self, scores: dict[date, float]) -> tuple[date, float] | None:
        # Only days that have upright ratings: a missing day is never an improvement.
        last_day = self.last_improvement_day
        target = self.improvement_target()
        for day, score in scores.items():
            if day > last_day:
                return None
            if score <= target:
                return day, score
        return None


def judge_treatments(
    *,
    ratings: Iterable[Rating],
    treatments: Iterable[TreatmentEvent],
    tz: str | tzinfo,
    as_of: datetime,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so one shared default is safe
) -> list[Judgement]:
    """Every judgement the entries prove, sorted by treatment time, then kind."""
    courses = assess_treatments(
        ratings=ratings, treatments=treatments, tz=tz, as_of=as_of, thresholds=thresholds
    )
    return [judgement for course in courses for judgement in course.judgements]


def assess_treatments(
    *,
    ratings: Iterable[Rating],
    treatments: Iterable[TreatmentEvent],
    tz: str | tzinfo,
    as_of: datetime,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so one shared default is safe
) -> list[TreatmentCourse]:
    """Each treatment's course (the outcomes' facts and its judgements), in treatment order."""
    if as_of.utcoffset() is None:
        raise ValueError("as_of must be a timezone-aware datetime")
    as_of = as_utc(as_of)
    zone = as_zone(tz)
    # Input order must not matter: sort in real (UTC) time, ties by id.
    entries = sorted(map(_in_utc, ratings), key=lambda r: (r.recorded_at, r.id))
    times = [r.recorded_at for r in entries]
    upright_times = [r.recorded_at for r in entries if r.posture in UPRIGHT_POSTURES]
    events = sorted(
        (replace(t, performed_at=as_utc(t.performed_at)) for t in treatments),
        key=lambda t: (t.performed_at, t.id),
    )
    holdings: list[_Holding] = []
    courses: list[TreatmentCourse] = []
    for treatment in events:
        start = treatment.performed_at
        end = window_end(start, (t.performed_at for t in events), thresholds)
        follow_up = _FollowUp(
            treatment=treatment,
            start=start,
            end=end,
            zone=zone,
            thresholds=thresholds,
            baseline=_baseline(entries, times, start, zone, thresholds, holdings),
            ratings=entries[bisect.bisect_left(times, start) : bisect.bisect_left(times, end)],
        )
        improvement = follow_up.improvement
        relapse = _relapse(follow_up)
        relapse_judgement = relapse[0] if relapse else None
        judgements = sorted(
            (
                j
                for j in (relapse_judgement, _no_response(follow_up, as_of), _rebound(follow_up))
                if j is not None
            ),
            key=lambda j: j.kind,
        )
        if improvement is not None:
            # Holding from the improvement day to the day before its relapse run began,
            # or to the window's last day if it never relapsed.
            if relapse is not None:
                last = relapse[1] - timedelta(days=1)
            else:
                last = local_day(end - timedelta(microseconds=1), zone)
            holdings.append(_Holding(treatment.id, start, improvement[0], last, follow_up.baseline))
        courses.append(
            _course(follow_up, relapse_judgement, judgements, upright_times, as_of=as_of)
        )
    return courses


def window_end(start: datetime, starts: Iterable[datetime], thresholds: Thresholds) -> datetime:
    """A follow-up's end: the next treatment *strictly* later (two records of one
    procedure at the same instant are judged alike rather than one getting no
    window), or `window_days` after it. diary.analysis.reach reads the same."""
    return min([*(s for s in starts if s > start), start + timedelta(days=thresholds.window_days)])


def followed_until(start: datetime, end: datetime, last_upright: datetime | None) -> datetime:
    """Where a follow-up is censored: its end, or the patient's last upright rating
    if earlier (never before the treatment)."""
    return max(start, min(end, last_upright or start))


def _course(
    f: _FollowUp,
    relapse: Judgement | None,
    judgements: list[Judgement],
    upright_times: list[datetime],
    *,
    as_of: datetime,
) -> TreatmentCourse:
    th = f.thresholds
    improvement, early = f.improvement, f.improvement_by_72h
    in_window, logged = f.in_improvement_window, f.logged_by_72h
    improved_on, counted = None, []
    if improvement is not None:
        improved_on, counted = improvement[0], in_window
    elif early is not None:
        improved_on, counted = early[0], logged
    improved_at = max((r.recorded_at for r in counted if f.day(r) == improved_on), default=None)
    return TreatmentCourse(
        treatment_id=f.treatment.id,
        baseline=f.baseline.value,
        baseline_method=f.baseline.method,
        upright_entries_7d=len(in_window),
        evaluable=len(in_window) >= th.no_response_min_entries,
        improved_on=improved_on,
        improved_at=improved_at,
        improved_by_72h=early is not None,
        improved_within_7d=improved_on is not None,
        relapse_proven_at=relapse.proven_at if relapse else None,
        followed_until=followed_until(f.start, f.end, upright_times[-1] if upright_times else None),
        improvement_window_end=f.improvement_window_end,
        next_checkpoint_at=_next_checkpoint(f, as_of),
        judgements=tuple(judgements),
    )


def _next_checkpoint(f: _FollowUp, as_of: datetime) -> datetime | None:
    """When `_no_response` could next decide differently with no new entry: the 72 h
    checkpoint until it has passed, then the 7-day one if it still applies.

    Before 72 h the entries logged so far do not matter (more may come, each a write
    that judges again anyway); once 72 h has passed its entries are what they are.
    """
    th = f.thresholds
    due_72h = f.start + timedelta(hours=th.no_response_hours)
    if f.end < due_72h:
        return None  # the next treatment came first: no checkpoint at all
    if as_of < due_72h:
        return due_72h
    if len(f.logged_by_72h) >= th.no_response_min_entries or f.improvement_by_72h is not None:
        return None  # decided at 72 h, either way
    due_7d = f.improvement_window_end
    if f.end < due_7d or as_of >= due_7d:
        return None
    return due_7d


def _in_utc(rating: Rating) -> Rating:
    # Ratings loaded from the database are in UTC already: copying them anyway was
    # a third of a judgement's time.
    if rating.recorded_at.tzinfo is UTC:
        return rating
    return replace(rating, recorded_at=as_utc(rating.recorded_at))


def _baseline(
    entries: list[Rating],
    times: list[datetime],
    start: datetime,
    zone: tzinfo,
    th: Thresholds,
    holdings: list[_Holding],
) -> Baseline:
    """Median of the upright day scores before the treatment: 7 days, else 30, else none.

    Days on which an earlier treatment was holding are left out; if that leaves
    none, the latest such treatment's own baseline stands in.
    """
    earlier = [h for h in holdings if h.performed_at < start]
    end = bisect.bisect_left(times, start)
    left_out: dict[str, _Holding] = {}
    for method, days, min_days in (
        (BASELINE_RECENT, th.baseline_days, th.baseline_min_days),
        (BASELINE_LOOK_BACK, th.baseline_fallback_days, th.baseline_fallback_min_days),
    ):
        begin = bisect.bisect_left(times, start - timedelta(days=days))
        scores = upright_day_scores(entries[begin:end], zone)
        kept = {}
        for day, score in scores.items():
            holding = next((h for h in earlier if h.first <= day <= h.last), None)
            if holding is None:
                kept[day] = score
            else:
                left_out[holding.treatment_id] = holding
        if len(kept) >= min_days:
            return Baseline(median(kept.values()), method, days, kept, _left_out(left_out))
    if left_out:
        latest = max(left_out.values(), key=lambda h: (h.performed_at, h.treatment_id))
        b = latest.baseline
        return Baseline(
            b.value,
            BASELINE_EARLIER,
            b.look_back_days,
            b.days,
            _left_out(left_out),
            latest.treatment_id,
        )
    return Baseline(None, BASELINE_ABSOLUTE, None, {})


def _left_out(holdings: dict[str, _Holding]) -> tuple[tuple[str, date, date], ...]:
    return tuple(
        (h.treatment_id, h.first, h.last)
        for h in sorted(holdings.values(), key=lambda h: (h.performed_at, h.treatment_id))
    )


def _relapse(f: _FollowUp) -> tuple[Judgement, date] | None:
    """Improved, then a run of upright ratings back up towards the baseline.

    Returns the judgement and the local day its run began (where holding ended).
    """
    improvement, scores = f.improvement, f.scores
    if improvement is None:
        return None
    improved_on = improvement[0]
    # The best point before a run is the lowest day score from the improvement day up
    # to the day before the run starts: a run is measured against what was seen so far.
    best_days = [day for day in scores if day >= improved_on]
    running_best: list[tuple[float, date]] = []
    for day in best_days:
        here = (scores[day], day)
        running_best.append(min(running_best[-1], here) if running_best else here)

    candidates = [r for r, d in zip(f.upright, f.upright_days, strict=True) if d > improved_on]
    proof = _first_run(f, candidates, best_days, running_best)
    if proof is None:
        return None
    run, best, best_day, threshold = proof
    proven_at = run[-1].recorded_at
    proven_on = f.day(run[-1])
    evidence = _common_evidence(f)
    evidence.update(
        improvement={
            "date": improved_on.isoformat(),
            "score": _num(improvement[1]),
            "target": _num(f.improvement_target()),
        },
        best={"date": best_day.isoformat(), "score": _num(best)},
        recurrence={
            "threshold": _num(threshold),
            "span_hours": _hours(run[-1].recorded_at - run[0].recorded_at),
            "entry_ids": [r.id for r in run],
            "entries": [_entry(r, f.zone) for r in run],
        },
        # The day scores as they stood when the proof completed.
        upright_day_scores=_scores(
            upright_day_scores((r for r in f.ratings if r.recorded_at <= proven_at), f.zone)
        ),
    )
    values = sorted({r.headache for r in run})
    back_to = f"{values[0]}" if len(values) == 1 else f"{values[0]} to {values[-1]}"
    best_note = "" if best == improvement[1] else f" (best {_num(best)}/10 on {best_day})"
    evidence["summary"] = (
        f"Upright headache back to {back_to}/10 on {proven_on}, "
        f"{_days((proven_on - improved_on).days)} after improving to "
        f"{_num(improvement[1])}/10 on {improved_on}{best_note}; {_baseline_text(f)}."
    )
    return Judgement(f.treatment.id, RELAPSE, proven_at, evidence), f.day(run[0])


def _first_run(
    f: _FollowUp,
    candidates: list[Rating],
    best_days: list[date],
    running_best: list[tuple[float, date]],
) -> tuple[list[Rating], float, date, float] | None:
    """The first run of upright ratings at or above the relapse threshold that proves it.

    Each possible start is measured against the best point before its day. A later
    start has a later first entry, so it cannot complete before an earlier start that
    completes: the first start that completes gives the earliest proof.
    """
    th = f.thresholds
    span = timedelta(hours=th.relapse_min_span_hours)
    for i, first in enumerate(candidates):
        best, best_day = running_best[bisect.bisect_left(best_days, f.day(first)) - 1]
        threshold = f.relapse_threshold(best)
        for k in range(i, len(candidates)):
            if candidates[k].headache < threshold:
                break  # any upright rating below the threshold breaks the run
            if _spans(candidates[i : k + 1], th.relapse_min_entries, span):
                return candidates[i : k + 1], best, best_day, threshold
    return None


def _no_response(f: _FollowUp, as_of: datetime) -> Judgement | None:
    """No improvement by 72 h with enough entries, or else by the end of day 7."""
    th = f.thresholds
    due = f.start + timedelta(hours=th.no_response_hours)
    if f.end < due:
        return None  # the next treatment came first
    logged = f.logged_by_72h
    checkpoint = CHECKPOINT_72H
    if len(logged) < th.no_response_min_entries:
        # A patient who logs less often: judged once more at the end of the window.
        due, checkpoint = f.improvement_window_end, CHECKPOINT_7D
        if f.improvement_by_72h is not None:
            return None  # an improvement already seen by 72 h stands
        logged = f.in_improvement_window
        if f.end < due or len(logged) < th.no_response_min_entries:
            return None  # silence is not a failed treatment
    if as_of < due:
        return None  # not yet due
    # Only what was logged by the checkpoint: a day straddling 72 h counts its earlier part.
    scores = upright_day_scores(logged, f.zone)
    if f.first_improvement(scores) is not None:
        return None
    best = min(scores.values())
    evidence = _common_evidence(f)
    evidence["follow_up"] = {
        "checkpoint": checkpoint,
        "until": due.isoformat(),
        "upright_entries": len(logged),
        "entry_ids": [r.id for r in logged],
        "best_score": _num(best),
        "improvement_target": _num(f.improvement_target()),
        "day_scores": _scores(scores),
    }
    target = _num(f.improvement_target())
    when = (
        f"{_num(th.no_response_hours)} h after"
        if checkpoint == CHECKPOINT_72H
        else f"by the end of day {_num(th.improvement_days)} after"
    )
    evidence["summary"] = (
        f"No improvement {when} the {_treatment_text(f)}: "
        f"{len(logged)} upright entries, best day {_num(best)}/10 "
        f"(improvement needs {target}/10 or less); {_baseline_text(f)}."
    )
    return Judgement(f.treatment.id, NO_RESPONSE, due, evidence)


def _rebound(f: _FollowUp) -> Judgement | None:
    """Lying ratings at least `rebound_margin` above the same day's upright score."""
    th = f.thresholds
    upright = ratings_by_day(f.ratings, f.zone, UPRIGHT_POSTURES)
    scores = {day: median(r.headache for r in rs) for day, rs in upright.items()}
    span = timedelta(hours=th.rebound_min_span_hours)
    run: list[Rating] = []
    for rating in f.ratings:
        if rating.posture != LYING or f.day(rating) not in scores:
            continue  # no upright rating that day to compare with: neither counts nor breaks
        if rating.headache < scores[f.day(rating)] + th.rebound_margin:
            run = []
            continue
        run.append(rating)
        if _spans(run, th.rebound_min_entries, span):
            break
    else:
        return None
    run_days = sorted({f.day(r) for r in run})
    # The proof also rests on those days' upright ratings, some perhaps logged later.
    proven_at = max(run[-1].recorded_at, *(upright[d][-1].recorded_at for d in run_days))
    evidence = _common_evidence(f)
    evidence["rebound"] = {
        "margin": _num(th.rebound_margin),
        "span_hours": _hours(run[-1].recorded_at - run[0].recorded_at),
        "entry_ids": [r.id for r in run],
        "entries": [
            {
                **_entry(r, f.zone),
                "upright_day_score": _num(scores[f.day(r)]),
                "upright_entry_ids": [u.id for u in upright[f.day(r)]],
            }
            for r in run
        ],
    }
    pairs = ", ".join(
        f"lying {r.headache}/10 vs upright {_num(scores[f.day(r)])}/10 on {f.day(r)}" for r in run
    )
    evidence["summary"] = (
        f"Headache worse lying down than upright after the {_treatment_text(f)}: {pairs}."
    )
    return Judgement(f.treatment.id, REBOUND_PATTERN, proven_at, evidence)


def _spans(run: list[Rating], min_entries: int, span: timedelta) -> bool:
    return len(run) >= min_entries and run[-1].recorded_at - run[0].recorded_at >= span


# --- evidence: JSON-serialisable values only ---------------------------------------


def _common_evidence(f: _FollowUp) -> dict[str, Any]:
    b = f.baseline
    return {
        "treatment": {
            "id": f.treatment.id,
            "kind": f.treatment.kind,
            "performed_at": f.start.isoformat(),
        },
        "time_zone": str(f.zone),
        "window": {"start": f.start.isoformat(), "end": f.end.isoformat()},
        "baseline": _baseline_evidence(b),
        "thresholds": f.thresholds.to_dict(),
    }


def _baseline_evidence(b: Baseline) -> dict[str, Any]:
    evidence: dict[str, Any] = {
        "value": None if b.value is None else _num(b.value),
        "method": b.method,
        "look_back_days": None if b.look_back_days is None else _num(b.look_back_days),
        "day_scores": _scores(b.days),
    }
    # Only when the second edition's rule applied, so older evidence keeps its shape.
    if b.left_out:
        evidence["left_out"] = [
            {"treatment": treatment_id, "from": first.isoformat(), "to": last.isoformat()}
            for treatment_id, first, last in b.left_out
        ]
    if b.earlier_treatment is not None:
        evidence["earlier_treatment"] = b.earlier_treatment
    return evidence


def _entry(rating: Rating, zone: tzinfo) -> dict[str, Any]:
    local = rating.recorded_at.astimezone(zone)
    return {
        "id": rating.id,
        "recorded_at": rating.recorded_at.isoformat(),
        "local_time": local.isoformat(),
        "local_date": local.date().isoformat(),
        "posture": rating.posture,
        "headache": rating.headache,
    }


def _scores(scores: dict[date, float]) -> list[dict[str, Any]]:
    return [{"date": day.isoformat(), "score": _num(score)} for day, score in scores.items()]


def _num(value: float) -> int | float:
    """8.0 reads as 8; a median of 7 and 8 stays 7.5."""
    return int(value) if float(value).is_integer() else round(float(value), 2)


def _hours(delta: timedelta) -> float | int:
    return _num(delta.total_seconds() / 3600)


def _treatment_text(f: _FollowUp) -> str:
    return f"{f.treatment.kind.replace('_', ' ')} of {local_day(f.start, f.zone)}"


def _baseline_text(f: _FollowUp) -> str:
    b = f.baseline
    if b.value is None:
        th = f.thresholds
        return (
            "no baseline, judged on the absolute scale "
            f"(improved <= {_num(th.absolute_improved_max)}, "
            f"recurred >= {_num(th.absolute_recurred_min)})"
        )
    text = f"baseline {_num(b.value)}/10"
    if b.method == BASELINE_EARLIER:
        text += " (the earlier treatment's, every day since it was holding)"
    else:
        text += f" (median of the {_num(b.look_back_days or 0)} days before"
        if b.left_out:
            text += ", leaving out the days an earlier treatment was holding"
        text += ")"
    return text


_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _days(n: int) -> str:
    word = _WORDS[n] if 0 <= n < len(_WORDS) else str(n)
    return f"{word} day" if n == 1 else f"{word} days"
