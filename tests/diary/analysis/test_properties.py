"""Properties of the judgement over generated diaries."""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diary.analysis import Judgement, Rating, TreatmentEvent, assess_treatments, judge_treatments

# database=None: nothing written into the repository; modest example counts keep
# each property around a second.
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
ZONES = ["Europe/Zurich", "Pacific/Kiritimati", "America/New_York", "UTC"]
# Late March: the diaries cross the spring change in Zurich and New York.
FIRST_DAY = datetime(2026, 3, 10, tzinfo=UTC)
DAYS = 40


@dataclass(frozen=True)
class Patient:
    tz: str
    ratings: list[Rating]
    treatments: list[TreatmentEvent]

    def judge(self, as_of: datetime, ratings: list[Rating] | None = None) -> list[Judgement]:
        return judge_treatments(
            ratings=self.ratings if ratings is None else ratings,
            treatments=self.treatments,
            tz=self.tz,
            as_of=as_of,
        )

    def last_time(self) -> datetime:
        times = [r.recorded_at for r in self.ratings] + [t.performed_at for t in self.treatments]
        return max(times, default=FIRST_DAY)


def _id(prefix: int, n: int) -> str:
    return str(uuid.UUID(int=prefix << 64 | n))


def _levels(choices: list[int]) -> st.SearchStrategy[list[int]]:
    """A level per day, in blocks of a few days: bad spells, good spells."""
    blocks = st.lists(st.tuples(st.integers(1, 6), st.sampled_from(choices)), min_size=1)
    return blocks.map(
        lambda bs: ([level for length, level in bs for _ in range(length)] * DAYS)[:DAYS]
    )


@st.composite
def patients(draw, prefix: int = 1) -> Patient:
    """Spells of bad and good days, so relapses, rebounds and no responses do occur."""
    tz = draw(st.sampled_from(ZONES))
    upright_levels = draw(_levels([1, 2, 8, 9]))
    lying_levels = draw(_levels([0, 8]))
    entries = draw(
        st.lists(
            st.tuples(
                st.integers(0, DAYS * 24 * 60 - 1),  # minute of the diary
                st.sampled_from(["lying", "sitting", "standing"]),
                st.integers(-1, 1),  # noise around the day's level
            ),
            min_size=60,
            max_size=160,
        )
    )
    ratings = []
    for n, (minute, posture, noise) in enumerate(entries):
        levels = lying_levels if posture == "lying" else upright_levels
        score = min(10, max(0, levels[minute // (24 * 60)] + noise))
        at = FIRST_DAY + timedelta(minutes=minute)
        ratings.append(Rating(_id(prefix, n), at, posture, score))
    treatment_minutes = draw(
        st.lists(st.integers(5 * 24 * 60, (DAYS - 5) * 24 * 60), max_size=3, unique=True)
    )
    treatments = [
        TreatmentEvent(_id(prefix, 1000 + n), FIRST_DAY + timedelta(minutes=m), "blood_patch")
        for n, m in enumerate(treatment_minutes)
    ]
    return Patient(tz, ratings, treatments)


def _far_future(patient: Patient) -> datetime:
    return patient.last_time() + timedelta(days=365)


@PROPERTY
@given(patient=patients(), data=st.data())
def test_shuffling_the_entries_does_not_change_the_result(patient, data):
    expected = patient.judge(_far_future(patient))
    ratings = data.draw(st.permutations(patient.ratings))
    treatments = data.draw(st.permutations(patient.treatments))
    shuffled = judge_treatments(
        ratings=ratings, treatments=treatments, tz=patient.tz, as_of=_far_future(patient)
    )
    assert shuffled == expected


@PROPERTY
@given(patient=patients(), minutes=st.integers(0, 200 * 24 * 60))
def test_once_proven_a_judgement_does_not_depend_on_as_of(patient, minutes):
    final = patient.judge(_far_future(patient))
    as_of = patient.last_time() + timedelta(minutes=minutes)
    # Everything proven by as_of is there, nothing else; later as_of adds nothing new.
    assert patient.judge(as_of) == [j for j in final if j.proven_at <= as_of]
    keys = [(j.treatment_id, j.kind) for j in final]
    assert len(keys) == len(set(keys))  # each kind at most once per treatment
    for judgement in final:
        json.dumps(judgement.evidence)


@PROPERTY
@given(
    patient=patients(), old=st.lists(st.tuples(st.integers(0, 60 * 24 * 60), st.integers(0, 10)))
)
def test_entries_long_before_every_treatment_change_nothing(patient, old):
    first = min((t.performed_at for t in patient.treatments), default=FIRST_DAY)
    long_ago = first - timedelta(days=121)
    extra = [
        Rating(_id(9, n), long_ago - timedelta(minutes=minute), "standing", score)
        for n, (minute, score) in enumerate(old)
    ]
    as_of = _far_future(patient)
    assert patient.judge(as_of, [*extra, *patient.ratings]) == patient.judge(as_of)


@settings(PROPERTY, max_examples=30)
@given(a=patients(prefix=1), b=patients(prefix=2))
def test_judging_one_patient_leaves_no_trace_on_the_next(a, b):
    as_of = max(_far_future(a), _far_future(b))
    first_a = a.judge(as_of)
    alone_b = b.judge(as_of)
    assert a.judge(as_of) == first_a
    assert b.judge(as_of) == alone_b


@PROPERTY
@given(patient=patients())
def test_each_course_agrees_with_its_judgements(patient):
    as_of = _far_future(patient)
    courses = assess_treatments(
        ratings=patient.ratings, treatments=patient.treatments, tz=patient.tz, as_of=as_of
    )
    assert [j for c in courses for j in c.judgements] == patient.judge(as_of)
    assert len(courses) == len(patient.treatments)
    performed = {t.id: t.performed_at for t in patient.treatments}
    for course in courses:
        kinds = {j.kind: j for j in course.judgements}
        start = performed[course.treatment_id]
        # Improved by 72 h is improved within 7 days; only the improved relapse.
        assert course.improved_within_7d or not course.improved_by_72h
        assert course.improved_within_7d == (course.improved_on is not None)
        assert (course.relapse_proven_at is not None) == ("relapse" in kinds)
        if course.relapse_proven_at is not None:
            assert course.improved_within_7d
            assert start <= course.relapse_proven_at
        if "no_response" in kinds:
            assert not course.improved_by_72h
            if kinds["no_response"].evidence["follow_up"]["checkpoint"] == "7d":
                assert not course.improved_within_7d
                assert course.evaluable
        assert start <= course.followed_until <= start + timedelta(days=90)
        assert course.evaluable == (course.upright_entries_7d >= 3)
