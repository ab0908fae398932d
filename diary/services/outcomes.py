"""The clinic's outcomes by treatment: one query over the stored follow-ups.

Each evaluation stores what it found per treatment (`TreatmentFollowUp`); this
reads those rows for a clinic and a period in one statement, groups them, and
hands each group to the pure `diary.analysis.outcomes`. No diary is judged
again here and nothing is read per patient.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from diary.analysis.outcomes import FollowUpFacts, Outcome, outcome
from diary.models import Approach, Checkpoint, Condition, Impression, Treatment, TreatmentKind

GROUP_BY = ("approach", "kind", "volume", "condition")

# Volume bands (mL), upper bound included: targeted patches are typically 10-20 mL,
# blind ones 20-30 mL or more (DOMAIN.md).
VOLUME_BANDS = (
    ("up_to_10", _("up to 10 mL"), 10.0),
    ("10_to_20", _("over 10 to 20 mL"), 20.0),
    ("20_to_30", _("over 20 to 30 mL"), 30.0),
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


# The band of a treatment's volume, worked out by the database.
_VOLUME_BAND = Case(
    *(
        When(volume_ml__lte=upper, then=Value(key))
        for key, _label, upper in VOLUME_BANDS
        if upper is not None
    ),
    When(volume_ml__isnull=False, then=Value(VOLUME_BANDS[-1][0])),
    default=Value(NOT_RECORDED),
    output_field=CharField(),
)
# The one value each grouping reads: a group key, or NULL for "not recorded".
_GROUP_VALUE = {
    "approach": F("approach"),
    "kind": F("kind"),
    "volume": _VOLUME_BAND,
    "condition": F("patient__condition"),
}


class _DaysBetween(Func):
    """Days (a float) from the first moment to the second; NULL if either is NULL."""

    output_field = FloatField()
    template = "(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)"
    arg_joiner = " - "

    def __init__(self, start, end):
        super().__init__(end, start)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="(julianday(%(expressions)s))",
            arg_joiner=") - julianday(",
            **extra_context,
        )


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
        # Durations in days from the database: decoding two datetimes a row was most
        # of the time for a large clinic (bench/outcomes.py).
        .annotate(
            group_value=_GROUP_VALUE[group_by],
            relapsed=ExpressionWrapper(
                Q(follow_up__relapse_proven_at__isnull=False), output_field=BooleanField()
            ),
            days_followed=_DaysBetween(
                "performed_at",
                Coalesce("follow_up__relapse_proven_at", "follow_up__followed_until"),
            ),
            # At most one live answer per treatment and checkpoint (a constraint); a
            # subquery of the same statement, on the treatment's index.
            pgic_7d=Subquery(
                Impression.objects.live()
                .filter(treatment=OuterRef("pk"), checkpoint=Checkpoint.D7)
                .order_by()
                .values("score")[:1]
            ),
        )
        # A LEFT JOIN: a treatment not evaluated yet still counts as a treatment.
        .values_list(
            "group_value",
            "follow_up__evaluable",
            "follow_up__improved_by_72h",
            "follow_up__improved_within_7d",
            "relapsed",
            "days_followed",
            "pgic_7d",
        )
    )
    by_group: dict[str, list[FollowUpFacts]] = defaultdict(list)
    everything: list[FollowUpFacts] = []
    for value, *judged in rows:
        # Not evaluated yet: NULLs, which read as false.
        facts = FollowUpFacts._make(judged)
        by_group[value or NOT_RECORDED].append(facts)
        everything.append(facts)
    groups = [
        GroupOutcome(key, str(label), outcome(by_group[key]))
        for key, label in GROUPS[group_by]
        if key in by_group
    ]
    return ClinicOutcomes(start, end, group_by, outcome(everything), groups)
