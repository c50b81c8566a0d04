"""The relay secdesk's worker sends through, misbehaving on purpose: a real
aiosmtpd server on loopback whose `fault` decides, for each command of each
SMTP transaction, whether to answer normally, refuse (4xx or 5xx), wait, or
drop the connection.

It keeps the record a real relay's queue would: every message it took,
by (Message-ID, recipient), and whether its 250 reached the wire. A message
taken twice after a 250 the sender heard is a duplicate; one taken again
after its 250 was lost with the connection is SMTP's own at-least-once.
"""

import asyncio
import email
import threading
import time
from collections import Counter
from email import policy

from aiosmtpd.controller import Controller

from .postgres import free_port

NORMAL, DROP, LOSE_250 = "normal", "drop", "lose the 250"


class Fault:
    """Says what the relay does at `phase` ("ehlo", "mail", "rcpt", "data") of
    its `n`-th transaction (counted from 1), for `envelope`: NORMAL, DROP,
    LOSE_250 (data only), a number of seconds to wait, or a reply to give
    ("451 …", "550 …")."""

    def __call__(self, phase: str, n: int, address: str = "", message_id: str = ""):
        return NORMAL


class FaultRelay:
    def __init__(self, fault: Fault):
        self.fault = fault
        self.port = free_port()
        self.lock = threading.Lock()
        self.transactions = 0
        # (Message-ID, recipient) → each time it was taken: whether its 250 was heard
        self.takes: dict[tuple[str, str], list[bool]] = {}
        self.refusals = Counter()  # the relay's refusals and drops, by what it did
        self.slow = []  # seconds each slow answer took
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    def _take(self, key, heard: bool) -> None:
        with self.lock:
            self.takes.setdefault(key, []).append(heard)

    def delivered(self) -> set:
        """Every (Message-ID, recipient) the relay took at least once."""
        return set(self.takes)

    def duplicates(self) -> int:
        """Takes of a message after a 250 for it that its sender heard: a
        duplicate beyond SMTP's at-least-once."""
        return sum(len(t) - 1 - t.index(True) for t in self.takes.values() if True in t)

    def redelivered(self) -> int:
        """Takes again after a 250 lost with the connection, and before any
        that was heard: SMTP's at-least-once."""
        return sum(t.index(True) if True in t else len(t) - 1 for t in self.takes.values())


class _Handler:
    def __init__(self, relay: FaultRelay):
        self.relay = relay

    async def _act(self, server, session, phase: str, address: str = "", message_id: str = ""):
        """What the fault says for this command: None to carry on, or the reply."""
        relay = self.relay
        n = getattr(session, "bench_transaction", 0)
        what = relay.fault(phase, n, address, message_id)
        if what == NORMAL:
            return None
        if what == DROP:
            with relay.lock:
                relay.refusals[f"dropped at {phase}"] += 1
            server.transport.close()
            return "421 dropped"
        if isinstance(what, int | float):
            started = time.monotonic()
            await asyncio.sleep(what)
            with relay.lock:
                relay.slow.append(time.monotonic() - started)
            return None
        if what == LOSE_250:
            return what
        with relay.lock:
            relay.refusals[f"{what[:3]} at {phase}"] += 1
        return what

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with self.relay.lock:
            self.relay.transactions += 1
            session.bench_transaction = self.relay.transactions
        said = await self._act(server, session, "ehlo")
        # PIPELINING, as a site's MTA offers it: the worker sends each
        # envelope in one go, and the faults meet it there.
        return [said] if said else [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        said = await self._act(server, session, "mail", address)
        if said:
            return said
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        said = await self._act(server, session, "rcpt", address)
        if said:
            return said
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        message_id = message["Message-ID"] or ""
        said = await self._act(server, session, "data", message_id=message_id)
        relay = self.relay
        if said == LOSE_250:
            for rcpt in envelope.rcpt_tos:
                relay._take((message_id, rcpt), heard=False)
            with relay.lock:
                relay.refusals["250 lost with the connection"] += 1
            server.transport.close()
            return "421 dropped"
        if said:
            return said
        for rcpt in envelope.rcpt_tos:
            relay._take((message_id, rcpt), heard=True)
        return "250 OK"
