"""Archive files of the audit trail: months taken out of PostgreSQL, readable without it.

`archive_months` detaches every month before a cut-off from the trail, writes
each to a file, reads the file back and compares it with the table, and drops
the table only when asked and only after that comparison held. A month's
files, all written with mode 0600:

- `audit_auditevent_y2026m08.csv.gz`: PostgreSQL's `COPY ... (FORMAT csv,
  HEADER)` of the month, ordered by (occurred_at, id), times in UTC, gzip
  without a timestamp (the same events always give the same bytes). An empty
  unquoted field is NULL; the nullable columns are not text, so an empty
  field there can only mean NULL.
- `audit_auditevent_y2026m08.manifest.json`: what the file holds (month, rows,
  first and last id and time, columns and their types) and its SHA-256;
  written last, so a file without a manifest is an unfinished one.
- `audit_auditevent_y2026m08.csv.gz.sha256`: the checksum as `sha256sum -c` reads it.

`archive_restore` loads a month back into the trail for an audit.
"""

import csv
import datetime
import gzip
import hashlib
import io
import json
import os
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from audit.partitions import (
    TABLE,
    _ddl_lock,
    default_months,
    detached_drop,
    month_attach,
    month_bounds,
    month_detach,
    month_of,
    month_parse,
    months_ensure,
    partition_name,
    partitions_list,
    trail_partitioned,
)

FORMAT = "PostgreSQL COPY CSV with a header row, gzip; UTC times; NULL is an empty unquoted field"
_CHUNK = 1 << 16


class ArchiveError(Exception):
    """An archive could not be written, verified or restored; nothing was dropped."""


@dataclass(frozen=True)
class ArchivedMonth:
    month: datetime.date
    rows: int
    file: Path
    sha256: str
    written: bool  # False: a verified file from an earlier run was kept
    dropped: bool


def archive_paths(directory: Path, month: datetime.date) -> tuple[Path, Path, Path]:
    """(data file, manifest, checksum file) of one month."""
    stem = partition_name(month)
    return (
        directory / f"{stem}.csv.gz",
        directory / f"{stem}.manifest.json",
        directory / f"{stem}.csv.gz.sha256",
    )


def archive_months(
    *,
    before: datetime.date,
    directory: Path,
    drop: bool,
    now: datetime.datetime,
    using: str = "default",
) -> list[ArchivedMonth]:
    """Detach, write and verify every month before `before`; drop them if asked."""
    if not trail_partitioned(using):
        raise ArchiveError("the audit trail is not partitioned (PostgreSQL only)")
    if before > month_of(now):
        raise ArchiveError("the current month and later months stay in the trail")
    directory.mkdir(parents=True, exist_ok=True)
    # Earlier events waiting in the default partition get their month first,
    # so the month's file holds them too.
    months_ensure(default_months(before=before, using=using), using=using)
    for partition in partitions_list(using):
        if partition.attached and partition.month and partition.month < before:
            month_detach(partition.month, using=using)
    archived = []
    for partition in partitions_list(using):
        if partition.attached or not partition.month or partition.month >= before:
            continue
        manifest, written = _archive_table(partition.month, directory, using)
        if drop:
            detached_drop(partition.month, using=using)
        archived.append(
            ArchivedMonth(
                month=partition.month,
                rows=manifest["rows"],
                file=archive_paths(directory, partition.month)[0],
                sha256=manifest["sha256"],
                written=written,
                dropped=drop,
            )
        )
    return archived


def _archive_table(month: datetime.date, directory: Path, using: str) -> tuple[dict, bool]:
    """A verified archive of a detached month: the one on disk if it holds the
    table, else a new one. Never overwrites a finished archive that differs."""
    data, manifest_path, checksum = archive_paths(directory, month)
    connection = connections[using]
    table = partition_name(month)
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        problem = _compare(connection, table, data, manifest)
        if problem:
            raise ArchiveError(
                f"{manifest_path.name} exists but {problem}; the table {table} is kept. "
                "Move the old files away to write a new archive."
            )
        return manifest, False
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SET LOCAL TIME ZONE 'UTC'")
        cursor.execute(
            f"SELECT count(*), min(id), max(id), min(occurred_at), max(occurred_at) FROM {table}"  # noqa: S608
        )
        rows, first_id, last_id, first_at, last_at = cursor.fetchone()
        cursor.execute(
            "SELECT attname, format_type(atttypid, atttypmod), NOT attnotnull "
            "FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum",
            [table],
        )
        columns = [
            {"name": name, "type": type_, "nullable": nullable}
            for name, type_, nullable in cursor.fetchall()
        ]
        names = ", ".join(c["name"] for c in columns)
        ordered = f"SELECT {names} FROM {table} ORDER BY occurred_at, id"  # noqa: S608
        query = f"COPY ({ordered}) TO STDOUT (FORMAT csv, HEADER)"
        with (
            _private_file(data) as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed,
            connection.wrap_database_errors,
            cursor.cursor.copy(query) as copy,
        ):
            for chunk in copy:
                packed.write(chunk)
    digest = _sha256(data)
    start, end = month_bounds(month)
    manifest = {
        "table": TABLE,
        "month": f"{month:%Y-%m}",
        "from": start.isoformat(),
        "to": end.isoformat(),
        "rows": rows,
        "first_id": first_id,
        "last_id": last_id,
        "first_at": first_at.isoformat() if first_at else None,
        "last_at": last_at.isoformat() if last_at else None,
        "columns": columns,
        "order": "occurred_at, id",
        "format": FORMAT,
        "file": data.name,
        "bytes": data.stat().st_size,
        "sha256": digest,
        "written_at": timezone.now().isoformat(),
    }
    problem = _compare(connection, table, data, manifest)
    if problem:
        raise ArchiveError(f"{data.name} was written but {problem}; the table {table} is kept")
    with _private_file(checksum, binary=False) as out:
        out.write(f"{digest}  {data.name}\n")
    with _private_file(manifest_path, binary=False) as out:
        json.dump(manifest, out, indent=2)
        out.write("\n")
    return manifest, True


def _compare(connection, table: str, data: Path, manifest: dict) -> str | None:
    """What is wrong with the file against the manifest and the table; None if nothing.

    The file is loaded back into a temporary table like the month's and the two
    are compared row for row (same count, nothing in one but not the other).
    """
    if not data.exists():
        return f"{data.name} is missing"
    if _sha256(data) != manifest["sha256"]:
        return f"{data.name} does not match its SHA-256"
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SET LOCAL TIME ZONE 'UTC'")
            cursor.execute(f"CREATE TEMPORARY TABLE audit_archive_check (LIKE {table})")
            _load(connection, cursor, "audit_archive_check", data)
            cursor.execute(
                "SELECT (SELECT count(*) FROM audit_archive_check), "  # noqa: S608
                f"(SELECT count(*) FROM {table}), "
                f"(SELECT count(*) FROM (TABLE {table} EXCEPT ALL "
                "TABLE audit_archive_check) AS missing)"
            )
            in_file, in_table, missing = cursor.fetchone()
            cursor.execute("DROP TABLE audit_archive_check")
    except (DatabaseError, OSError, EOFError, zlib.error) as exc:
        return f"{data.name} could not be read back ({exc})"
    if in_file != manifest["rows"]:
        return f"{data.name} holds {in_file} events, its manifest says {manifest['rows']}"
    if in_file != in_table or missing:
        return f"{data.name} does not hold the events of {table}"
    return None


def _load(connection, cursor, table: str, data: Path) -> None:
    statement = f"COPY {table} FROM STDIN (FORMAT csv, HEADER)"
    with (
        gzip.open(data, "rb") as packed,
        connection.wrap_database_errors,
        cursor.cursor.copy(statement) as copy,
    ):
        while chunk := packed.read(_CHUNK):
            copy.write(chunk)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _private_file(path: Path, *, binary: bool = True) -> Iterator:
    """Write `path` whole or not at all: a 0600 temporary file renamed into place."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".partial-")
    try:
        text = {} if binary else {"encoding": "utf-8"}
        with os.fdopen(descriptor, "wb" if binary else "w", **text) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


# --- Reading an archive back ---------------------------------------------------------


def archive_check(manifest_path: Path) -> dict:
    """The manifest, once the file matches its SHA-256 and its row count."""
    manifest = json.loads(manifest_path.read_text())
    data = manifest_path.parent / manifest["file"]
    if _sha256(data) != manifest["sha256"]:
        raise ArchiveError(f"{data.name} does not match the SHA-256 in {manifest_path.name}")
    rows = sum(1 for _ in _csv_rows(data))
    if rows != manifest["rows"]:
        raise ArchiveError(f"{data.name} holds {rows} events, its manifest says {manifest['rows']}")
    return manifest


def archive_rows(manifest_path: Path) -> Iterator[dict]:
    """The events of an archive as dicts of text (None for NULL), checked first."""
    manifest = archive_check(manifest_path)
    nullable = {c["name"] for c in manifest["columns"] if c["nullable"]}
    for row in _csv_rows(manifest_path.parent / manifest["file"]):
        yield {
            name: (None if value == "" and name in nullable else value)
            for name, value in row.items()
        }


def _csv_rows(data: Path) -> Iterator[dict]:
    with gzip.open(data, "rb") as packed:
        yield from csv.DictReader(io.TextIOWrapper(packed, encoding="utf-8", newline=""))


def archive_restore(manifest_path: Path, *, using: str = "default") -> tuple[str, int]:
    """Load an archived month back into the trail, checked; (partition, events)."""
    if not trail_partitioned(using):
        raise ArchiveError("the audit trail is not partitioned (PostgreSQL only)")
    manifest = archive_check(manifest_path)
    month = month_parse(manifest["month"])
    name = partition_name(month)
    if any(p.name == name for p in partitions_list(using)):
        raise ArchiveError(f"{name} is already in the database")
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        _ddl_lock(cursor)
        cursor.execute("SET LOCAL TIME ZONE 'UTC'")
        cursor.execute(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING CONSTRAINTS)")
        _load(connection, cursor, name, manifest_path.parent / manifest["file"])
        cursor.execute(f"SELECT count(*) FROM {name}")  # noqa: S608
        (rows,) = cursor.fetchone()
        if rows != manifest["rows"]:
            raise ArchiveError(f"{rows} events loaded, the manifest says {manifest['rows']}")
        month_attach(month, using=using)
    return name, rows
