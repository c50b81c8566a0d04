"""The body of the mail rules process (`secdesk mail`): Django set up anew in
the child, then the same loop as the rules thread, on an interpreter of its
own. Nothing at the top of this module touches Django, so the child can
import it before its apps are ready.

The parent wakes the child by writing a byte into a pipe after each commit,
and stops it by closing the pipe: no lock is shared, so neither side can be
left waiting on the other when one dies. The child looks at the pipe between
batches, so it ends after the batch in hand; what is left is read at the next
start, or by the worker.
"""

import gc
import time

# After a batch that was not full, the rules let the next one fill for up to
# GATHER seconds, unless no mail is stored for QUIET seconds (the stream has
# paused, and what is there is all there will be for now).
GATHER = 0.05
QUIET = 0.005


class _ParentGone:
    """`is_set()` once the parent has closed the pipe (or died); a wake-up byte
    read on the way is one wake-up less to answer."""

    def __init__(self, wake):
        self.wake = wake
        self.gone = False

    def is_set(self) -> bool:
        if not self.gone:
            try:
                while self.wake.poll(0):
                    self.wake.recv_bytes()
            except (EOFError, OSError):
                self.gone = True
        return self.gone

    def wait(self, timeout: float) -> None:
        time.sleep(timeout)

    def gather(self) -> None:
        """Wait while mail is still being stored (a wake-up at least every QUIET
        seconds), for at most GATHER seconds."""
        deadline = time.monotonic() + GATHER
        try:
            while (left := deadline - time.monotonic()) > 0:
                if not self.wake.poll(min(QUIET, left)):
                    return
                while self.wake.poll(0):
                    self.wake.recv_bytes()
        except (EOFError, OSError):
            self.gone = True


def main(wake) -> None:
    import signal

    import django

    # Ctrl-C and SIGTERM reach the whole process group: the child ends when the
    # parent closes the pipe, after the batch in hand, never half-way through it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    django.setup()
    from django.db import close_old_connections

    from secdesk.mail import spool
    from secdesk.mail.daemon import read_stored
    from secdesk.mail.intake import Intake

    # What start-up made (Django's modules, settings, models) lives as long as
    # the process: out of the collector's way, which otherwise walks all of it
    # at every full collection.
    gc.freeze()

    reader = Intake(spool.beside_database())
    gone = _ParentGone(wake)
    while not gone.is_set():
        try:
            wake.poll(2.0)
        except OSError:
            break
        if not gone.is_set():
            read_stored(reader, gone, gather=gone.gather)
    reader.close()
    close_old_connections()
