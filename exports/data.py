"""What the builders read: one patient's diary over a range, already loaded.

Plain slotted dataclasses, so the PDF, CSV and FHIR builders are pure
functions of these (no ORM), and a year of entries stays a few megabytes.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from diary.analysis import Rating
from diary.analysis.context import HoursWindow, hours_before_after
from diary.labels import medication_label
from diary.models import Approach, Condition, FlagKind, FlagStatus, Posture, TreatmentKind
from diary.wording import flag_evidence_text, pgic_answers_text, treatment_description

KIND_LABELS = dict(TreatmentKind.choices)
APPROACH_LABELS = dict(Approach.choices)
POSTURE_LABELS = dict(Posture.choices)
CONDITION_LABELS = dict(Condition.choices)
FLAG_KIND_LABELS = dict(FlagKind.choices)
FLAG_STATUS_LABELS = dict(FlagStatus.choices)
# A day with this much bed rest or more is marked as a bed-rest day (chart and
# tables): half the day or more in bed is "a good day that was really a day in
# bed" (DOMAIN.md "Beyond the ratings"). A display choice, not a clinical rule.
BED_REST_DAY_HOURS = 12


@dataclass(frozen=True, slots=True)
class EntryRow:
    id: str
    recorded_at: datetime  # aware, UTC
    posture: str
    headache: int
    minutes_in_posture: int | None
    onset_minutes: int | None
    relief_minutes: int | None
    symptoms: tuple[str, ...]
    note: str
    triggers: tuple[str, ...] = ()

    def rating(self) -> Rating:
        return Rating(
            id=self.id, recorded_at=self.recorded_at, posture=self.posture, headache=self.headache
        )


@dataclass(frozen=True, slots=True)
class TreatmentRow:
    id: str
    performed_at: datetime  # aware, UTC
    kind: str
    approach: str | None
    levels: tuple[str, ...]
    volume_ml: Decimal | None
    note: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def describe(self) -> str:
        """'Epidural blood patch, targeted, C6/C7, 15 mL' (the clinic pages say it the same)."""
        return treatment_description(
            kind=self.kind, approach=self.approach, levels=self.levels, volume_ml=self.volume_ml
        )


@dataclass(frozen=True, slots=True)
class DayLogRow:
    id: str
    date: date  # the patient's local day
    upright_hours: Decimal | None
    longest_upright_minutes: int | None
    bed_rest_hours: Decimal | None
    fluids_l: Decimal | None
    caffeine_mg: int | None
    binder: bool | None
    medications: tuple[dict, ...]
    note: str

    @property
    def bed_rest_day(self) -> bool:
        return self.bed_rest_hours is not None and self.bed_rest_hours >= BED_REST_DAY_HOURS

    def medications_text(self) -> str:
        """'Acetazolamide 250 mg; Paracetamol' (a medication's note in brackets)."""
        parts = []
        for item in self.medications:
            text = " ".join(p for p in (medication_label(item["name"]), item.get("dose")) if p)
            if item.get("note"):
                text += f" ({item['note']})"
            parts.append(text)
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class ImpressionRow:
    id: str
    treatment_id: str  # the treatment's API id
    answered_at: datetime  # aware, UTC
    checkpoint: str  # "72h" | "7d" | "other"
    score: int  # 1 very much improved ... 7 very much worse
    note: str


@dataclass(frozen=True, slots=True)
class FlagRow:
    id: str
    treatment_id: str
    kind: str
    status: str
    detected_at: datetime
    proven_at: datetime
    still_supported: bool
    resolved_at: datetime | None
    resolution_note: str
    evidence: dict[str, Any]

    @property
    def kind_label(self) -> str:
        return FLAG_KIND_LABELS.get(self.kind, self.kind)

    @property
    def summary(self) -> str:
        return flag_evidence_text(self.evidence)

    def entry_ids(self) -> list[str]:
        """Every entry id the evidence rests on, wherever the judgement put it."""
        found: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, dict):
                for key, item in value.items():
                    if key.endswith("entry_ids") and isinstance(item, list):
                        found.extend(str(i) for i in item)
                    else:
                        walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(self.evidence)
        return list(dict.fromkeys(found))


@dataclass(frozen=True, slots=True)
class ExportData:
    patient_id: str
    display_name: str
    timezone: str
    condition: str
    clinic_name: str
    # The range asked for (patient-local days, inclusive); None where open-ended.
    date_from: date | None
    date_to: date | None
    generated_at: datetime
    entries: Sequence[EntryRow]  # oldest first
    treatments: Sequence[TreatmentRow]  # oldest first
    flags: Sequence[FlagRow] = field(default_factory=tuple)
    day_logs: Sequence[DayLogRow] = field(default_factory=tuple)  # oldest day first
    impressions: Sequence[ImpressionRow] = field(default_factory=tuple)  # oldest first

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def upright_hours(self) -> dict[date, float]:
        """Hours upright per logged local day (the chart's panel)."""
        return {
            log.date: float(log.upright_hours)
            for log in self.day_logs
            if log.upright_hours is not None
        }

    def bed_rest_days(self) -> list[date]:
        return [log.date for log in self.day_logs if log.bed_rest_day]

    def impressions_of(self, treatment_id: str) -> list[ImpressionRow]:
        return [i for i in self.impressions if i.treatment_id == treatment_id]

    def pgic_text(self, treatment_id: str) -> str:
        """'PGIC 72 hours: 2 (much improved); 7 days: 1 (...)', or ''."""
        answers = self.impressions_of(treatment_id)
        return pgic_answers_text([{"checkpoint": i.checkpoint, "score": i.score} for i in answers])

    def upright_before_after(self, performed_at: datetime) -> tuple[HoursWindow, HoursWindow]:
        """Median upright hours in the week before a treatment's day and the week after."""
        return hours_before_after(self.upright_hours(), self.local(performed_at).date())

    @property
    def condition_label(self) -> str:
        return CONDITION_LABELS.get(self.condition, self.condition)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def first_day(self) -> date | None:
        """The range's first day, or the first record's day when open-ended."""
        if self.date_from:
            return self.date_from
        moments = [m for m in self._first_last(0) if m is not None]
        days = [m.astimezone(self.zone).date() for m in moments]
        days += [self.day_logs[0].date] if self.day_logs else []
        return min(days) if days else None

    def last_day(self) -> date | None:
        if self.date_to:
            return self.date_to
        moments = [m for m in self._first_last(-1) if m is not None]
        days = [m.astimezone(self.zone).date() for m in moments]
        days += [self.day_logs[-1].date] if self.day_logs else []
        return max(days) if days else None

    def _first_last(self, index: int) -> tuple[datetime | None, datetime | None]:
        return (
            self.entries[index].recorded_at if self.entries else None,
            self.treatments[index].performed_at if self.treatments else None,
        )
