"""Senders that behave as an MTA does: a message refused for now (4xx) or cut
off with its connection is sent again later (here after half a second, not
minutes); one refused for good (5xx) is not. Each message is a report from
a sender of its own, named by its Message-ID."""

import re
import smtplib
import threading
import time
from dataclasses import dataclass, field

TO = "security@bench.example"


def report(n: int, tag: str) -> tuple[str, bytes]:
    sender = f"finder{n}@research{n % 7}.example"
    raw = (
        f"From: {sender}\r\nTo: {TO}\r\nSubject: {tag}: crash {n} in the parser\r\n"
        f"Message-ID: <{tag}.{n}@research.example>\r\n\r\n"
        f"Steps to reproduce: {'x' * 400}\r\n"
    ).encode()
    return sender, raw


def numbers_in(raws, tag: str) -> list[int]:
    """The report numbers of stored raw messages, one per stored copy."""
    pattern = re.compile(rb"<" + re.escape(tag.encode()) + rb"\.(\d+)@")
    return [int(m.group(1)) for raw in raws if (m := pattern.search(bytes(raw)))]


@dataclass
class Stream:
    """`count` reports sent from `clients` connections at once."""

    port: int
    count: int
    tag: str
    clients: int = 4
    give_up_after: float = 180.0
    accepted: dict = field(default_factory=dict)  # n → times a 250 was heard
    deferred: dict = field(default_factory=dict)  # what held a message back → how often
    refused: dict = field(default_factory=dict)  # n → a 5xx
    lock: threading.Lock = field(default_factory=threading.Lock)
    progress: int = 0

    def start(self) -> "Stream":
        self.threads = [
            threading.Thread(target=self._client, args=(c,), daemon=True)
            for c in range(self.clients)
        ]
        for thread in self.threads:
            thread.start()
        return self

    def join(self) -> None:
        for thread in self.threads:
            thread.join()

    def _note(self, what: str) -> None:
        with self.lock:
            self.deferred[what] = self.deferred.get(what, 0) + 1

    def _client(self, c: int) -> None:
        smtp = None
        for n in range(c, self.count, self.clients):
            sender, raw = report(n, self.tag)
            deadline = time.monotonic() + self.give_up_after
            while time.monotonic() < deadline:
                try:
                    if smtp is None:
                        smtp = smtplib.SMTP("127.0.0.1", self.port, timeout=60)
                    smtp.sendmail(sender, [TO], raw)
                    with self.lock:
                        self.accepted[n] = self.accepted.get(n, 0) + 1
                        self.progress += 1
                    break
                except smtplib.SMTPResponseException as err:
                    if err.smtp_code >= 500:
                        self.refused[n] = err.smtp_code
                        break
                    self._note(f"{err.smtp_code}")
                except smtplib.SMTPRecipientsRefused as err:
                    code = next(iter(err.recipients.values()))[0]
                    if code >= 500:
                        self.refused[n] = code
                        break
                    self._note(f"{code}")
                except (smtplib.SMTPException, OSError):
                    self._note("connection lost")
                    smtp = _closed(smtp)
                time.sleep(0.5)
        _closed(smtp)


def _closed(smtp):
    if smtp is not None:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
    return None
