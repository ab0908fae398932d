"""Migration 0012 on a database holding requests of the previous release.

Such a request is a mark with no moments, meaning "judge every treatment".
The migration says so in the moments, so the next write (which only widens the
stored range, diary.services.changes) cannot narrow it to its own moments. The
test walks the real migration back to 0011 and forward again, inside the
test's transaction (PostgreSQL's DDL is transactional).
"""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from diary.models import Patient
from diary.services.changes import EVERYTHING, diary_change_begin

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("postgres_only")]

BEFORE, AFTER = ("diary", "0011_follow_up_next_checkpoint"), ("diary", "0012_judgement_reach")
MARKED_AT = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)


def migrate(target) -> None:
    with connection.cursor() as cursor:
        # The fixtures' rows leave deferred foreign-key checks, which block an ALTER TABLE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def test_a_request_left_by_the_previous_release_still_judges_everything(cast):
    asked, idle = cast.patient_a, cast.patient_b
    migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE diary_patient SET evaluation_requested_at = %s WHERE id = %s",
            [MARKED_AT, asked.pk],
        )
    migrate(AFTER)

    row = Patient.objects.get(pk=asked.pk)
    assert (row.evaluation_moments_from, row.evaluation_moments_until) == EVERYTHING
    assert row.evaluation_requested_at == MARKED_AT
    untouched = Patient.objects.get(pk=idle.pk)
    assert (
        untouched.evaluation_requested_at,
        untouched.evaluation_moments_from,
        untouched.evaluation_moments_until,
    ) == (None, None, None)
    # A write before the job runs widens nothing and narrows nothing.
    diary_change_begin(patient_id=asked.pk, moments=[MARKED_AT])
    row = Patient.objects.get(pk=asked.pk)
    assert (row.evaluation_moments_from, row.evaluation_moments_until) == EVERYTHING
