"""Every change to a case goes through a `do_<verb>_<noun>` function here.

Each takes the acting person (None: secdesk itself — mail intake, the worker),
checks permission, runs in one durable transaction, writes exactly one audit
record, and schedules its notifications for after the commit.
"""
