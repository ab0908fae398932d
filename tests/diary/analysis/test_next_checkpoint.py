"""Each course's next checkpoint: when time alone can next change a verdict."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from diary.analysis import assess_treatments
from tests.diary.analysis.scenario import Diary
from tests.diary.analysis.test_properties import DAYS, FIRST_DAY, PROPERTY, patients

ONCE_A_DAY = ("12:00",)


def next_checkpoint(diary: Diary, as_of: datetime, index: int = 0) -> datetime | None:
    courses = assess_treatments(
        ratings=diary.ratings, treatments=diary.treatments, tz=diary.tz, as_of=as_of
    )
    return courses[index].next_checkpoint_at


def no_response() -> Diary:
    """Eight a day before and after a patch on day 0 at 07:00 (Zurich): nothing helps."""
    return Diary().upright(-7, [8] * 7).patch(0).upright(0, [8] * 8)


class TestTheSeventyTwoHourCheckpoint:
    def test_is_next_from_the_treatment_until_it_passes(self):
        diary = no_response()
        due = diary.at(3, "07:00")  # 72 h after the patch

        for as_of in (diary.at(0, "07:00"), diary.at(1, "12:00"), due - timedelta(seconds=1)):
            assert next_checkpoint(diary, as_of) == due

    def test_is_waited_for_even_before_any_entry_is_logged(self):
        # Entries may still come; each write judges again, the clock needs the due time.
        diary = Diary().upright(-7, [8] * 7).patch(0)

        assert next_checkpoint(diary, diary.at(0, "08:00")) == diary.at(3, "07:00")

    def test_once_it_has_decided_nothing_is_left_to_wait_for(self):
        diary = no_response()
        due = diary.at(3, "07:00")

        assert next_checkpoint(diary, due) is None
        assert [j.kind for j in diary.judge(as_of=due)] == ["no_response"]

    def test_an_improvement_by_72_hours_leaves_nothing_to_wait_for(self):
        diary = Diary().upright(-7, [8] * 7).patch(0).upright(0, [2] * 8)

        assert next_checkpoint(diary, diary.at(3, "07:00")) is None

    def test_a_next_treatment_before_72_hours_cancels_it(self):
        diary = no_response().patch(2)

        assert next_checkpoint(diary, diary.at(0, "08:00"), index=0) is None
        assert next_checkpoint(diary, diary.at(2, "08:00"), index=1) == diary.at(5, "07:00")


class TestTheSevenDayCheckpointForLowLoggers:
    @staticmethod
    def low_logger() -> Diary:
        # One upright entry a day at noon, starting on day 1: two by the 72 h mark.
        return Diary().upright(-7, [8] * 7).patch(0).upright(1, [8] * 7, times=ONCE_A_DAY)

    def test_follows_the_72_hour_checkpoint(self):
        diary = self.low_logger()
        window_end = diary.at(8, "00:00")  # the local midnight after day 7

        assert next_checkpoint(diary, diary.at(1, "13:00")) == diary.at(3, "07:00")
        assert next_checkpoint(diary, diary.at(3, "07:00")) == window_end
        assert next_checkpoint(diary, window_end - timedelta(microseconds=1)) == window_end
        assert diary.judge(as_of=window_end - timedelta(microseconds=1)) == []

    def test_once_passed_nothing_is_left_to_wait_for(self):
        diary = self.low_logger()
        window_end = diary.at(8, "00:00")

        assert next_checkpoint(diary, window_end) is None
        [judgement] = diary.judge(as_of=window_end)
        assert judgement.evidence["follow_up"]["checkpoint"] == "7d"

    def test_a_next_treatment_before_day_7_cancels_it(self):
        diary = self.low_logger().patch(5)

        assert next_checkpoint(diary, diary.at(3, "07:00"), index=0) is None

    def test_is_the_local_midnight_across_a_daylight_saving_change(self):
        # Zurich moves to summer time on 29 March 2026: the patch's day 7 ends at
        # 22:00 UTC, not 23:00, while 72 h stays 72 elapsed hours.
        diary = Diary(start=date(2026, 3, 25)).upright(-7, [8] * 7).patch(0)
        diary.upright(1, [8] * 7, times=ONCE_A_DAY)

        assert next_checkpoint(diary, diary.at(0, "08:00")) == datetime(
            2026, 3, 28, 6, 0, tzinfo=UTC
        )
        assert next_checkpoint(diary, datetime(2026, 3, 28, 6, 0, tzinfo=UTC)) == datetime(
            2026, 4, 1, 22, 0, tzinfo=UTC
        )


@PROPERTY
@given(patient=patients(), minute=st.integers(0, (DAYS + 10) * 24 * 60), fraction=st.floats(0, 1))
def test_no_verdict_changes_before_the_next_checkpoint(patient, minute, fraction):
    """What the scheduled judgement relies on: between now and the stored checkpoint,
    with no new entry, the judgement is the same; with none stored, it never changes."""
    as_of = FIRST_DAY + timedelta(minutes=minute)
    courses = assess_treatments(
        ratings=patient.ratings, treatments=patient.treatments, tz=patient.tz, as_of=as_of
    )
    now = patient.judge(as_of)
    due = [c.next_checkpoint_at for c in courses if c.next_checkpoint_at is not None]
    for course in courses:
        assert course.next_checkpoint_at is None or course.next_checkpoint_at > as_of
    if not due:
        assert patient.judge(as_of + timedelta(days=400)) == now
        return
    first = min(due)
    assert patient.judge(first - timedelta(microseconds=1)) == now
    between = min(as_of + (first - as_of) * fraction, first - timedelta(microseconds=1))
    assert patient.judge(between) == now
    # Judged at its checkpoint, a course moves on to a later one or to none.
    later = assess_treatments(
        ratings=patient.ratings, treatments=patient.treatments, tz=patient.tz, as_of=first
    )
    for before, after in zip(courses, later, strict=True):
        if before.next_checkpoint_at == first:
            assert after.next_checkpoint_at is None or after.next_checkpoint_at > first
