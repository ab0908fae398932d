"""Insert many rows given as plain values: COPY on PostgreSQL, bulk_create elsewhere.

For the hot batch paths (a 500-item sync and its 500 audit events), building a
model instance per row and preparing every field through the ORM costs several
times what the database spends storing the rows. Rows here are dicts of
attribute name -> value, already of the column's Python type (validated input);
missing columns take the model field's default, `auto_now`/`auto_now_add`
columns the current time. No ids come back and no signals are sent, as with
`bulk_create`.
"""

import json
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from django.db import connections, models, router
from django.utils import timezone

# Fields psycopg writes correctly from the Python value itself; anything else
# (JSON, arrays, custom fields) goes through the field's own database preparation.
_AS_IS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.BooleanField,
    models.UUIDField,
    models.DateTimeField,
    models.DecimalField,
    models.ForeignKey,
)


def insert_rows(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (attname -> value) into `model`'s table in one statement."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create([model(**row) for row in rows])
        return
    # Columns the database fills itself (an auto-increment id) are left to it.
    fields = [f for f in model._meta.concrete_fields if not f.db_returning or f.attname in rows[0]]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    if len(rows) == 1:  # a plain INSERT is one round trip, a COPY two
        values = [_column(field, rows, connection)[0] for field in fields]
        placeholders = ", ".join(["%s"] * len(fields))
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", values)  # noqa: S608
        return
    columns = [_column(field, rows, connection, copy=True) for field in fields]
    statement = f"COPY {table} ({names}) FROM STDIN"
    connection.ensure_connection()
    with connection.cursor() as cursor:
        # A debug cursor (DEBUG, or a test counting queries) logs the COPY like any query.
        logged = cursor.debug_sql(statement) if hasattr(cursor, "debug_sql") else nullcontext()
        with logged, connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
            for row in zip(*columns, strict=True):
                copy.write_row(row)


def insert_new(record: models.Model, *, unless_taken: str) -> bool:
    """INSERT the unsaved `record`, unless a row already holds its value of the
    unique field `unless_taken` (ON CONFLICT DO NOTHING): whether it was stored.

    One statement where `save()` behind a savepoint and a look-up would take
    four. A conflict with a row being written by a transaction still open waits
    for that transaction, as a unique index does. On success the record has its
    id and is saved, as after `save()` (no signals are sent).
    """
    model = type(record)
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if not f.db_returning]
    # What save() would write: pre_save() fills auto_now columns on the record too.
    values = [f.get_db_prep_save(f.pre_save(record, add=True), connection) for f in fields]
    quote = connection.ops.quote_name
    statement = (
        f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608 - names from the model's meta
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({quote(model._meta.get_field(unless_taken).column)}) DO NOTHING "
        f"RETURNING {quote(model._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, values)
        row = cursor.fetchone()
    if row is None:
        return False
    record.pk = row[0]
    record._state.adding, record._state.db = False, connection.alias
    return True


def insert_fanned_out(
    model: type[models.Model], shared: dict[str, Any], column: str, values: Sequence[Any]
) -> None:
    """Insert one row per item of `values` in `column`, the other columns from `shared`.

    On PostgreSQL one `INSERT ... SELECT ... FROM unnest(%s)`: the shared values
    travel once, not once a row (the audit events of a batch differ only in the
    record). Elsewhere it is insert_rows.
    """
    if not values:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        insert_rows(model, [{**shared, column: value} for value in values])
        return
    fields = [f for f in model._meta.concrete_fields if not f.db_returning or f.attname in shared]
    selected, params = [], []
    for field in fields:
        if field.attname == column:
            selected.append("fanned.value")
        else:
            selected.append("%s")
            params.append(_column(field, [shared], connection)[0])
    varying = model._meta.get_field(column)
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    # Only names from the model's meta and placeholders go into the text.
    statement = (
        f"INSERT INTO {table} ({names}) SELECT {', '.join(selected)} "  # noqa: S608
        f"FROM unnest(%s::{varying.db_type(connection)}[]) AS fanned(value)"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, _array(values)])


def _array(values: Sequence[Any]) -> Any:
    """The array parameter: text values as one array literal, each element quoted.

    psycopg adapts a list item by item, which for a batch's 500 ids costs
    several times the statement itself; a literal is one string.
    """
    if all(type(value) is str for value in values):
        return "{" + ",".join(_quoted(value) for value in values) + "}"
    return list(values)


def _quoted(text: str) -> str:
    # Inside double quotes only a backslash and a double quote need escaping.
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _column(field: models.Field, rows: Sequence[dict], connection, *, copy: bool = False) -> list:
    """The values to write for `field`, one per row (the row's, or the field's default).

    Built a column at a time: one comprehension per field is much cheaper than
    a function call per cell.
    """
    name = field.attname
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        now = timezone.now()
        values = [row.get(name, now) for row in rows]
    elif field.has_default() and callable(field.default):
        values = [row[name] if name in row else field.get_default() for row in rows]
    else:
        default = field.get_default()
        values = [row.get(name, default) for row in rows]
    if isinstance(field, _AS_IS):
        return values
    if copy and isinstance(field, models.JSONField):
        # COPY's text format takes the JSON text itself: cheaper than a Jsonb
        # wrapper per row. None keeps the field's own handling.
        return [
            json.dumps(value, cls=field.encoder)
            if value is not None
            else field.get_db_prep_save(value, connection)
            for value in values
        ]
    return [field.get_db_prep_save(value, connection) for value in values]
