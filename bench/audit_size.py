"""Audit trail size: bytes per event and where they go, before and after partitioning (issue 18).

    .venv/bin/python bench/audit_size.py [--events 200000] [--db csf_bench_audit] [--keep]

In a PostgreSQL database of its own (`csf_bench_audit`, dropped at the end
unless --keep), only the audit app migrated:

1. before: the trail as migration 0006 left it (a plain table with four
   indexes) gets N events over the last 90 days through the trail's own
   write path (`insert_rows` / `insert_fanned_out`), in time order. The
   requests that write it: patients' writes in the issue's load mix's ratio
   (70 single entry posts, one event each, to 5 20-item batches, 20 events
   alike but for the record; its sync pulls and month reads are a patient's
   own reads and write nothing), 8 % clinicians' list reads (an event per
   patient on the page, a browser's user agent) and 2 % logins. Rows go in by
   chunks: each still enters the heap and every B-tree one by one, as in a
   live trail.
2. the migration to 0007 (partitioned by month, the actor index gone) on
   those rows: its time, and the sizes it leaves (rows copied in bulk).
3. after: the trail emptied and the same events written again into the
   partitioned table (sizes of a live trail).
   Then the median time of one request's audit write (one event, one
   statement) on each table, alternating (migrating back and forth) so both
   see the same load: partitioning must not make the request path dearer.
4. archive: the complete months written as audit_archive writes them (gzip
   CSV), bytes per event on disk.

Sizes: pg_relation_size (heap), other forks (TOAST, free space and visibility
maps), pg_relation_size of each index, summed over partitions. A size
benchmark: the figures do not depend on machine load.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from bench.harness import app_env, drop_database, recreate_database, setup_django

PATIENTS, CLINICIANS = 2_000, 40
APP_UA = "CSFDiary/2.3.1 (iPhone; iOS 18.1; Scale/3.00)"
BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
DAYS = 90


def events(n: int, *, now: datetime, seed: int = 18):
    """Yield (shared row, record ids or None) per request, in time order, n events in all."""
    rng = random.Random(seed)
    patients = [(uuid.UUID(int=rng.getrandbits(128)), 1_000 + i) for i in range(PATIENTS)]
    start = now - timedelta(days=DAYS)
    step = timedelta(days=DAYS) / n
    written = 0
    while written < n:
        moment = start + step * written
        ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        roll = rng.random()
        if roll < 0.08:  # clinicians' list reads: one event per patient on the page
            clinician = rng.randrange(CLINICIANS)
            shared = {
                "occurred_at": moment,
                "actor_id": 10 + clinician,
                "actor_username": f"dr_{clinician:02d}",
                "actor_role": "clinician",
                "action": "read",
                "record_type": "entry",
                "record_id": "",
                "ip": ip,
                "user_agent": BROWSER_UA,
                "request": "GET /api/v1/entries/",
                "status_code": 200,
                "outcome": "success",
            }
            for patient, _ in rng.sample(patients, 5):
                yield {**shared, "patient_id": patient}, None
            written += 5
            continue
        patient, user = rng.choice(patients)
        shared = {
            "occurred_at": moment,
            "actor_id": user,
            "actor_username": f"patient{user}",
            "actor_role": "patient",
            "patient_id": patient,
            "ip": ip,
            "user_agent": APP_UA,
            "outcome": "success",
        }
        if roll < 0.10:  # a login
            yield (
                {
                    **shared,
                    "action": "login",
                    "request": "POST /api/v1/auth/token/",
                    "status_code": 200,
                    "patient_id": None,
                    "record_type": "",
                    "record_id": "",
                },
                None,
            )
            written += 1
        elif roll < 0.10 + 0.90 * 5 / 75:  # a 20-item batch
            batch = {
                **shared,
                "action": "create",
                "record_type": "entry",
                "request": "POST /api/v1/sync/",
                "status_code": 200,
            }
            yield batch, [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(20)]
            written += 20
        else:  # a single entry post
            yield (
                {
                    **shared,
                    "action": "create",
                    "record_type": "entry",
                    "record_id": str(uuid.UUID(int=rng.getrandbits(128))),
                    "request": "POST /api/v1/entries/",
                    "status_code": 201,
                },
                None,
            )
            written += 1


def write_events(n: int, now: datetime) -> int:
    from audit.models import AuditEvent
    from config.bulk_insert import insert_fanned_out, insert_rows

    singles, count = [], 0
    for shared, record_ids in events(n, now=now):
        if record_ids is None:
            singles.append(shared)
            count += 1
        else:
            insert_rows(AuditEvent, singles)  # keep time order
            singles = []
            insert_fanned_out(AuditEvent, shared, "record_id", record_ids)
            count += len(record_ids)
        if len(singles) >= 2_000:
            insert_rows(AuditEvent, singles)
            singles = []
    insert_rows(AuditEvent, singles)
    return count


def write_cost(calls: int, now: datetime) -> float:
    """Median ms of one request's audit write (one event, one statement, committed on
    its own, as AuditMiddleware does). synchronous_commit off: the WAL flush would
    drown the difference of interest, the executor's."""
    from django.db import connection

    from audit.services import AuditScope, PendingEvent, audit_write

    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    timings = []
    for i in range(calls):
        scope = AuditScope(ip="10.1.2.3", user_agent=APP_UA, request="POST /api/v1/entries/")
        scope.events.append(
            PendingEvent(
                action="create",
                record_type="entry",
                record_id=str(uuid.uuid4()),
                patient_id=str(uuid.uuid4()),
                actor_id=1_000 + i % PATIENTS,
                actor_username="patient",
                actor_role="patient",
                occurred_at=now,
            )
        )
        started = time.perf_counter()
        audit_write(scope, default_outcome="success", status_code=201)
        timings.append(time.perf_counter() - started)
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = on")
    return statistics.median(timings) * 1000


def sizes() -> dict:
    """Bytes of the trail (all its partitions): heap, toast, each index (by its definition)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(array_agg(relid), ARRAY['audit_auditevent'::regclass]) "
            "FROM pg_partition_tree('audit_auditevent') WHERE isleaf"
        )
        (tables,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM audit_auditevent")
        (rows,) = cursor.fetchone()
        cursor.execute(
            "SELECT sum(pg_relation_size(t)), sum(pg_total_relation_size(t) - "
            "pg_relation_size(t) - pg_indexes_size(t)) FROM unnest(%s::regclass[]) AS t",
            [tables],
        )
        heap, toast = cursor.fetchone()
        # Partitions' indexes named after what they index, summed across partitions.
        cursor.execute(
            "SELECT regexp_replace(pg_get_indexdef(i.indexrelid), '^.* USING btree ', ''), "
            "sum(pg_relation_size(i.indexrelid)) FROM pg_index i "
            "WHERE i.indrelid = ANY(%s::regclass[]) GROUP BY 1 ORDER BY 1",
            [tables],
        )
        indexes = dict(cursor.fetchall())
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'audit_auditevent'::regclass "
            "AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
        )
        columns = [name for (name,) in cursor.fetchall()]
        averages = ", ".join(f"avg(pg_column_size({c}))" for c in columns)
        cursor.execute(f"SELECT avg(pg_column_size(t.*)), {averages} FROM audit_auditevent t")  # noqa: S608
        row_bytes, *column_bytes = cursor.fetchone()
    return {
        "rows": rows,
        "heap": int(heap),
        "toast": int(toast),
        "indexes": {name: int(size) for name, size in indexes.items()},
        "tuple": float(row_bytes),
        "columns": dict(zip(columns, (float(b) for b in column_bytes), strict=True)),
    }


def per_event(figures: dict) -> float:
    return (figures["heap"] + figures["toast"] + sum(figures["indexes"].values())) / figures["rows"]


def show(label: str, figures: dict) -> None:
    n = figures["rows"]
    index_total = sum(figures["indexes"].values())
    print(
        f"{label:<34} {n:>9,} {figures['heap'] / n:>8.1f} {figures['toast'] / n:>6.1f} "
        f"{index_total / n:>8.1f} {per_event(figures):>8.1f}"
    )
    for name, size in figures["indexes"].items():
        print(f"{'':<36}index {name:<28} {size / n:>6.1f} B/event")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--writes", type=int, default=2_000, help="single writes timed")
    parser.add_argument("--rounds", type=int, default=3, help="plain/partitioned alternations")
    parser.add_argument("--db", default="csf_bench_audit")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    recreate_database(args.db)
    try:
        setup_django(app_env(args.db), migrate=False)
        from django.core.management import call_command
        from django.db import connection
        from django.utils import timezone

        from audit.archive import archive_months
        from audit.partitions import month_of

        now = timezone.now()
        call_command("migrate", "audit", "0006", verbosity=0)
        started = time.perf_counter()
        n = write_events(args.events, now)
        write_seconds = time.perf_counter() - started
        before = sizes()

        started = time.perf_counter()
        call_command("migrate", "audit", "0007", verbosity=0)
        migrate_seconds = time.perf_counter() - started
        migrated = sizes()
        assert migrated["rows"] == before["rows"] == n, (before["rows"], migrated["rows"], n)

        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_auditevent")
        write_events(args.events, now)  # the same events (seeded), the same moments
        after = sizes()

        # The request path's share: alternate the two tables (the migration both
        # ways keeps the rows), so both see the same minutes of machine load.
        costs = []
        for _ in range(args.rounds):
            call_command("migrate", "audit", "0006", verbosity=0)
            plain = write_cost(args.writes, now)
            call_command("migrate", "audit", "0007", verbosity=0)
            costs.append((plain, write_cost(args.writes, now)))

        with tempfile.TemporaryDirectory() as directory:
            archived = archive_months(
                before=month_of(now), directory=Path(directory), drop=True, now=now
            )
            archive_bytes = sum(month.file.stat().st_size for month in archived)
            archive_rows = sum(month.rows for month in archived)

        print(f"audit_size: {n:,} events over {DAYS} days, the issue's mix")
        print(f"(written in {write_seconds:.1f} s; sizes do not depend on machine load)")
        print(f"{'':<34} {'events':>9} {'heap':>8} {'other':>6} {'indexes':>8} {'B/event':>8}")
        show("before (0006: plain table)", before)
        show("after migration 0007 (bulk copy)", migrated)
        show("after (0007: partitioned, live)", after)
        print(f"row itself (pg_column_size, avg): {before['tuple']:.1f} B, of which")
        for column, size in sorted(before["columns"].items(), key=lambda item: -item[1]):
            print(f"    {column:<16} {size:>6.1f}")
        print(
            f"migration 0007 on {migrated['rows']:,} events: {migrate_seconds:.1f} s "
            f"({migrated['rows'] / migrate_seconds:,.0f} events/s)"
        )
        for plain, partitioned in costs:
            print(
                f"one request's audit write (median of {args.writes:,}): {plain:.3f} ms plain, "
                f"{partitioned:.3f} ms partitioned ({partitioned / plain:.2f}x)"
            )
        ratio = statistics.median(partitioned / plain for plain, partitioned in costs)
        print(
            f"archive: {len(archived)} complete months, {archive_rows:,} events, "
            f"{archive_bytes / 1e6:.1f} MB gzip CSV = {archive_bytes / archive_rows:.1f} B/event"
        )
        print(
            f"audit_size: {per_event(before):.0f} B/event before, {per_event(after):.0f} after "
            f"({per_event(after) / per_event(before):.2f}x), archived "
            f"{archive_bytes / archive_rows:.0f} B/event, write {ratio:.2f}x"
        )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(args.db)


if __name__ == "__main__":
    main()
