"""Build a patient's diary day by day, in their local time, for the judgement tests.

    diary = Diary().upright(-7, [8] * 7).patch(0).upright(0, [2, 2, 8, 8])

reads: a week of 8/10 upright, a patch on day 0 at 07:00, then 2/10 for two
days and 8/10 again. Each number in `upright`/`lying` is one local day, rated
at each of `times` (None: a day without entries). Days count from `start`.
"""

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Self
from zoneinfo import ZoneInfo

from diary.analysis import Judgement, Rating, Thresholds, TreatmentEvent, judge_treatments

START = date(2026, 3, 2)
UPRIGHT_TIMES = ("08:00", "20:00")  # 12 h apart: two high entries of one day prove a run
LYING_TIMES = ("07:00", "21:00")


@dataclass
class Diary:
    tz: str = "Europe/Zurich"
    start: date = START
    ratings: list[Rating] = field(default_factory=list)
    treatments: list[TreatmentEvent] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1), repr=False)

    def at(self, day: int, hhmm: str, *, fold: int = 0) -> datetime:
        """Local wall-clock time on day `day`; `fold=1` is the second 02:30 of an autumn night."""
        hour, minute = (int(part) for part in hhmm.split(":"))
        d = self.start + timedelta(days=day)
        return datetime(d.year, d.month, d.day, hour, minute, tzinfo=ZoneInfo(self.tz), fold=fold)

    def date(self, day: int) -> str:
        return (self.start + timedelta(days=day)).isoformat()

    def new_id(self) -> str:
        return str(uuid.UUID(int=next(self._ids)))

    def rate(self, day: int, hhmm: str, posture: str, score: int, *, fold: int = 0) -> Rating:
        rating = Rating(self.new_id(), self.at(day, hhmm, fold=fold), posture, score)
        self.ratings.append(rating)
        return rating

    def upright(
        self,
        first_day: int,
        scores: list[int | None],
        *,
        times: tuple[str, ...] = UPRIGHT_TIMES,
        posture: str = "standing",
    ) -> Self:
        for offset, score in enumerate(scores):
            for hhmm in times if score is not None else ():
                self.rate(first_day + offset, hhmm, posture, score)
        return self

    def lying(
        self, first_day: int, scores: list[int | None], *, times: tuple[str, ...] = LYING_TIMES
    ) -> Self:
        return self.upright(first_day, scores, times=times, posture="lying")

    def patch(self, day: int, hhmm: str = "07:00", kind: str = "epidural_blood_patch") -> Self:
        self.treatments.append(TreatmentEvent(self.new_id(), self.at(day, hhmm), kind))
        return self

    def last_time(self) -> datetime:
        times = [r.recorded_at for r in self.ratings] + [t.performed_at for t in self.treatments]
        return max(times, default=self.at(0, "00:00")).astimezone(UTC)

    def judge(
        self, *, as_of: datetime | None = None, thresholds: Thresholds | None = None
    ) -> list[Judgement]:
        return judge_treatments(
            ratings=self.ratings,
            treatments=self.treatments,
            tz=self.tz,
            as_of=as_of or self.last_time() + timedelta(days=365),
            thresholds=thresholds or Thresholds(),
        )

    def flags(self, judgements: list[Judgement]) -> list[tuple[int, str]]:
        """(index of the treatment in the order added, kind): short to compare in tables."""
        index = {t.id: n for n, t in enumerate(self.treatments)}
        return [(index[j.treatment_id], j.kind) for j in judgements]


def only(judgements: list[Judgement], kind: str) -> Judgement:
    (judgement,) = [j for j in judgements if j.kind == kind]
    return judgement
