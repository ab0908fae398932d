"""The judgement rules' second edition, told by the clinical stories they come from."""

from datetime import UTC, timedelta

import pytest

from diary.analysis import assess_treatments
from tests.diary.analysis.scenario import Diary, only

ONCE_A_DAY = ("12:00",)


class TestBaselineAfterAnEarlierTreatment:
    @staticmethod
    def second_patch_two_days_into_a_relapse() -> Diary:
        # The first patch holds for five days (2/10), the headache is back on days 5
        # and 6, and the second patch on day 7 cures it.
        diary = Diary().upright(-7, [8] * 7).patch(0).upright(0, [2, 2, 2, 2, 2, 8, 8])
        return diary.patch(7).upright(7, [2] * 7)

    def test_the_cure_is_not_called_a_failure(self):
        diary = self.second_patch_two_days_into_a_relapse()
        # First edition: the second patch's baseline was the median of 2,2,2,2,2,8,8 = 2,
        # so 2/10 after it was "no improvement" and a cure was flagged no_response.
        assert diary.flags(diary.judge()) == [(0, "relapse")]

    def test_the_days_the_first_patch_held_are_left_out_of_the_baseline(self):
        diary = self.second_patch_two_days_into_a_relapse()
        first, second = assess(diary)
        assert (second.baseline, second.baseline_method) == (8, "7_days")
        assert (second.improved_on, second.improved_by_72h) == (diary.at(7, "00:00").date(), True)
        assert first.relapse_proven_at == diary.at(5, "20:00")

    def test_the_evidence_says_which_days_were_left_out(self):
        # The same course, but the second patch does nothing.
        diary = Diary().upright(-7, [8] * 7).patch(0).upright(0, [2, 2, 2, 2, 2, 8, 8])
        diary.patch(7).upright(7, [8] * 7)
        judgement = only(diary.judge(), "no_response")
        assert judgement.treatment_id == diary.treatments[1].id
        assert judgement.evidence["baseline"] == {
            "value": 8,
            "method": "7_days",
            "look_back_days": 7,
            # Days 0-4 held (improved on day 0, the relapse run began on day 5).
            "day_scores": [
                {"date": diary.date(5), "score": 8},
                {"date": diary.date(6), "score": 8},
            ],
            "left_out": [
                {"treatment": diary.treatments[0].id, "from": diary.date(0), "to": diary.date(4)}
            ],
        }
        assert judgement.evidence["summary"].endswith(
            "baseline 8/10 (median of the 7 days before, "
            "leaving out the days an earlier treatment was holding)."
        )

    def test_with_no_day_left_the_earlier_treatments_baseline_is_used(self):
        # Well for six weeks after the first patch; a second patch on day 40 and the
        # patient stays at 3/10. Every day of the 30-day look-back was a holding day.
        diary = Diary().upright(-7, [8] * 7).patch(0).upright(0, [2] * 40)
        diary.patch(40).upright(40, [3] * 7, times=("08:00", "14:00", "20:00"))
        # Against the 2/10 of the good weeks, 3/10 would have been "no response".
        assert diary.flags(diary.judge()) == []
        _, second = assess(diary)
        assert (second.baseline, second.baseline_method) == (8, "earlier_treatment")

    def test_the_earlier_baseline_shows_in_the_summary(self):
        diary = Diary().upright(-7, [8] * 7).patch(0).upright(0, [2] * 40)
        diary.patch(40).upright(40, [7] * 7)
        judgement = only(diary.judge(), "no_response")
        evidence = judgement.evidence["baseline"]
        assert (evidence["method"], evidence["value"]) == ("earlier_treatment", 8)
        assert evidence["earlier_treatment"] == diary.treatments[0].id
        assert evidence["left_out"] == [
            # Its window ended at the second patch, on day 40.
            {"treatment": diary.treatments[0].id, "from": diary.date(0), "to": diary.date(40)}
        ]
        assert judgement.evidence["summary"].endswith(
            "baseline 8/10 (the earlier treatment's, every day since it was holding)."
        )

    def test_a_treatment_that_never_improved_leaves_its_days_in(self):
        diary = Diary().upright(-7, [8] * 7).patch(0).upright(0, [7] * 7).patch(7)
        diary.upright(7, [3] * 5)
        # Baseline 7 (days 0-6): 3/10 after the second patch is an improvement.
        assert diary.flags(diary.judge()) == [(0, "no_response")]
        _, second = assess(diary)
        assert (second.baseline, second.improved_by_72h) == (7, True)


def assess(diary: Diary, **kwargs):
    return assess_treatments(
        ratings=diary.ratings,
        treatments=diary.treatments,
        tz=diary.tz,
        as_of=kwargs.get("as_of", diary.last_time() + timedelta(days=365)),
    )


class TestTheOnceADayLogger:
    @staticmethod
    def failed_patch() -> Diary:
        # One upright rating at noon, and none on day 3: two entries by 72 h.
        diary = Diary().upright(-7, [8] * 7, times=ONCE_A_DAY).patch(0)
        return diary.upright(1, [8, 8, None, 8, 7, 8, 8], times=ONCE_A_DAY)

    def test_a_failed_patch_is_flagged_at_the_end_of_day_seven(self):
        diary = self.failed_patch()
        judgement = only(diary.judge(), "no_response")
        # The local midnight after day 7, the end of the improvement window.
        assert judgement.proven_at == diary.at(8, "00:00")
        follow_up = judgement.evidence["follow_up"]
        assert follow_up["checkpoint"] == "7d"
        assert follow_up["upright_entries"] == 6
        assert follow_up["until"] == "2026-03-09T23:00:00+00:00"
        assert judgement.evidence["summary"].startswith(
            "No improvement by the end of day 7 after the epidural blood patch of 2026-03-02: "
            "6 upright entries, best day 7/10"
        )

    @pytest.mark.parametrize(
        ("as_of_day", "hhmm", "expected"),
        [
            pytest.param(3, "07:00", [], id="at 72 hours two entries are too few"),
            pytest.param(7, "23:59", [], id="during day 7 it is not yet due"),
            pytest.param(8, "00:00", [(0, "no_response")], id="at the end of day 7 it is due"),
        ],
    )
    def test_the_second_checkpoint_waits_for_the_end_of_the_window(self, as_of_day, hhmm, expected):
        diary = self.failed_patch()
        assert diary.flags(diary.judge(as_of=diary.at(as_of_day, hhmm))) == expected

    def test_an_improvement_on_day_five_is_no_failure(self):
        diary = Diary().upright(-7, [8] * 7, times=ONCE_A_DAY).patch(0)
        diary.upright(1, [8, 8, None, 3, 3, 3], times=ONCE_A_DAY)
        assert diary.judge() == []
        [course] = assess(diary)
        assert (course.improved_by_72h, course.improved_within_7d) == (False, True)
        assert course.improved_at == diary.at(4, "12:00")

    def test_fewer_than_three_entries_in_the_week_is_still_silence(self):
        diary = Diary().upright(-7, [8] * 7, times=ONCE_A_DAY).patch(0)
        diary.upright(1, [8, None, None, None, 8], times=ONCE_A_DAY)
        assert diary.judge() == []
        [course] = assess(diary)
        assert (course.upright_entries_7d, course.evaluable) == (2, False)

    def test_a_next_patch_before_day_seven_leaves_the_week_unjudged(self):
        diary = self.failed_patch().patch(5, "13:00")
        assert [kind for index, kind in diary.flags(diary.judge()) if index == 0] == []

    def test_a_frequent_logger_is_still_decided_at_72_hours(self):
        diary = Diary().upright(-7, [8] * 7).patch(0).upright(0, [8, 7, 8, 8, 7, 8])
        judgement = only(diary.judge(), "no_response")
        assert judgement.evidence["follow_up"]["checkpoint"] == "72h"
        assert judgement.proven_at == diary.at(3, "07:00")

    def test_an_improvement_seen_by_72_hours_stands_at_day_seven(self):
        # Day 3 at 06:00 (before the 72 h mark at 07:00) reads 2/10; later that day
        # and after it, 8/10. By 72 h: two entries, the first day unimproved, the
        # second improved on what was logged by then.
        diary = Diary().upright(-7, [8] * 7, times=ONCE_A_DAY).patch(0)
        diary.rate(1, "12:00", "standing", 8)
        diary.rate(3, "06:00", "standing", 2)
        diary.upright(3, [8, 8, 8, 8, 8], times=("20:00", "21:00"))
        [course] = assess(diary)
        assert course.improved_by_72h
        assert [j.kind for j in course.judgements] == []


class TestTheCourse:
    def test_relief_within_a_day_then_relapse_after_two(self):
        diary = Diary().upright(-7, [8] * 7).patch(0).upright(0, [2, 2, 8, 8, 8])
        [course] = assess(diary)
        assert course.evaluable
        assert course.upright_entries_7d == 10
        assert course.improved_on == diary.at(0, "00:00").date()
        assert course.improved_at == diary.at(0, "20:00")  # the day's score rests on both
        assert (course.improved_by_72h, course.improved_within_7d) == (True, True)
        assert course.relapse_proven_at == diary.at(2, "20:00")
        assert course.improvement_window_end == diary.at(8, "00:00")
        assert [j.kind for j in course.judgements] == ["relapse"]

    def test_follow_up_is_censored_at_the_last_upright_entry(self):
        diary = Diary().upright(-7, [8] * 7).patch(0).upright(0, [2] * 10)
        diary.lying(12, [1])  # lying entries do not extend it
        [course] = assess(diary)
        assert course.relapse_proven_at is None
        assert course.followed_until == diary.at(9, "20:00")

    def test_follow_up_is_censored_at_the_next_treatment(self):
        diary = Diary().upright(-7, [8] * 7).patch(0).upright(0, [2] * 10).patch(6, "09:00")
        first, _ = assess(diary)
        assert first.followed_until == diary.at(6, "09:00")

    def test_follow_up_is_censored_at_the_end_of_the_window(self):
        diary = Diary().upright(-7, [8] * 7).patch(0).upright(0, [2] * 3).upright(95, [2])
        [course] = assess(diary)
        assert course.followed_until == diary.at(0, "07:00").astimezone(UTC) + timedelta(days=90)

    def test_a_silent_patient_is_followed_for_no_time(self):
        diary = Diary().upright(-7, [8] * 7).patch(0)
        [course] = assess(diary)
        assert course.followed_until == diary.at(0, "07:00")
        assert not course.evaluable
        assert course.improved_on is None
