"""The relay the benches deliver to: a real SMTP server (a lean one, or
aiosmtpd's) in one or more processes of its own, which accepts every mail
and tells the bench, for each, when it arrived, its envelope recipients,
its Message-ID and the bench's token in it (the first match of a pattern
the bench gives).

    sink = Sink(rb"bench-token-(\\S+)", processes=2)   # started; sink.port
    sink.wait_for(lambda mails: len(mails) >= 100)
    sink.mails                            # [Arrival, …], in order of arrival
    sink.stop()

Times are time.monotonic(): on Linux one clock for every process of the
machine, so a sender's time of a 250 and the sink's time of arrival compare.
"""

import asyncio
import json
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Arrival:
    at: float
    rcpts: tuple[str, ...]
    message_id: str
    token: str
    sender: str


class Sink:
    """The relay: `processes` servers on one port (SO_REUSEPORT, the kernel
    gives each connection to one of them), as an MTA takes connections in
    parallel."""

    def __init__(
        self, pattern: bytes = rb"bench-token-(\S+)", processes: int = 1, server: str = "lean"
    ):
        self.mails: list[Arrival] = []
        self.lock = threading.Lock()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.processes = [
            subprocess.Popen(
                [sys.executable, __file__, pattern.decode(), str(self.port), server],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(processes)
        ]
        for process in self.processes:
            if process.stdout.readline().strip() != "ready":
                raise SystemExit("bench: the relay did not start")
        self.readers = [
            threading.Thread(target=self._read, args=(process,), daemon=True)
            for process in self.processes
        ]
        for reader in self.readers:
            reader.start()

    def _read(self, process):
        for line in process.stdout:
            at, rcpts, message_id, token, sender = json.loads(line)
            with self.lock:
                self.mails.append(Arrival(at, tuple(rcpts), message_id, token, sender))

    def count(self) -> int:
        with self.lock:
            return len(self.mails)

    def wait_for(self, condition, timeout: float = 300.0) -> bool:
        """Wait until `condition(mails)` holds; False if it did not in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if condition(self.mails):
                    return True
            time.sleep(0.01)
        return False

    def stop(self):
        for process in self.processes:
            process.stdin.close()
        for process in self.processes:
            process.wait(timeout=30)
        for reader in self.readers:
            reader.join(timeout=10)


class _Lean(asyncio.Protocol):
    """SMTP as a relay that keeps nothing needs to speak it, for smtplib's
    clients: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, and PIPELINING, as
    every common MTA offers it. aiosmtpd takes 0.5–0.6 ms of CPU over each
    mail on the 2-core machine, much of it parsing the envelope's addresses
    with the email package: at 40 posts/s of 51 mails each it would need one
    of the 2 cores by itself, and the benches would measure it. This one
    takes 0.15–0.25 ms (its record of the mail included), as a site's MTA,
    in C, takes little (`--relay-server aiosmtpd` measures with aiosmtpd)."""

    def __init__(self, arrived):
        self.arrived = arrived  # arrived(raw, mail_from, rcpts)
        self.buffer = b""
        self.in_data = self.quitting = False
        self.mail_from, self.rcpts = "", []

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"220 relay.bench.example ESMTP\r\n")

    def data_received(self, chunk: bytes):
        # The answers to what arrived together go back together, as an MTA
        # answers commands its client pipelined (Postfix writes them out
        # when it has read all there was).
        answers = []
        self._read(chunk, answers)
        self.transport.write(b"".join(answers))
        if self.quitting:
            self.transport.close()

    def _read(self, chunk: bytes, answers: list[bytes]):
        self.buffer += chunk
        while not self.quitting:
            if self.in_data:
                if self.buffer.startswith(b".\r\n"):
                    content, self.buffer = b"", self.buffer[3:]
                elif (end := self.buffer.find(b"\r\n.\r\n")) >= 0:
                    content, self.buffer = self.buffer[: end + 2], self.buffer[end + 5 :]
                else:
                    return
                self.in_data = False
                unstuffed = content.replace(b"\r\n..", b"\r\n.")
                self.arrived(unstuffed, self.mail_from, self.rcpts)
                self.mail_from, self.rcpts = "", []
                answers.append(b"250 2.0.0 OK\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return
            line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            answers.append(self._answer(line))

    def _answer(self, line: bytes) -> bytes:
        verb = line[:4].upper()
        if verb == b"EHLO":
            return b"250-relay.bench.example\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 SMTPUTF8\r\n"
        if verb in (b"HELO", b"NOOP"):
            return b"250 OK\r\n"
        if verb == b"MAIL":
            self.mail_from, self.rcpts = _address(line), []
            return b"250 2.1.0 OK\r\n"
        if verb == b"RCPT":
            self.rcpts.append(_address(line))
            return b"250 2.1.5 OK\r\n"
        if verb == b"DATA":
            self.in_data = True
            return b"354 End data with <CR><LF>.<CR><LF>\r\n"
        if verb == b"RSET":
            self.mail_from, self.rcpts = "", []
            return b"250 OK\r\n"
        if verb == b"QUIT":
            self.quitting = True
            return b"221 Bye\r\n"
        return b"500 5.5.2 what?\r\n"


def _address(line: bytes) -> str:
    return line[line.find(b"<") + 1 : line.rfind(b">")].decode("utf-8", "replace")


def _serve(pattern: str, port: int, server: str) -> None:
    """One process of the relay, on a port it may share: the lean server, or
    aiosmtpd's SMTP."""
    token = re.compile(pattern.encode())
    message_id = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
    lines = []

    def arrived(raw: bytes, mail_from: str, rcpts: list[str]) -> None:
        at = time.monotonic()
        found = token.search(raw)
        named = message_id.search(raw)
        line = [
            at,
            rcpts,
            named.group(1).decode() if named else "",
            found.group(1).decode() if found else "",
            mail_from,
        ]
        lines.append(json.dumps(line) + "\n")

    class Keep:
        async def handle_DATA(self, server, session, envelope):
            arrived(envelope.original_content, envelope.mail_from, envelope.rcpt_tos)
            return "250 2.0.0 OK"

    def protocol():
        if server == "lean":
            return _Lean(arrived)
        from aiosmtpd.smtp import SMTP

        return SMTP(Keep(), decode_data=False, enable_SMTPUTF8=True)

    def write_out():
        sys.stdout.write("".join(lines))
        sys.stdout.flush()
        lines.clear()

    async def run():
        loop = asyncio.get_running_loop()
        listening = await loop.create_server(protocol, "127.0.0.1", port, reuse_port=True)
        print("ready", flush=True)
        ended = loop.run_in_executor(None, sys.stdin.read)  # until the bench closes it
        # Written out every 10 ms, not a write to the pipe per mail: the
        # relay's own work is what the benches measure against.
        while not ended.done():
            await asyncio.sleep(0.01)
            write_out()
        listening.close()
        await listening.wait_closed()
        write_out()

    asyncio.run(run())


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]), sys.argv[3])
