"""The clinic's outcome measures on a cohort worked out by hand, and their properties."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diary.analysis.outcomes import FollowUpFacts, outcome, relapse_free_curve, share

Z = 1.959963984540054  # the 97.5 % point of the normal distribution


def wilson(k: int, n: int) -> tuple[float, float]:
    """The Wilson score interval from its formula, to check the library against."""
    p = k / n
    denominator = 1 + Z**2 / n
    centre = (p + Z**2 / (2 * n)) / denominator
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / denominator
    return centre - half, centre + half


def treated(
    *,
    evaluable=True,
    by_72h=False,
    within_7d=False,
    relapse_days=None,
    followed_days=90.0,
    pgic_7d=None,
) -> FollowUpFacts:
    return FollowUpFacts(
        evaluable=evaluable,
        improved_by_72h=by_72h,
        improved_within_7d=within_7d or by_72h,
        relapsed=relapse_days is not None,
        days_followed=followed_days if relapse_days is None else relapse_days,
        pgic_7d=pgic_7d,
    )


def targeted_series() -> list[FollowUpFacts]:
    """Eight targeted patches: six relieved by 72 h, one later in the week, one never.

    Of the seven improved: relapse proven at 2.5 days and at 15 days; followed
    without relapse for 10, 20, 90 and 90 days, and one (improved on day 5) for 40.
    One more patch had too few entries to judge.
    """
    return [
        treated(by_72h=True, relapse_days=2.5),
        treated(by_72h=True, followed_days=10),
        treated(by_72h=True, relapse_days=15),
        treated(by_72h=True, followed_days=20),
        treated(by_72h=True),
        treated(by_72h=True),
        treated(within_7d=True, followed_days=40),
        treated(),  # evaluable, no improvement
        treated(evaluable=False, by_72h=True, followed_days=3),  # two entries: not evaluable
    ]


def test_the_counts_of_the_series():
    result = outcome(targeted_series())
    assert result.treatments == 9
    assert (result.evaluable.k, result.evaluable.n) == (8, 9)
    assert (result.improved_72h.k, result.improved_72h.n) == (6, 8)
    assert (result.improved_7d.k, result.improved_7d.n) == (7, 8)
    assert (result.relapsed.k, result.relapsed.n) == (2, 7)
    assert result.relapsed.share == pytest.approx(2 / 7)
    assert result.median_days_to_relapse == 8.75  # the middle of 2.5 and 15
    assert result.small_numbers


def test_pgic_responders_are_the_1_and_2_answers_at_7_days_of_those_answered():
    # Seven treatments, five answered at 7 days: 1, 2 and 2 respond, 3 and 6 do not.
    # The non-evaluable one's answer counts too: the share is of treatments answered.
    result = outcome(
        [
            treated(by_72h=True, pgic_7d=1),
            treated(by_72h=True, pgic_7d=2),
            treated(within_7d=True, pgic_7d=3),
            treated(pgic_7d=6),
            treated(evaluable=False, pgic_7d=2),
            treated(by_72h=True),  # not answered: not counted
            treated(),
        ]
    )
    assert (result.pgic_responders.k, result.pgic_responders.n) == (3, 5)
    assert result.pgic_responders.share == 0.6
    # p = 0.6, z^2/n = 0.7683: centre (0.6 + 0.3841) / 1.7683 = 0.5566,
    # half-width 1.96 * sqrt(0.048 + 0.0384) / 1.7683 = 0.3258.
    assert result.pgic_responders.ci95 == (0.2307, 0.8824)
    assert outcome([treated(), treated(by_72h=True)]).pgic_responders == share(0, 0)


def test_six_of_seven_has_the_wilson_interval_worked_by_hand():
    # p = 6/7 = 0.8571, z^2 = 3.8415: centre (0.8571 + 0.2744) / 1.5488 = 0.7306,
    # half-width 1.96 * sqrt(0.01749 + 0.01960) / 1.5488 = 0.2437.
    result = share(6, 7)
    assert result.ci95 == (0.4869, 0.9743)
    assert result.ci95 == pytest.approx(wilson(6, 7), abs=1e-4)


@pytest.mark.parametrize(("k", "n"), [(0, 5), (5, 5), (2, 7), (1, 1), (37, 120)])
def test_intervals_match_the_formula(k, n):
    assert share(k, n).ci95 == pytest.approx(wilson(k, n), abs=1e-4)


def test_an_empty_group_has_no_share():
    assert share(0, 0).share is None
    assert share(0, 0).ci95 is None
    assert outcome([]).relapse_free == []


def test_the_relapse_free_curve_steps_at_each_relapse_and_censoring_thins_it():
    curve = {p.day: (p.at_risk, p.survival) for p in outcome(targeted_series()).relapse_free}
    assert sorted(curve) == list(range(91))  # day 0 to the longest follow-up
    assert curve[0] == (7, 1.0)
    assert curve[2] == (7, 1.0)
    # Day 3: the relapse at 2.5 days: 6 of 7 relapse-free.
    assert curve[3] == (6, round(6 / 7, 4))
    # Day 11: the one followed for 10 days is censored, the curve does not move.
    assert curve[10] == (6, round(6 / 7, 4))
    assert curve[11] == (5, round(6 / 7, 4))
    # Day 15: the relapse at 15 days, among 5 at risk: 6/7 x 4/5, not 5/7.
    assert curve[15] == (5, round(6 / 7 * 4 / 5, 4))
    assert curve[16] == (4, round(24 / 35, 4))
    assert curve[21] == (3, round(24 / 35, 4))  # censored at 20
    assert curve[41] == (2, round(24 / 35, 4))  # censored at 40
    assert curve[90] == (2, round(24 / 35, 4))


def test_one_relapse_among_two_drops_to_half():
    assert [
        (p.day, p.at_risk, p.survival) for p in relapse_free_curve([(1.5, True), (2, False)])
    ] == [
        (0, 2, 1.0),
        (1, 2, 1.0),
        (2, 1, 0.5),
    ]


facts = st.builds(
    lambda evaluable, improved, early, relapse, followed, pgic: treated(
        evaluable=evaluable,
        by_72h=improved and early,
        within_7d=improved,
        relapse_days=relapse if improved and relapse is not None and relapse <= followed else None,
        followed_days=followed,
        pgic_7d=pgic,
    ),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.none() | st.floats(0.5, 90),
    st.floats(0.5, 90),
    st.none() | st.integers(1, 7),
)

MEASURES = ("evaluable", "improved_72h", "improved_7d", "relapsed", "pgic_responders")


@settings(max_examples=60, deadline=None, database=None)
@given(cohort=st.lists(facts, max_size=40))
def test_shares_lie_inside_their_interval_and_the_curve_never_rises(cohort):
    result = outcome(cohort)
    for measure in (getattr(result, name) for name in MEASURES):
        assert 0 <= measure.k <= measure.n
        if measure.n:
            low, high = measure.ci95
            assert 0 <= low <= measure.share <= high <= 1
    survival = [p.survival for p in result.relapse_free]
    at_risk = [p.at_risk for p in result.relapse_free]
    assert survival == sorted(survival, reverse=True)
    assert at_risk == sorted(at_risk, reverse=True)
    if result.relapse_free:
        assert result.relapse_free[0].survival == 1.0
        assert result.relapse_free[0].at_risk == result.relapsed.n


@settings(max_examples=60, deadline=None, database=None)
@given(cohort=st.lists(st.tuples(st.sampled_from("abc"), facts), max_size=40))
def test_groups_add_up_to_the_whole(cohort):
    whole = outcome(f for _, f in cohort)
    parts = [outcome(f for key, f in cohort if key == group) for group in "abc"]
    assert sum(p.treatments for p in parts) == whole.treatments
    for name in MEASURES:
        assert sum(getattr(p, name).k for p in parts) == getattr(whole, name).k
        assert sum(getattr(p, name).n for p in parts) == getattr(whole, name).n
