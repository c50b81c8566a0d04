"""The data set built on SQLite, copied row for row into a PostgreSQL
database whose tables `migrate` made: the same cases, messages and audit
trail on both databases, built once.

Every table in one transaction, through COPY; PostgreSQL checks the foreign
keys Django declares deferrable at the commit, so the tables' order does
not matter. The sequences are then set past the copied ids, and the tables
analysed, as after any restore: without statistics PostgreSQL plans as for
empty tables (the dashboard took 2 s a request until autovacuum came by).
"""

import sqlite3
from pathlib import Path

from rich.console import Console
from rich.progress import Progress


def copy_from_sqlite(source: Path) -> int:
    """Copy every table of the SQLite file `source` into the default database
    (PostgreSQL, migrated, its own rows replaced); returns the rows copied."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection, transaction

    models = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]
    tables = [model._meta.db_table for model in models]
    copied = 0
    read = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        with (
            Progress(console=Console(stderr=True)) as progress,
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            task = progress.add_task("copying into PostgreSQL", total=len(models))
            cursor.execute(f"TRUNCATE {', '.join(map(connection.ops.quote_name, tables))}")
            for model in models:
                copied += _copy_table(read, cursor.cursor, model)
                progress.advance(task)
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    finally:
        read.close()
    return copied


def _copy_table(read, cursor, model) -> int:
    """One table: each column as SQLite stores it, turned into what
    PostgreSQL's column takes (JSON as text, true and false for 1 and 0)."""
    fields = [f for f in model._meta.local_concrete_fields]
    columns = [f.column for f in fields]
    convert = [_converter(f) for f in fields]
    quoted = ", ".join(f'"{c}"' for c in columns)
    rows = read.execute(f'SELECT {quoted} FROM "{model._meta.db_table}"')  # noqa: S608
    count = 0
    with cursor.copy(f'COPY "{model._meta.db_table}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(
                [c(v) if v is not None else None for c, v in zip(convert, row, strict=True)]
            )
            count += 1
    return count


def _converter(field):
    kind = field.get_internal_type()
    if kind == "BooleanField":
        return bool
    if kind == "BinaryField":
        return bytes
    return lambda value: value
