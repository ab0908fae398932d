"""The clinic's outcomes by treatment: one query over the stored follow-ups.

Each evaluation stores what it found per treatment (`TreatmentFollowUp`); this
reads those rows for a clinic and a period in one statement, groups them, and
hands each group to the pure `diary.analysis.outcomes`. No diary is judged
again here and nothing is read per patient.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from diary.analysis.outcomes import FollowUpFacts, Outcome, outcome
from diary.models import Approach, Condition, Treatment, TreatmentKind

GROUP_BY = ("approach", "kind", "volume", "condition")

# Volume bands (mL), upper bound included: targeted patches are typically 10-20 mL,
# blind ones 20-30 mL or more (DOMAIN.md).
VOLUME_BANDS = (
    ("up_to_10", _("up to 10 mL"), Decimal(10)),
    ("10_to_20", _("over 10 to 20 mL"), Decimal(20)),
    ("20_to_30", _("over 20 to 30 mL"), Decimal(30)),
    ("over_30", _("over 30 mL"), None),
)
NOT_RECORDED = "not_recorded"

# Every group key of each grouping, in the order the table shows them.
GROUPS = {
    "approach": [*((c.value, c.label) for c in Approach), (NOT_RECORDED, _("not recorded"))],
    "kind": [(c.value, c.label) for c in TreatmentKind],
    "volume": [
        *((key, label) for key, label, _ in VOLUME_BANDS),
        (NOT_RECORDED, _("not recorded")),
    ],
    "condition": [(c.value, c.label) for c in Condition],
}


@dataclass(frozen=True)
class GroupOutcome:
    key: str
    label: str
    outcome: Outcome


@dataclass(frozen=True)
class ClinicOutcomes:
    start: dt.date
    end: dt.date
    group_by: str
    overall: Outcome
    groups: list[GroupOutcome]


def volume_band(volume_ml: Decimal | None) -> str:
    if volume_ml is None:
        return NOT_RECORDED
    for key, _label, upper in VOLUME_BANDS:
        if upper is None or volume_ml <= upper:
            return key
    raise AssertionError("the last band has no upper bound")


def clinic_outcomes(
    *, clinic_id: int, start: dt.date, end: dt.date, group_by: str = "approach"
) -> ClinicOutcomes:
    """Outcomes of the clinic's live treatments performed from `start` to `end`
    (UTC calendar days, both included), per group and overall. One query."""
    if group_by not in GROUP_BY:
        raise ValueError(f"group_by must be one of {GROUP_BY}, got {group_by!r}")
    since = dt.datetime.combine(start, dt.time(0), tzinfo=dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
    rows = (
        Treatment.objects.live()
        .filter(patient__clinic_id=clinic_id, performed_at__gte=since, performed_at__lt=until)
        .order_by()
        # A LEFT JOIN: a treatment not evaluated yet still counts as a treatment.
        .values_list(
            "approach",
            "kind",
            "volume_ml",
            "patient__condition",
            "performed_at",
            "follow_up__evaluable",
            "follow_up__improved_by_72h",
            "follow_up__improved_within_7d",
            "follow_up__relapse_proven_at",
            "follow_up__followed_until",
        )
    )
    by_group: dict[str, list[FollowUpFacts]] = defaultdict(list)
    everything: list[FollowUpFacts] = []
    for approach, kind, volume_ml, condition, performed_at, *judged in rows:
        evaluable, by_72h, within_7d, relapse_at, followed_until = judged
        facts = FollowUpFacts(
            performed_at=performed_at,
            evaluable=bool(evaluable),
            improved_by_72h=bool(by_72h),
            improved_within_7d=bool(within_7d),
            relapse_proven_at=relapse_at,
            followed_until=followed_until,
        )
        key = {
            "approach": approach or NOT_RECORDED,
            "kind": kind,
            "volume": volume_band(volume_ml),
            "condition": condition,
        }[group_by]
        by_group[key].append(facts)
        everything.append(facts)
    groups = [
        GroupOutcome(key, str(label), outcome(by_group[key]))
        for key, label in GROUPS[group_by]
        if key in by_group
    ]
    return ClinicOutcomes(start, end, group_by, outcome(everything), groups)
