"""When the database goes away for a moment (a restart, a failover, a lost
connection): work that must be recorded is recorded once it is back."""

import time

from django.db import InterfaceError, OperationalError, connection

# How long work waits for the database to come back before it gives up.
PATIENCE = 30.0


def database_away(err: Exception) -> bool:
    """Whether `err` says that the database went away, rather than anything
    about the work: the connection no longer answers. (SQLite's always does.)"""
    if not isinstance(err, OperationalError | InterfaceError):
        return False
    try:
        return not connection.is_usable()
    except Exception:
        return True


def when_back(work, patience: float = PATIENCE):
    """`work()`, tried again each second on a new connection while the
    database is away, for at most `patience` seconds; its result. Any other
    error, or the database still away after that, is raised. For work outside
    a transaction, whose doing twice does no harm (an UPDATE to a state)."""
    give_up, wait = time.monotonic() + patience, 0.0
    while True:
        try:
            return work()
        except (OperationalError, InterfaceError) as err:
            if not database_away(err) or time.monotonic() > give_up:
                raise
        connection.close()
        # At once on a new connection (the database may be back already),
        # then each second.
        time.sleep(wait)
        wait = 1.0
