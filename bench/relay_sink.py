"""The relay the benches deliver to: a real SMTP server (aiosmtpd) in one
or more processes of its own, which accepts every mail and tells the bench, for each,
when it arrived, its envelope recipients, its Message-ID and the bench's token
in it (the first match of a pattern the bench gives).

    sink = Sink(rb"bench-token-(\\S+)", processes=2)   # started; sink.port
    sink.wait_for(lambda mails: len(mails) >= 100)
    sink.mails                            # [Arrival, …], in order of arrival
    sink.stop()

Times are time.monotonic(): on Linux one clock for every process of the
machine, so a sender's time of a 250 and the sink's time of arrival compare.
"""

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

    def __init__(self, pattern: bytes = rb"bench-token-(\S+)", processes: int = 1):
        self.mails: list[Arrival] = []
        self.lock = threading.Lock()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.processes = [
            subprocess.Popen(
                [sys.executable, __file__, pattern.decode(), str(self.port)],
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


def _serve(pattern: str, port: int) -> None:
    """One process of the relay: aiosmtpd's SMTP on a port it may share."""
    import asyncio

    from aiosmtpd.smtp import SMTP

    token = re.compile(pattern.encode())
    message_id = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
    lines = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):
            at = time.monotonic()
            raw = envelope.original_content
            found = token.search(raw)
            named = message_id.search(raw)
            line = [
                at,
                envelope.rcpt_tos,
                named.group(1).decode() if named else "",
                found.group(1).decode() if found else "",
                envelope.mail_from,
            ]
            lines.append(json.dumps(line) + "\n")
            return "250 2.0.0 OK"

    def write_out():
        sys.stdout.write("".join(lines))
        sys.stdout.flush()
        lines.clear()

    async def run():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(Keep(), decode_data=False, enable_SMTPUTF8=True),
            "127.0.0.1",
            port,
            reuse_port=True,
        )
        print("ready", flush=True)
        ended = loop.run_in_executor(None, sys.stdin.read)  # until the bench closes it
        # Written out every 10 ms, not a write to the pipe per mail: the
        # relay's own work is what the benches measure against.
        while not ended.done():
            await asyncio.sleep(0.01)
            write_out()
        server.close()
        await server.wait_closed()
        write_out()

    asyncio.run(run())


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]))
