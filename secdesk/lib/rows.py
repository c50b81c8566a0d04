"""Rows of several kinds written together, inside one transaction, in order.

The mail intake builds a batch's rows (cases, their embargoes and messages,
the links to the mail, attachments, replies) before the transaction, which
on SQLite holds up every other writer, and writes them inside it with one
`bulk_create` per kind, in the order they were added. A row that points to
one added earlier (an embargo to its case) gets that row's id: `bulk_create`
fills a foreign key from a related object saved since it was assigned.

`save_fields` updates the same fields of many rows: Django's `bulk_update`
builds one CASE expression per field over every row, which costs more than
the rest of a mail intake batch together; an UPDATE per row sent with
`executemany` is the same work for the database and a fraction of it in
Python.
"""

from django.db import connections, router


def save_fields(rows: list, fields: list[str]) -> None:
    """UPDATE `fields` of each row (model instances of one model, with pks)."""
    if not rows:
        return
    model = type(rows[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    # Only quoted names from the model's own metadata go into the text; every
    # value is a parameter.
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(f"{quote(field.column)} = %s" for field in columns),
        quote(meta.pk.column),
    )
    params = [
        [
            *(field.get_db_prep_save(getattr(row, field.attname), connection) for field in columns),
            row.pk,
        ]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


class Inserts:
    """New rows, added before a transaction and written inside it. `fill(row)`
    runs just before its rows are written, for values known only inside the
    transaction (a text that names a case by its id)."""

    def __init__(self):
        self.steps: list[tuple[list, object]] = []

    def add(self, rows, *, fill=None) -> list:
        rows = list(rows)
        if rows:
            self.steps.append((rows, fill))
        return rows

    def discard(self, rows) -> None:
        """Leave these rows out after all (found inside the transaction)."""
        gone = {id(row) for row in rows}
        kept = [([row for row in rows if id(row) not in gone], fill) for rows, fill in self.steps]
        self.steps = [(rows, fill) for rows, fill in kept if rows]

    def run(self) -> None:
        for rows, fill in self.steps:
            if fill is not None:
                for row in rows:
                    fill(row)
            type(rows[0]).objects.bulk_create(rows)
