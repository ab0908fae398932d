"""Migration 0007 on a trail that already holds events: every row kept, each in its month.

The test walks the real migration back to the plain table of 0006, fills it,
and walks forward again, inside the test's transaction (PostgreSQL's DDL is
transactional: the test database is as it was afterwards).
"""

import datetime as dt
import json
import uuid

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from audit.partitions import DEFAULT_PARTITION, TABLE, month_of, partition_name

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("postgres_only")]

BEFORE, AFTER = ("audit", "0006_logout_action"), ("audit", "0007_partition_by_month")
COLUMNS = (
    "id, occurred_at, actor_id, actor_username, actor_role, action, record_type, record_id, "
    "patient_id, ip, user_agent, request, status_code, outcome, detail"
)


def migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def partitioned() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = %s::regclass)",
            [TABLE],
        )
        return cursor.fetchone()[0]


def all_rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {COLUMNS}, tableoid::regclass::text FROM {TABLE} ORDER BY id")  # noqa: S608
        return cursor.fetchall()


def test_partitioning_a_populated_trail_keeps_every_event_and_its_id():
    migrate(BEFORE)
    assert not partitioned()
    moments = [
        dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 1, tzinfo=dt.UTC),
        dt.datetime(2025, 7, 14, 12, 30, tzinfo=dt.UTC),
        timezone.now(),
    ] * 30
    with connection.cursor() as cursor:
        for i, moment in enumerate(moments):
            cursor.execute(
                f"INSERT INTO {TABLE} (occurred_at, actor_id, actor_username, actor_role, action, "  # noqa: S608
                "record_type, record_id, patient_id, ip, user_agent, request, status_code, "
                "outcome, detail) VALUES (%s, %s, %s, 'patient', 'create', 'entry', %s, %s, %s, "
                "%s, 'POST /api/v1/entries/', %s, 'success', %s)",
                [
                    moment,
                    i if i % 3 else None,
                    f"user{i}",
                    str(uuid.uuid4()),
                    None if i % 4 == 0 else uuid.uuid4(),
                    None if i % 5 == 0 else f"10.0.0.{i % 250}",
                    f'UA "{i}", with comma',
                    None if i % 7 == 0 else 201,
                    json.dumps({"i": i} if i % 2 else {}),
                ],
            )
    before = all_rows()
    assert len(before) == 120

    migrate(AFTER)

    assert partitioned()
    after = all_rows()
    assert [row[:-1] for row in after] == [row[:-1] for row in before]
    assert {row[-1] for row in after} == {
        partition_name(month_of(moment)) for moment in moments
    }  # every event in its month, none in the default partition
    assert all(row[-1] == partition_name(month_of(row[1])) for row in after)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {DEFAULT_PARTITION}")  # noqa: S608
        assert cursor.fetchone()[0] == 0
        # This month and the next three are made, for the events to come.
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        made = {name for (name,) in cursor.fetchall()}
        month = month_of(timezone.now())
        for _ in range(4):
            assert partition_name(month) in made
            month = (month + dt.timedelta(days=32)).replace(day=1)
        # New events go on after the old ids.
        cursor.execute(
            f"INSERT INTO {TABLE} (occurred_at, actor_username, actor_role, action, "  # noqa: S608
            "record_type, record_id, user_agent, request, outcome, detail) "
            "VALUES (now(), '', '', 'login', '', '', '', '', 'success', '{}') RETURNING id"
        )
        assert cursor.fetchone()[0] > max(row[0] for row in before)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608

    # And back: the plain table of 0006 holds the same rows again.
    migrate(BEFORE)
    assert not partitioned()
    assert [row[:-1] for row in all_rows()][: len(before)] == [row[:-1] for row in before]
