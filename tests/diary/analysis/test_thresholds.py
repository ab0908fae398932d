"""Thresholds: DOMAIN.md defaults, overridable per clinic, refused when wrong."""

import json

import pytest

from diary.analysis import Thresholds


def test_defaults_are_the_domain_numbers():
    t = Thresholds()
    assert (t.window_days, t.baseline_days, t.baseline_fallback_days) == (90, 7, 30)
    assert (t.improvement_days, t.improvement_ratio, t.improvement_min_drop) == (7, 0.5, 2)
    assert (t.absolute_improved_max, t.absolute_recurred_min) == (3, 6)
    assert (t.relapse_fraction, t.relapse_min_score) == (0.5, 4)
    assert (t.relapse_min_entries, t.relapse_min_span_hours) == (2, 12)
    assert (t.no_response_hours, t.no_response_min_entries) == (72, 3)
    assert (t.rebound_margin, t.rebound_min_entries, t.rebound_min_span_hours) == (2, 2, 12)


@pytest.mark.parametrize("overrides", [None, {}], ids=["no overrides", "empty overrides"])
def test_no_overrides_give_the_defaults(overrides):
    assert Thresholds.from_overrides(overrides) == Thresholds()


def test_an_override_replaces_only_its_own_number():
    t = Thresholds.from_overrides({"relapse_min_score": 5, "improvement_ratio": 0.7})
    assert t.relapse_min_score == 5
    assert t.improvement_ratio == 0.7
    assert t.relapse_min_span_hours == 12


def test_a_whole_float_count_from_json_is_stored_as_an_int():
    t = Thresholds.from_overrides({"relapse_min_entries": 3.0})
    assert t.relapse_min_entries == 3
    assert isinstance(t.relapse_min_entries, int)


def test_to_dict_is_json_and_round_trips():
    t = Thresholds.from_overrides({"rebound_margin": 3})
    assert Thresholds.from_overrides(json.loads(json.dumps(t.to_dict()))) == t


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"relapse_score": 5}, "unknown threshold", id="an unknown key is refused"),
        pytest.param({"relapse_min_score": "5"}, "must be a number", id="a string is refused"),
        pytest.param({"relapse_min_score": True}, "must be a number", id="a boolean is refused"),
        pytest.param({"relapse_min_score": None}, "must be a number", id="null is refused"),
        pytest.param({"relapse_min_score": float("nan")}, "finite", id="NaN is refused"),
        pytest.param({"relapse_min_score": 11}, "<= 10", id="a score above 10 is refused"),
        pytest.param({"window_days": 0}, "> 0", id="an empty window is refused"),
        pytest.param({"improvement_ratio": 1.5}, "<= 1", id="a ratio above 1 is refused"),
        pytest.param({"relapse_min_entries": 0}, ">= 1", id="a run of no entries is refused"),
        pytest.param({"relapse_min_entries": 2.5}, "whole number", id="half an entry is refused"),
        pytest.param(
            {"baseline_days": 40},
            "baseline_fallback_days",
            id="a look-back shorter than the baseline is refused",
        ),
        pytest.param(
            {"absolute_improved_max": 7},
            "absolute_improved_max",
            id="an improvement above recurrence on the absolute scale is refused",
        ),
        pytest.param(["relapse_min_score"], "mapping", id="a list is refused"),
    ],
)
def test_bad_overrides_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        Thresholds.from_overrides(overrides)


def test_bad_numbers_are_refused_when_built_directly_too():
    with pytest.raises(ValueError, match="relapse_min_entries"):
        Thresholds(relapse_min_entries=0)
