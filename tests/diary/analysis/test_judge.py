"""The judgement told as stories: DOMAIN.md "How the diary judges a treatment"."""

import json
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from diary.analysis import Rating, Thresholds, TreatmentEvent, judge_treatments
from tests.diary.analysis.scenario import Diary, only


def relief_then_relapse_after_two_days() -> Diary:
    # The case series: relief within 24 h, the headache back two days later.
    return Diary().upright(-7, [8] * 7).patch(0).upright(0, [2, 2, 8, 8, 8])


def first_patch_fails_second_holds() -> Diary:
    diary = relief_then_relapse_after_two_days()
    return diary.patch(5, kind="epidural_blood_patch").upright(5, [2] * 14)


def four_patches_each_relapsing() -> Diary:
    # "Started to feel better, then quickly got bedridden", patch after patch.
    diary = Diary().upright(-7, [8] * 7)
    for n in range(4):
        diary.patch(6 * n).upright(6 * n, [2, 2, 8, 8, 8, 8])
    return diary


def no_response() -> Diary:
    return Diary().upright(-7, [8] * 7).patch(0).upright(0, [8, 7, 8, 8, 7, 8])


def worse_lying_down_after_patch() -> Diary:
    return (
        Diary()
        .upright(-7, [8] * 7)
        .lying(-7, [2] * 7)
        .patch(0)
        .upright(0, [3] * 6)
        .lying(1, [7] * 5)
    )


def one_stray_bad_entry_after_improvement() -> Diary:
    diary = Diary().upright(-7, [8] * 7).patch(0).upright(0, [2] * 7)
    diary.rate(3, "14:00", "standing", 9)
    return diary


def two_bad_entries_only_hours_apart() -> Diary:
    diary = Diary().upright(-7, [8] * 7).patch(0).upright(0, [2] * 7)
    diary.rate(3, "14:00", "standing", 9)
    diary.rate(3, "18:00", "sitting", 9)
    return diary


def one_stray_good_entry_without_improvement() -> Diary:
    diary = Diary().upright(-7, [8] * 7).patch(0).upright(0, [5] * 5)
    diary.rate(1, "14:00", "sitting", 0)  # median of 5, 0, 5 is 5, not the 4 needed
    return diary


def silence_after_patch() -> Diary:
    return Diary().upright(-7, [8] * 7).patch(0)


def never_treated() -> Diary:
    return Diary().upright(-7, [8, 8, 2, 2, 8, 8, 8] * 3)


def too_few_entries_for_no_response() -> Diary:
    diary = Diary().upright(-7, [8] * 7).patch(0)
    diary.rate(1, "12:00", "standing", 8)
    diary.rate(2, "12:00", "standing", 8)
    return diary


def next_patch_before_72_hours() -> Diary:
    return Diary().upright(-7, [8] * 7).patch(0).upright(0, [8] * 6).patch(2)


def relapse_repeats_in_one_window() -> Diary:
    return Diary().upright(-7, [8] * 7).patch(0).upright(0, [2, 2, 8, 8, 2, 2, 8, 8])


def rebound_repeats_in_one_window() -> Diary:
    return (
        Diary().upright(-7, [8] * 7).patch(0).upright(0, [3] * 10).lying(1, [7, 1, 7, 1, 7, 1, 7])
    )


def relapse_after_the_90_day_window() -> Diary:
    return Diary().upright(-7, [8] * 7).patch(0).upright(0, [2] * 3).upright(95, [8, 8])


def relapse_inside_the_90_day_window() -> Diary:
    return Diary().upright(-7, [8] * 7).patch(0).upright(0, [2] * 3).upright(80, [8, 8])


def improvement_only_after_a_week() -> Diary:
    # Day 8 is past the 7 days an improvement must come in: no relapse can follow it.
    return Diary().upright(-7, [8] * 7).patch(0).upright(0, [8] * 8 + [2, 2, 8, 8])


def lying_worse_on_days_without_upright_entries() -> Diary:
    return Diary().upright(-7, [8] * 7).patch(0).upright(0, [3, None, None, 3]).lying(1, [7, 7])


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        pytest.param(
            relief_then_relapse_after_two_days,
            [(0, "relapse")],
            id="relief within a day then relapse after two days is a relapse",
        ),
        pytest.param(
            first_patch_fails_second_holds,
            [(0, "relapse")],
            id="a patch that fails then a second that holds flags only the first",
        ),
        pytest.param(
            four_patches_each_relapsing,
            [(0, "relapse"), (1, "relapse"), (2, "relapse"), (3, "relapse")],
            id="four patches that each relapse give one relapse per patch",
        ),
        pytest.param(no_response, [(0, "no_response")], id="no improvement in 72 h is no response"),
        pytest.param(
            worse_lying_down_after_patch,
            [(0, "rebound_pattern")],
            id="worse lying down after a patch is a rebound pattern",
        ),
        pytest.param(
            one_stray_bad_entry_after_improvement,
            [],
            id="one stray bad entry after improvement is nothing",
        ),
        pytest.param(
            two_bad_entries_only_hours_apart,
            [],
            id="two bad entries four hours apart are not a relapse",
        ),
        pytest.param(
            one_stray_good_entry_without_improvement,
            [(0, "no_response")],
            id="one stray good entry is not an improvement",
        ),
        pytest.param(silence_after_patch, [], id="silence after a patch is nothing"),
        pytest.param(never_treated, [], id="a patient never treated has no judgements"),
        pytest.param(
            too_few_entries_for_no_response,
            [],
            id="two upright entries in 72 h are too few for no response",
        ),
        pytest.param(
            next_patch_before_72_hours,
            [(1, "no_response")],
            id="a patch followed by another within 72 h is not judged for no response",
        ),
        pytest.param(
            relapse_repeats_in_one_window,
            [(0, "relapse")],
            id="a relapse repeated in one window is flagged once",
        ),
        pytest.param(
            rebound_repeats_in_one_window,
            [(0, "rebound_pattern")],
            id="a rebound pattern repeated in one window is flagged once",
        ),
        pytest.param(
            relapse_after_the_90_day_window,
            [],
            id="headache back after 90 days is outside the window",
        ),
        pytest.param(
            relapse_inside_the_90_day_window,
            [(0, "relapse")],
            id="headache back on day 80 is still a relapse",
        ),
        pytest.param(
            improvement_only_after_a_week,
            [(0, "no_response")],
            id="an improvement after the first week cannot relapse",
        ),
        pytest.param(
            lying_worse_on_days_without_upright_entries,
            [],
            id="lying entries on days without upright entries cannot show a rebound",
        ),
    ],
)
def test_stories(build, expected):
    diary = build()
    judgements = diary.judge()
    assert diary.flags(judgements) == expected
    for judgement in judgements:
        json.dumps(judgement.evidence)  # storable as it is


def test_relapse_evidence_carries_the_numbers_a_clinician_needs():
    diary = relief_then_relapse_after_two_days()
    relapse = only(diary.judge(), "relapse")
    evidence = relapse.evidence

    assert relapse.proven_at == diary.at(2, "20:00")
    assert evidence["baseline"]["value"] == 8
    assert evidence["baseline"]["method"] == "7_days"
    assert evidence["improvement"] == {"date": diary.date(0), "score": 2, "target": 4}
    assert evidence["best"] == {"date": diary.date(0), "score": 2}
    recurrence = evidence["recurrence"]
    assert recurrence["threshold"] == 5  # halfway from 2 back to 8, and at least 4
    assert recurrence["span_hours"] == 12
    assert [e["headache"] for e in recurrence["entries"]] == [8, 8]
    assert [e["local_time"] for e in recurrence["entries"]] == [
        diary.at(2, "08:00").isoformat(),
        diary.at(2, "20:00").isoformat(),
    ]
    assert recurrence["entry_ids"] == [e["id"] for e in recurrence["entries"]]
    # 90 days of elapsed time (2160 h): across the spring change that ends at 08:00 local.
    performed_at = diary.at(0, "07:00").astimezone(UTC)
    assert evidence["window"] == {
        "start": performed_at.isoformat(),
        "end": (performed_at + timedelta(days=90)).isoformat(),
    }
    assert evidence["window"]["end"] == "2026-05-31T06:00:00+00:00"
    assert evidence["thresholds"] == Thresholds().to_dict()
    assert evidence["summary"] == (
        "Upright headache back to 8/10 on 2026-03-04, two days after improving to 2/10 "
        "on 2026-03-02; baseline 8/10 (median of the 7 days before)."
    )


def test_best_point_is_the_lowest_day_before_the_run():
    diary = Diary().upright(-7, [8] * 7).patch(0).upright(0, [3, 1, 1, 6, 6])
    relapse = only(diary.judge(), "relapse")
    assert relapse.evidence["improvement"]["score"] == 3
    assert relapse.evidence["best"] == {"date": diary.date(1), "score": 1}
    # Halfway from 1 back to 8 is 4.5: the 6s count.
    assert relapse.evidence["recurrence"]["threshold"] == 4.5
    assert "(best 1/10 on 2026-03-03)" in relapse.evidence["summary"]


def test_four_relapses_are_each_proven_two_days_after_their_patch():
    diary = four_patches_each_relapsing()
    judgements = diary.judge()
    assert [j.proven_at for j in judgements] == [diary.at(6 * n + 2, "20:00") for n in range(4)]
    assert [j.evidence["baseline"]["value"] for j in judgements] == [8, 8, 8, 8]


def test_no_response_is_proven_72_hours_after_the_patch():
    diary = no_response()
    judgement = only(diary.judge(), "no_response")
    assert judgement.proven_at == diary.at(3, "07:00")
    follow_up = judgement.evidence["follow_up"]
    assert follow_up["upright_entries"] == 6
    assert follow_up["best_score"] == 7
    assert follow_up["improvement_target"] == 4
    assert judgement.evidence["summary"] == (
        "No improvement 72 h after the epidural blood patch of 2026-03-02: 6 upright entries, "
        "best day 7/10 (improvement needs 4/10 or less); baseline 8/10 "
        "(median of the 7 days before)."
    )


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        pytest.param(71, [], id="71 hours after the patch no response is not yet due"),
        pytest.param(72, [(0, "no_response")], id="at 72 hours no response is due"),
    ],
)
def test_no_response_waits_for_72_hours(hours, expected):
    diary = no_response()
    as_of = diary.at(0, "07:00") + timedelta(hours=hours)
    assert diary.flags(diary.judge(as_of=as_of)) == expected


def test_rebound_evidence_pairs_each_lying_entry_with_the_days_upright_score():
    diary = worse_lying_down_after_patch()
    rebound = only(diary.judge(), "rebound_pattern")
    assert rebound.proven_at == diary.at(1, "21:00")
    entries = rebound.evidence["rebound"]["entries"]
    assert [(e["headache"], e["upright_day_score"]) for e in entries] == [(7, 3), (7, 3)]
    assert rebound.evidence["rebound"]["span_hours"] == 14
    assert rebound.evidence["summary"] == (
        "Headache worse lying down than upright after the epidural blood patch of 2026-03-02: "
        "lying 7/10 vs upright 3/10 on 2026-03-03, lying 7/10 vs upright 3/10 on 2026-03-03."
    )


def test_rebound_is_proven_only_once_the_upright_entry_it_compares_with_is_in():
    diary = Diary().upright(-7, [8] * 7).patch(0).lying(1, [7])
    diary.rate(1, "22:00", "standing", 3)
    rebound = only(diary.judge(), "rebound_pattern")
    assert rebound.proven_at == diary.at(1, "22:00")


def test_entries_before_the_patch_on_its_day_are_baseline_not_follow_up():
    diary = Diary().upright(-7, [8] * 7).patch(0, "12:00")
    diary.upright(0, [8], times=("08:00",)).upright(0, [2], times=("20:00",))
    diary.upright(1, [2, 8, 8])
    relapse = only(diary.judge(), "relapse")
    # Day 0 counts only its entry after the patch: 2, not the median of 8 and 2.
    assert relapse.evidence["improvement"] == {"date": diary.date(0), "score": 2, "target": 4}


def test_entries_given_late_and_out_of_order_give_the_same_result():
    diary = first_patch_fails_second_holds()
    in_order = diary.judge()
    shuffled = diary.ratings[:]
    random.Random(7).shuffle(shuffled)
    late = judge_treatments(
        ratings=list(reversed(shuffled)),
        treatments=list(reversed(diary.treatments)),
        tz=diary.tz,
        as_of=diary.last_time() + timedelta(days=365),
    )
    assert late == in_order
    # Judged the moment the last entry arrives: the same relapse, nothing missing.
    at_proof = diary.judge(as_of=in_order[0].proven_at)
    assert at_proof == in_order


def test_ratings_with_equal_times_are_ordered_by_id():
    diary = relief_then_relapse_after_two_days()
    twin = Rating("00000000-0000-0000-0000-000000000000", diary.at(2, "20:00"), "sitting", 8)
    forward = judge_treatments(
        ratings=[*diary.ratings, twin],
        treatments=diary.treatments,
        tz=diary.tz,
        as_of=diary.last_time(),
    )
    backward = judge_treatments(
        ratings=[twin, *reversed(diary.ratings)],
        treatments=diary.treatments,
        tz=diary.tz,
        as_of=diary.last_time(),
    )
    assert forward == backward


class TestFarTimeZone:
    def test_entries_around_local_midnight_fall_on_the_patients_day(self):
        # Kiritimati is UTC+14: 23:30 and 00:30 local are the same UTC date,
        # but two different days for the patient.
        diary = Diary(tz="Pacific/Kiritimati").upright(-7, [8] * 7).patch(0)
        diary.rate(0, "08:00", "standing", 8)
        late_evening = diary.rate(0, "23:30", "standing", 8)
        after_midnight = diary.rate(1, "00:30", "standing", 2)
        diary.rate(1, "12:00", "standing", 2)
        diary.upright(2, [2, 8, 8])
        assert late_evening.recorded_at.astimezone(UTC).date() == date(2026, 3, 2)
        assert after_midnight.recorded_at.astimezone(UTC).date() == date(2026, 3, 2)

        relapse = only(diary.judge(), "relapse")
        # Local 2 March is 8 (8 and 8), local 3 March is 2 (2 and 2). Grouped by
        # UTC date, 8, 2, 2 would make 2 March look improved already.
        assert relapse.evidence["improvement"]["date"] == "2026-03-03"
        assert relapse.evidence["upright_day_scores"][:2] == [
            {"date": "2026-03-02", "score": 8},
            {"date": "2026-03-03", "score": 2},
        ]
        assert relapse.proven_at == diary.at(3, "20:00")

    def test_a_patch_just_after_local_midnight_is_judged_from_that_local_day(self):
        # Auckland is UTC+13 in March: 00:10 local on 2 March is 11:10 UTC on 1 March.
        diary = Diary(tz="Pacific/Auckland").upright(-7, [8] * 7).patch(0, "00:10")
        early = diary.rate(0, "00:30", "sitting", 2)
        diary.rate(0, "23:30", "sitting", 2)
        diary.upright(1, [2, 8, 8])
        assert early.recorded_at.astimezone(UTC).date() == date(2026, 3, 1)

        relapse = only(diary.judge(), "relapse")
        assert relapse.evidence["improvement"] == {"date": "2026-03-02", "score": 2, "target": 4}
        assert relapse.evidence["recurrence"]["entries"][0]["local_date"] == "2026-03-04"


class TestDaylightSaving:
    def test_twelve_hours_over_the_spring_change_are_twelve_real_hours(self):
        # Zurich skips 02:00-03:00 on 29 March 2026: 20:00 to 08:00 is only 11 h.
        diary = Diary(start=date(2026, 3, 20)).upright(-7, [8] * 7).patch(0)
        diary.upright(0, [2] * 8)  # to 27 March
        diary.rate(8, "08:00", "standing", 2)
        first = diary.rate(8, "20:00", "standing", 8)  # 28 March
        diary.rate(9, "08:00", "standing", 8)  # 29 March, 11 h later
        last = diary.rate(9, "20:00", "standing", 8)

        relapse = only(diary.judge(), "relapse")
        assert relapse.proven_at == last.recorded_at
        recurrence = relapse.evidence["recurrence"]
        assert recurrence["entry_ids"][0] == first.id
        assert recurrence["span_hours"] == 23
        scores = {d["date"]: d["score"] for d in relapse.evidence["upright_day_scores"]}
        assert scores["2026-03-28"] == 5  # median of 2 and 8
        assert scores["2026-03-29"] == 8

    def test_twelve_hours_over_the_autumn_change_are_twelve_real_hours(self):
        # Zurich repeats 02:00-03:00 on 25 October 2026: 21:00 to 08:00 is 12 h.
        diary = Diary(start=date(2026, 10, 17)).upright(-7, [8] * 7).patch(0)
        diary.upright(0, [2] * 7)  # to 23 October
        diary.rate(7, "08:00", "standing", 2)
        diary.rate(7, "21:00", "standing", 8)  # 24 October
        proof = diary.rate(8, "08:00", "standing", 8)  # 25 October, 12 real hours later

        relapse = only(diary.judge(), "relapse")
        assert relapse.proven_at == proof.recorded_at
        assert relapse.evidence["recurrence"]["span_hours"] == 12

    def test_the_repeated_hour_is_ordered_in_real_time(self):
        # 02:10 of the second pass (CET) comes after 02:50 of the first (CEST).
        diary = Diary(start=date(2026, 10, 17)).upright(-7, [8] * 7).patch(0)
        diary.upright(0, [2] * 7)
        diary.rate(7, "20:00", "standing", 8)
        diary.rate(8, "02:50", "sitting", 2, fold=0)
        second_pass = diary.rate(8, "02:10", "sitting", 8, fold=1)
        midday = diary.rate(8, "14:20", "standing", 8)  # 12 h 10 min after second_pass

        relapse = only(diary.judge(), "relapse")
        assert relapse.evidence["recurrence"]["entry_ids"] == [second_pass.id, midday.id]
        assert relapse.proven_at == midday.recorded_at


class TestBaseline:
    def test_without_any_baseline_the_absolute_scale_is_used(self):
        diary = Diary().patch(0).upright(0, [3, 3, 5, 5, 6, 6])
        relapse = only(diary.judge(), "relapse")
        assert relapse.evidence["baseline"] == {
            "value": None,
            "method": "absolute",
            "look_back_days": None,
            "day_scores": [],
        }
        assert relapse.evidence["improvement"]["score"] == 3
        # 5/10 is not "recurred" on the absolute scale; 6/10 is.
        assert [e["headache"] for e in relapse.evidence["recurrence"]["entries"]] == [6, 6]
        assert relapse.proven_at == diary.at(4, "20:00")
        assert "absolute scale" in relapse.evidence["summary"]

    def test_absolute_scale_needs_three_or_less_to_count_as_improved(self):
        diary = Diary().patch(0).upright(0, [4, 4, 4, 8, 8])
        assert diary.flags(diary.judge()) == [(0, "no_response")]

    def test_with_too_few_recent_days_the_30_day_look_back_is_used(self):
        diary = Diary().upright(-20, [8] * 5).patch(0).upright(0, [2, 2, 8, 8])
        relapse = only(diary.judge(), "relapse")
        assert relapse.evidence["baseline"]["method"] == "30_days"
        assert relapse.evidence["baseline"]["value"] == 8
        assert relapse.evidence["baseline"]["look_back_days"] == 30

    def test_the_look_back_takes_the_median_over_all_its_days(self):
        # One day in the last week is too few; the 30 days hold five 6s and that 8.
        diary = Diary().upright(-20, [6] * 5).upright(-1, [8]).patch(0)
        diary.upright(0, [3, 3, 6, 6])
        relapse = only(diary.judge(), "relapse")
        assert relapse.evidence["baseline"]["value"] == 6
        assert relapse.evidence["baseline"]["method"] == "30_days"
        assert relapse.evidence["recurrence"]["threshold"] == 4.5

    def test_entries_older_than_30_days_are_no_baseline(self):
        diary = Diary().upright(-40, [8] * 5).patch(0).upright(0, [2, 2])
        assert diary.judge() == []
        diary.upright(
            2, [5, 5]
        )  # 5 is a relapse against a baseline of 8, not on the absolute scale
        assert diary.judge() == []


class TestThresholds:
    @staticmethod
    def build() -> Diary:
        # Baseline 6, best 1: halfway back is 3.5, so the floor of 4 decides; 5s count.
        return Diary().upright(-7, [6] * 7).patch(0).upright(0, [1, 1, 5, 5, 5])

    @pytest.mark.parametrize(
        ("overrides", "expected"),
        [
            pytest.param({}, [(0, "relapse")], id="by default a climb back to 5 is a relapse"),
            pytest.param(
                {"relapse_min_score": 6},
                [],
                id="with relapse at 6 or more a climb back to 5 is not",
            ),
            pytest.param(
                {"relapse_min_entries": 3},
                [(0, "relapse")],
                id="asking for three entries still finds three",
            ),
            pytest.param(
                {"relapse_min_span_hours": 72},
                [],
                id="asking for three days of headache finds too few",
            ),
            pytest.param(
                {"improvement_ratio": 0.1},
                [],
                id="with a stricter improvement 1 of 6 is not improved",
            ),
        ],
    )
    def test_overriding_a_threshold_changes_the_outcome(self, overrides, expected):
        diary = self.build()
        thresholds = Thresholds.from_overrides(overrides)
        judgements = diary.judge(thresholds=thresholds)
        assert diary.flags([j for j in judgements if j.kind == "relapse"]) == expected
        for judgement in judgements:
            assert judgement.evidence["thresholds"] == thresholds.to_dict()


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        Rating("r", datetime(2026, 3, 2, 8, 0), "standing", 5)  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        TreatmentEvent("t", datetime(2026, 3, 2, 8, 0), "epidural_blood_patch")  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        judge_treatments(
            ratings=[],
            treatments=[],
            tz="UTC",
            as_of=datetime(2026, 3, 2),  # noqa: DTZ001
        )


@pytest.mark.parametrize(
    ("posture", "headache"),
    [
        pytest.param("walking", 5, id="an unknown posture is refused"),
        pytest.param("standing", 11, id="a headache above 10 is refused"),
        pytest.param("standing", -1, id="a negative headache is refused"),
        pytest.param("standing", True, id="a boolean headache is refused"),
    ],
)
def test_bad_ratings_are_refused(posture, headache):
    with pytest.raises(ValueError):
        Rating("r", datetime(2026, 3, 2, 8, 0, tzinfo=UTC), posture, headache)
