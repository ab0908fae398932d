"""On PostgreSQL the audit trail becomes a table partitioned by month of `occurred_at`.

The rows are copied into the new table (every row into its month, ids and
values unchanged, counted on both sides) and the old table is dropped, in the
migration's one transaction: the trail is locked while it runs, which for a
large trail means a maintenance window (docs/audit.md). Partitions are made
for every month that holds events, for the current month and the next
`AHEAD`, plus a default partition that catches an event no month was made for.

The table's primary key becomes (id, occurred_at): a partitioned table's
unique keys must hold the partition key. Django keeps `id` as the model's
primary key (the ids stay unique: one sequence hands them out); a
`CompositePrimaryKey` would keep the model out of the admin.

The index on (actor_id, occurred_at) goes on every database: nothing reads
the trail by actor (the admin searches usernames by substring, which no
index serves), and it cost about a tenth of the table (bench/audit_size.py).

SQLite keeps one plain table.
"""

import datetime

from django.db import migrations
from django.utils import timezone

TABLE = "audit_auditevent"
AHEAD = 3  # months made in advance, as the daily job does (AUDIT_PARTITIONS_AHEAD)
# (name, definition) of the indexes beside the primary key, as Django named them.
INDEXES = (
    ("audit_auditevent_occurred_at_1f007848", "(occurred_at)"),
    ("audit_patient_time", "(patient_id, occurred_at)"),
)
TRIGGER = (
    f"CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
)


def _month(value: datetime.datetime) -> datetime.date:
    return value.astimezone(datetime.UTC).date().replace(day=1)


def _next(month: datetime.date) -> datetime.date:
    return (month + datetime.timedelta(days=32)).replace(day=1)


def _rebuild(cursor, *, partitioned: bool) -> None:
    """Move the trail into a new table of the other kind, row for row."""
    cursor.execute(f"SELECT pg_get_serial_sequence('{TABLE}', 'id')")
    (previous_sequence,) = cursor.fetchone()
    cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {TABLE}_previous")
    cursor.execute(f"ALTER INDEX {TABLE}_pkey RENAME TO {TABLE}_previous_pkey")
    for name, _ in INDEXES:
        cursor.execute(f"ALTER INDEX {name} RENAME TO {name}_previous")
    cursor.execute(
        f"CREATE TABLE {TABLE} (LIKE {TABLE}_previous INCLUDING DEFAULTS INCLUDING IDENTITY "
        "INCLUDING CONSTRAINTS INCLUDING STORAGE)"
        + (" PARTITION BY RANGE (occurred_at)" if partitioned else "")
    )
    key = "(id, occurred_at)" if partitioned else "(id)"
    cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY {key}")
    for name, columns in INDEXES:
        cursor.execute(f"CREATE INDEX {name} ON {TABLE} {columns}")
    cursor.execute(TRIGGER)
    if partitioned:
        cursor.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
        cursor.execute(
            f"SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date "
            f"FROM {TABLE}_previous"
        )
        months = {month for (month,) in cursor.fetchall()}
        month = _month(timezone.now())
        for _ in range(AHEAD + 1):
            months.add(month)
            month = _next(month)
        for month in sorted(months):
            cursor.execute(
                f"CREATE TABLE {TABLE}_y{month:%Y}m{month:%m} PARTITION OF {TABLE} "
                "FOR VALUES FROM (%s) TO (%s)",
                [f"{month} 00:00+00", f"{_next(month)} 00:00+00"],
            )
    cursor.execute(
        "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        [f"{TABLE}_previous"],
    )
    (columns,) = cursor.fetchone()
    cursor.execute(f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM {TABLE}_previous")
    copied = cursor.rowcount
    cursor.execute(f"SELECT count(*) FROM {TABLE}_previous")
    (count,) = cursor.fetchone()
    if copied != count:
        raise RuntimeError(f"audit trail: {copied} of {count} events copied; nothing changed")
    # The new sequence goes on where the old one stood: an id is never handed out twice.
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'id'), last_value, is_called) "
        f"FROM {previous_sequence}"
    )
    cursor.execute(f"DROP TABLE {TABLE}_previous")  # and its sequence
    cursor.execute(f"SELECT pg_get_serial_sequence('{TABLE}', 'id')")
    (sequence,) = cursor.fetchone()
    cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {TABLE}_id_seq")
    cursor.execute(f"ANALYZE {TABLE}")  # the planner's figures for the new tables


def _on_postgresql(partitioned: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                _rebuild(cursor, partitioned=partitioned)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_logout_action")]

    operations = [
        migrations.RemoveIndex(model_name="auditevent", name="audit_actor_time"),
        migrations.RunPython(_on_postgresql(True), _on_postgresql(False)),
    ]
