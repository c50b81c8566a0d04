"""The relay the benches deliver to: a real SMTP server (aiosmtpd) in a
process of its own, which accepts every mail and tells the bench, for each,
when it arrived, its envelope recipients, its Message-ID and the bench's token
in it (the first match of a pattern the bench gives).

    sink = Sink(rb"bench-token-(\\S+)")   # started; sink.port
    sink.wait_for(lambda mails: len(mails) >= 100)
    sink.mails                            # [Arrival, …], in order of arrival
    sink.stop()

Times are time.monotonic(): on Linux one clock for every process of the
machine, so a sender's time of a 250 and the sink's time of arrival compare.
"""

import json
import re
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
    def __init__(self, pattern: bytes = rb"bench-token-(\S+)"):
        self.mails: list[Arrival] = []
        self.lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, __file__, pattern.decode()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(self.process.stdout.readline())
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
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
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.reader.join(timeout=10)


def _serve(pattern: str) -> None:
    import socket

    from aiosmtpd.controller import Controller

    token = re.compile(pattern.encode())
    message_id = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
    # Written out every 10 ms, not a write to the pipe per mail: the relay's
    # own work is what the benches measure against.
    lines = []

    def write_out():
        while True:
            time.sleep(0.01)
            if lines:
                taken = lines[:]
                del lines[: len(taken)]
                sys.stdout.write("".join(taken))
                sys.stdout.flush()

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

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(
        Keep(), hostname="127.0.0.1", port=port, decode_data=False, enable_SMTPUTF8=True
    )
    controller.start()
    threading.Thread(target=write_out, daemon=True).start()
    print(port, flush=True)
    sys.stdin.read()  # until the bench closes it
    controller.stop()
    sys.stdout.write("".join(lines))
    sys.stdout.flush()


if __name__ == "__main__":
    _serve(sys.argv[1])
