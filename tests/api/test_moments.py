"""The rules for a phone's time: an offset it was taken at, within range."""

from datetime import datetime

import pytest

from api.serializers.fields import moment_problem


@pytest.mark.parametrize(
    ("moment", "problem"),
    [
        ("2026-03-04T07:30:00+01:00", None),
        ("2026-03-04T07:30:00", "naive"),
        ("2026-03-04T07:30:00+18:01", "offset"),
        ("2026-03-04T07:30:00-18:00", None),
        ("1900-01-01T00:10:00+00:20", "range"),  # 1899 in UTC
        ("1900-01-01T00:10:00-00:20", None),
        ("1901-12-31T23:59:00-18:00", None),
        ("0001-01-01T00:30:00+01:00", "range"),  # before the first datetime in UTC
    ],
)
def test_moment_rules(moment, problem):
    assert moment_problem(datetime.fromisoformat(moment)) == problem
