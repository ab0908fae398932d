"""The audit trail's monthly partitions on PostgreSQL (docs/audit.md).

Since migration 0007, `audit_auditevent` is partitioned by range of
`occurred_at`: one partition a month (UTC), named `audit_auditevent_y2026m08`,
and a default partition that takes an event no month was made for (a wrong
clock, a job that did not run), so the trail's write never fails for want of
a partition. The daily job makes the current month and the next few ahead;
when it makes a month whose events already wait in the default partition, it
moves them in. An operator archives old months (audit/archive.py): a month is
then detached, a table of its own that still refuses UPDATE and DELETE, until
it is dropped.

SQLite (the embedded default) keeps one plain table: nothing here applies.
"""

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connections, transaction

from audit.models import AuditEvent

TABLE = AuditEvent._meta.db_table
DEFAULT_PARTITION = f"{TABLE}_default"
_MONTHLY = re.compile(rf"{TABLE}_y(\d{{4}})m(\d{{2}})")
# Every change to the set of partitions holds this lock: the daily job, a
# second beat and the operator's commands never interleave their DDL.
_DDL_LOCK = 7_180_007
# DDL on the trail waits this long for its table lock, then fails (the job
# retries the next day, months ahead): audit writes must not queue behind it.
LOCK_TIMEOUT = "5s"
APPEND_ONLY_TRIGGER = (
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
)


# --- Months -------------------------------------------------------------------


def month_of(moment: datetime.datetime) -> datetime.date:
    """The first day of the UTC month `moment` falls in."""
    return moment.astimezone(datetime.UTC).date().replace(day=1)


def month_after(month: datetime.date) -> datetime.date:
    return (month.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def month_parse(text: str) -> datetime.date:
    """`2026-08` -> 2026-08-01; ValueError for anything else."""
    return datetime.datetime.strptime(text, "%Y-%m").replace(tzinfo=datetime.UTC).date()


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime.combine(month, datetime.time(), tzinfo=datetime.UTC)
    end = datetime.datetime.combine(month_after(month), datetime.time(), tzinfo=datetime.UTC)
    return start, end


def partition_name(month: datetime.date) -> str:
    return f"{TABLE}_y{month:%Y}m{month:%m}"


# --- What is there ----------------------------------------------------------------


@dataclass(frozen=True)
class Partition:
    name: str
    month: datetime.date | None  # None: the default partition
    attached: bool  # False: detached by an archive run and not dropped yet
    rows: int | None  # PostgreSQL's estimate; None before the table was first analysed
    bytes: int  # table, indexes and TOAST


def trail_partitioned(using: str = "default") -> bool:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = %s::regclass)",
            [TABLE],
        )
        return cursor.fetchone()[0]


def partitions_list(using: str = "default") -> list[Partition]:
    """The trail's partitions, and the detached months not dropped yet, by month."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.inhrelid IS NOT NULL, nullif(c.reltuples, -1)::bigint, "
            "pg_total_relation_size(c.oid) FROM pg_class c "
            "LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND i.inhparent = %s::regclass "
            "WHERE c.relkind = 'r' AND pg_table_is_visible(c.oid) "
            "AND (c.relname = %s OR c.relname ~ %s) ORDER BY c.relname",
            [TABLE, DEFAULT_PARTITION, f"^{_MONTHLY.pattern}$"],
        )
        rows = cursor.fetchall()
    partitions = []
    for name, attached, count, size in rows:
        match = _MONTHLY.fullmatch(name)
        month = datetime.date(int(match[1]), int(match[2]), 1) if match else None
        partitions.append(Partition(name, month, attached, count, size))
    return partitions


def default_months(*, before: datetime.date | None = None, using: str = "default") -> list:
    """The months of the events waiting in the default partition (before `before`)."""
    month = "date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date"
    query = f"SELECT DISTINCT {month} FROM {DEFAULT_PARTITION}"  # noqa: S608
    params = []
    if before is not None:
        query += " WHERE occurred_at < %s"
        params.append(month_bounds(before)[0])
    with connections[using].cursor() as cursor:
        cursor.execute(query + " ORDER BY 1", params)
        return [month for (month,) in cursor.fetchall()]


# --- Changing them ----------------------------------------------------------------


def _ddl_lock(cursor) -> None:
    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_DDL_LOCK])


def partitions_ensure(*, now: datetime.datetime, ahead: int, using: str = "default") -> list[str]:
    """Make this month's partition and the next `ahead` months' (the daily job).

    Safe to run twice, and from two processes at once; returns the names made.
    """
    months = [month_of(now)]
    for _ in range(ahead):
        months.append(month_after(months[-1]))
    return months_ensure(months, using=using)


def months_ensure(months: Iterable[datetime.date], *, using: str = "default") -> list[str]:
    """Make the partitions of `months` not made yet; events of those months
    waiting in the default partition move into them. A detached month (archived,
    not dropped) is not made again: late events of it stay in the default."""
    if not trail_partitioned(using):
        return []
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        _ddl_lock(cursor)
        present = {p.month for p in partitions_list(using)}
        missing = sorted(set(months) - present)
        if not missing:
            return []
        ranges = [month_bounds(month) for month in missing]
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} WHERE "  # noqa: S608
            + " OR ".join(["(occurred_at >= %s AND occurred_at < %s)"] * len(ranges))
            + ")",
            [bound for pair in ranges for bound in pair],
        )
        (waiting,) = cursor.fetchone()
        if waiting:
            # PostgreSQL will not make a month whose rows sit in the default
            # partition: set the default aside, make the months, and put its
            # rows back through the trail so each lands in its month.
            cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {DEFAULT_PARTITION}")
            cursor.execute(f"ALTER TABLE {DEFAULT_PARTITION} RENAME TO {TABLE}_default_previous")
            cursor.execute(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {TABLE} DEFAULT")
        for month, (start, end) in zip(missing, ranges, strict=True):
            cursor.execute(
                f"CREATE TABLE {partition_name(month)} PARTITION OF {TABLE} "
                "FOR VALUES FROM (%s) TO (%s)",
                [start, end],
            )
        if waiting:
            _reinsert(cursor, f"{TABLE}_default_previous")
    return [partition_name(month) for month in missing]


def _reinsert(cursor, source: str) -> None:
    columns = _column_list(cursor, TABLE)
    cursor.execute(
        f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM {source}"  # noqa: S608
    )
    moved = cursor.rowcount
    cursor.execute(f"SELECT count(*) FROM {source}")  # noqa: S608
    if cursor.fetchone()[0] != moved:
        raise RuntimeError(f"{source}: not every event was moved; nothing changed")
    cursor.execute(f"DROP TABLE {source}")


def _column_list(cursor, table: str) -> str:
    cursor.execute(
        "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        [table],
    )
    return cursor.fetchone()[0]


def month_detach(month: datetime.date, *, using: str = "default") -> str:
    """Take a month out of the trail; its table keeps refusing UPDATE and DELETE."""
    name = partition_name(month)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        _ddl_lock(cursor)
        cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {name}")
        # The trail's trigger leaves with the partition; the table gets its own.
        cursor.execute(APPEND_ONLY_TRIGGER.format(table=name))
    return name


def month_attach(month: datetime.date, *, using: str = "default") -> str:
    """Put a detached month (or a restored one) back into the trail."""
    name = partition_name(month)
    start, end = month_bounds(month)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        _ddl_lock(cursor)
        # The trail's own trigger is cloned onto the partition by ATTACH.
        cursor.execute(f"DROP TRIGGER IF EXISTS audit_event_append_only ON {name}")
        cursor.execute(
            f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)",
            [start, end],
        )
    return name


def detached_drop(month: datetime.date, *, using: str = "default") -> str:
    """Drop a detached month (only after its archive file was verified)."""
    name = partition_name(month)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        _ddl_lock(cursor)
        attached = {p.name for p in partitions_list(using) if p.attached}
        if name in attached:
            raise ValueError(f"{name} is still part of the trail: archive it first")
        cursor.execute(f"DROP TABLE {name}")
    return name
