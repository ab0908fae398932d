"""The sync fast path for well-formed entries never disagrees with EntrySerializer."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
import time_machine
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from api.serializers.entry_fast_path import entry_fast_path
from api.serializers.records import EntrySerializer
from diary.labels import TRIGGERS
from diary.models import Posture
from diary.symptoms import SYMPTOMS

TRIGGER_CODES = list(TRIGGERS)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PROPERTY = settings(
    max_examples=600, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

# Hypothesis takes naive bounds and puts the drawn offset on them.
offsets = st.integers(-24 * 60 + 1, 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
moments = st.datetimes(
    min_value=datetime(1, 1, 2),  # noqa: DTZ001
    max_value=datetime(9999, 12, 30),  # noqa: DTZ001
    timezones=offsets,
)
recent = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001
    max_value=datetime(2026, 11, 23, 12, 9),  # noqa: DTZ001
    timezones=offsets,
)
# What a phone sends: a real zone's offset, a time in the past.
app_moments = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001
    max_value=datetime(2026, 11, 22),  # noqa: DTZ001
    timezones=st.integers(-12 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m))),
)


def iso(moment: datetime, timespec: str) -> str:
    return moment.isoformat(timespec=timespec)


# Each field: what the app sends, and what a buggy or hostile client might.
recorded_at = st.one_of(
    st.builds(iso, recent, st.sampled_from(["seconds", "minutes", "microseconds"])),
    st.builds(iso, moments, st.just("seconds")),
    recent.map(lambda m: m.replace(tzinfo=None).isoformat()),  # no offset
    recent.map(lambda m: m.astimezone(UTC).isoformat().replace("+00:00", "Z")),
    st.sampled_from(["", "2026-03-04", "yesterday", "2026-13-01T00:00:00Z", "1899-12-31T23:00Z"]),
    st.integers(),
    st.none(),
)
whole = st.one_of(
    st.integers(-3, 12),
    st.integers(-(2**40), 2**40),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(0, 12).map(str),
    st.none(),
)
symptoms = st.one_of(
    st.lists(st.sampled_from(SYMPTOMS), max_size=len(SYMPTOMS) + 3),
    st.lists(st.sampled_from([*SYMPTOMS[:3], "Nausea", "", "unknown"]), max_size=4),
    st.lists(st.integers(), max_size=2),
    st.sampled_from(["nausea", {"nausea": True}, None]),
)
triggers = st.one_of(
    st.lists(st.sampled_from(TRIGGER_CODES), max_size=len(TRIGGER_CODES) + 2),
    st.lists(st.sampled_from(["sitting_up", "Sitting_up", "", "nausea"]), max_size=3),
    st.sampled_from(["standing", None]),
)
note = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=st.characters(codec=None, categories=["Cs", "Zs", "Cc", "Ll"]), max_size=8),
    st.sampled_from(["", "   ", " \x00 ", "a\x00", "x" * 2000, " " + "x" * 2000 + " ", "x" * 2001]),
    st.integers(),
    st.none(),
)
client_id = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda u: u.hex),
    st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(lambda u: f"{{{u}}}"),
    st.uuids().map(lambda u: u.int),
    st.text(max_size=10),
    st.none(),
)
FIELDS = {
    "id": client_id,
    "recorded_at": recorded_at,
    "posture": st.one_of(st.sampled_from([*Posture.values, "Lying", "", "upright"]), st.none()),
    "headache": whole,
    "minutes_in_posture": whole,
    "onset_minutes": whole,
    "relief_minutes": whole,
    "symptoms": symptoms,
    "triggers": triggers,
    "note": note,
    "patient": st.uuids().map(str),  # read-only: the serializer ignores it
    "unknown": st.integers(),
}


def well_formed_entry(
    draw_posture, headache, minutes, extra, moment, symptoms_, note_, id_, triggers_=None
):
    entry = {"id": id_, "recorded_at": moment, "posture": draw_posture, "headache": headache}
    if minutes is not None:
        entry["minutes_in_posture"] = minutes
    if draw_posture == "lying":
        entry["relief_minutes"] = extra
    else:
        entry["onset_minutes"] = extra
    if symptoms_ is not None:
        entry["symptoms"] = symptoms_
    if triggers_ is not None:
        entry["triggers"] = triggers_
    if note_ is not None:
        entry["note"] = note_
    return entry


well_formed = st.builds(
    well_formed_entry,
    st.sampled_from(Posture.values),
    st.integers(0, 10),
    st.none() | st.integers(0, 30 * 24 * 60),
    st.none() | st.integers(0, 24 * 60),
    st.builds(iso, app_moments, st.just("seconds")),
    st.none() | st.lists(st.sampled_from(SYMPTOMS), max_size=5),
    st.none() | st.text(st.characters(codec="utf-8", exclude_categories=["Cc"]), max_size=50),
    st.uuids().map(str),
    st.none() | st.lists(st.sampled_from(TRIGGER_CODES), max_size=3),
)


def altered(base: dict, changes: dict, dropped: set) -> dict:
    return {k: v for k, v in {**base, **changes}.items() if k not in dropped}


# Mostly what the app sends with a few fields changed or left out, so that
# nearly-valid entries (the ones a shortcut could wrongly accept) are common.
items = st.one_of(
    st.builds(
        altered,
        well_formed,
        st.lists(st.sampled_from(sorted(FIELDS)), max_size=2, unique=True).flatmap(
            lambda names: st.fixed_dictionaries({name: FIELDS[name] for name in names})
        ),
        st.sets(st.sampled_from(sorted(FIELDS)), max_size=1),
    ),
    st.fixed_dictionaries({}, optional=FIELDS),
    st.lists(st.integers(), max_size=2),
    st.text(max_size=5),
    st.none(),
)


def parsed_id(raw):
    try:
        return uuid.UUID(str(raw["id"]))
    except (KeyError, ValueError):
        return None


def by_serializer(raw):
    try:
        return dict(EntrySerializer().run_validation(raw))
    except ValidationError:
        return None


def comparable(values):
    """Aware datetimes compare equal across offsets; the offset matters here too."""
    if values is None:
        return None
    return {k: (v, v.utcoffset()) if isinstance(v, datetime) else v for k, v in values.items()}


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


BASE = {"id": str(uuid.UUID(int=1)), "recorded_at": "2026-11-23T07:30:00+01:00", "headache": 4}


@PROPERTY
@given(raw=items)
# Boundaries a shortcut is likely to get wrong, tried on every run.
@example(raw={**BASE, "posture": "sitting", "note": "  dizzy  "})
@example(raw={**BASE, "posture": "sitting", "note": " " + "x" * 2000 + " "})
@example(raw={**BASE, "posture": "sitting", "note": "x" * 2001})
@example(raw={**BASE, "posture": "sitting", "note": "tinnitus \ud83d"})  # half an emoji
@example(raw={**BASE, "posture": "sitting", "relief_minutes": 5})
@example(raw={**BASE, "posture": "sitting", "recorded_at": "2026-11-20T07:30:00+18:01"})
@example(raw={**BASE, "posture": "sitting", "recorded_at": "2026-11-20T07:30:00-18:00"})
@example(raw={**BASE, "posture": "sitting", "recorded_at": "1899-12-31T23:30:00-00:20"})
@example(raw={**BASE, "posture": "sitting", "recorded_at": "0001-01-01T00:00:00+01:00"})
@example(raw={**BASE, "posture": "sitting", "recorded_at": "1900-01-01T00:10:00+00:20"})
@example(raw={**BASE, "posture": "sitting", "id": 12345678901234567890123456789012})
@example(raw={**BASE, "posture": "sitting", "recorded_at": "2026-11-20 07:30:00+01:00"})
@example(raw={**BASE, "posture": "sitting", "recorded_at": "2026-11-20T07:30:00"})
@example(raw={**BASE, "posture": "lying", "minutes_in_posture": -1})
@example(raw={**BASE, "posture": "lying", "headache": None})
@example(raw={**BASE, "posture": "lying", "symptoms": [SYMPTOMS[0]] * (len(SYMPTOMS) + 1)})
@example(raw={**BASE, "posture": "lying", "headache": True})
def test_the_fast_path_answers_only_what_the_serializer_would(raw):
    fast = entry_fast_path()(raw)

    if fast is not None:
        assert comparable(fast) == comparable(by_serializer(raw))
    # The same with the id parsed beforehand, as the sync view passes it.
    if isinstance(raw, dict) and (parsed := parsed_id(raw)) is not None:
        assert comparable(entry_fast_path()(raw, parsed)) == comparable(fast)


@PROPERTY
@given(raw=well_formed)
def test_what_the_app_sends_takes_the_fast_path(raw):
    fast = entry_fast_path()(raw)

    assert fast is not None
    assert comparable(fast) == comparable(by_serializer(raw))


@pytest.mark.parametrize(
    "change",
    [
        {"headache": 11},
        {"headache": "5"},  # the serializer accepts it; the fast path leaves it to it
        {"posture": "lying", "onset_minutes": 5},
        {"recorded_at": "2026-11-23T13:30:00+01:00"},  # 30 min ahead of the frozen clock
        {"recorded_at": "2026-11-23T07:30:00"},
        {"note": "a\x00b"},
        {"symptoms": ["nausea", "nausea!"]},
        {"id": None},
        {"created_at": "2026-11-23T07:30:00Z"},
    ],
)
def test_anything_unusual_is_left_to_the_serializer(change):
    raw = {
        "id": str(uuid.uuid4()),
        "recorded_at": "2026-11-23T07:30:00+01:00",
        "posture": "standing",
        "headache": 6,
    }
    assert entry_fast_path()(raw) is not None

    assert entry_fast_path()({**raw, **change}) is None
