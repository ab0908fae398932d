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
from diary.models import Approach, Condition, FlagKind, FlagStatus, Posture, TreatmentKind
from diary.symptoms import symptom_label
from diary.wording import flag_evidence_text, treatment_description

KIND_LABELS = dict(TreatmentKind.choices)
APPROACH_LABELS = dict(Approach.choices)
POSTURE_LABELS = dict(Posture.choices)
CONDITION_LABELS = dict(Condition.choices)
FLAG_KIND_LABELS = dict(FlagKind.choices)
FLAG_STATUS_LABELS = dict(FlagStatus.choices)


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

    @property
    def posture_label(self) -> str:
        return POSTURE_LABELS.get(self.posture, self.posture)

    @property
    def symptom_labels(self) -> list[str]:
        return [symptom_label(code) for code in self.symptoms]

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
    # The clinic's own record number, and the URI of its numbering system (FHIR).
    record_number: str = ""
    record_number_system: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

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
        return min(moments).astimezone(self.zone).date() if moments else None

    def last_day(self) -> date | None:
        if self.date_to:
            return self.date_to
        moments = [m for m in self._first_last(-1) if m is not None]
        return max(moments).astimezone(self.zone).date() if moments else None

    def _first_last(self, index: int) -> tuple[datetime | None, datetime | None]:
        return (
            self.entries[index].recorded_at if self.entries else None,
            self.treatments[index].performed_at if self.treatments else None,
        )
