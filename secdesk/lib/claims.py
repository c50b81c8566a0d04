"""Work one process at a time may do, whichever host it runs on.

On PostgreSQL, an advisory lock held by this process's connection while the
work runs: outside any transaction, since the work may wait on the network
(CVE Services) or the disk, and let go when the work ends or the process
dies. A second worker that finds it held leaves the work to the first. On
SQLite the processes share one host and one writer: the work is always this
process's to do.
"""

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def exclusive(kind: str, pk: int) -> Iterator[bool]:
    """Whether this process has the work (`kind`, `pk`) to itself until the
    block ends."""
    if connection.vendor != "postgresql":
        yield True
        return
    # PostgreSQL's two-key form, each key a signed 32-bit number.
    key = (zlib.crc32(kind.encode()) & 0x7FFFFFFF, pk & 0x7FFFFFFF)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        mine = cursor.fetchone()[0]
    try:
        yield mine
    finally:
        if mine:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)
