"""The rules process lets a batch fill while mail is still being stored, and
stops waiting the moment the stream pauses."""

import multiprocessing

from secdesk.mail import rules_process


class _Stream:
    """The rules process's end of the wake-up pipe, with a message stored every
    `every` seconds of a fake clock, until `until`."""

    def __init__(self, clock, every, until):
        self.clock, self.every, self.until = clock, every, until
        self.pending = 0
        self.waits = []

    def poll(self, timeout):
        if timeout:
            self.waits.append(timeout)
            if self.clock[0] + self.every > self.until:
                self.clock[0] += timeout  # nothing more arrives: a quiet wait
                return False
            self.clock[0] += self.every
            self.pending += 1
        return self.pending > 0

    def recv_bytes(self):
        self.pending -= 1
        return b"!"


def _gather(monkeypatch, every, until):
    clock = [100.0]
    monkeypatch.setattr(rules_process.time, "monotonic", lambda: clock[0])
    stream = _Stream(clock, every, 100.0 + until)
    rules_process._ParentGone(stream).gather()
    return clock[0] - 100.0, stream


def test_the_rules_gather_no_longer_than_the_stream_lasts(monkeypatch):
    waited, stream = _gather(monkeypatch, every=0.002, until=0.010)
    # Five messages 2 ms apart, then one quiet wait ends it.
    assert stream.pending == 0 and len(stream.waits) == 6
    assert abs(waited - (0.010 + rules_process.QUIET)) < 1e-9


def test_the_rules_gather_for_a_bounded_time_under_a_steady_stream(monkeypatch):
    waited, _ = _gather(monkeypatch, every=0.002, until=60.0)
    assert rules_process.GATHER <= waited <= rules_process.GATHER + 0.002


def test_the_rules_see_the_daemon_gone_while_gathering():
    theirs, ours = multiprocessing.Pipe(duplex=False)
    ours.close()
    gone = rules_process._ParentGone(theirs)
    gone.gather()
    assert gone.gone
