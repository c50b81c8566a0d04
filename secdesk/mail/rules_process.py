"""The body of the mail rules process (`secdesk mail`): Django set up anew in
the child, then the same loop as the rules thread, on an interpreter of its
own. Nothing at the top of this module touches Django, so the child can
import it before its apps are ready.

The parent wakes the child by writing a byte into a pipe after each commit,
and stops it by closing the pipe: no lock is shared, so neither side can be
left waiting on the other when one dies.
"""

import threading


def main(wake) -> None:
    import signal

    import django

    # Ctrl-C and SIGTERM reach the whole process group: the child ends when the
    # parent closes the pipe, after the batch in hand, never half-way through it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

    django.setup()
    from django.db import close_old_connections

    from secdesk.mail.daemon import read_stored

    stopping = threading.Event()
    while not stopping.is_set():
        try:
            if wake.poll(2.0):
                while wake.poll(0):
                    wake.recv_bytes()
        except (EOFError, OSError):
            stopping.set()  # the parent closed the pipe (or is gone): read what is left, end
        read_stored(stopping if not stopping.is_set() else threading.Event())
    close_old_connections()
