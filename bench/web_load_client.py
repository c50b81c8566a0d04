"""The load of bench/web_load.py: concurrent keep-alive HTTP/1.1 connections
from one asyncio loop, each asking for the pages in its own shuffled order.

A client of its own rather than a library's: a few lines of asyncio cost
the server's two cores less per request than threads would, and the
latency measured is the server's, not the client's.
"""

import asyncio
import random
import time
from dataclasses import dataclass, field


@dataclass
class Endpoint:
    name: str
    path: str
    headers: dict = field(default_factory=dict)
    seconds: list = field(default_factory=list)
    sizes: list = field(default_factory=list)
    statuses: dict = field(default_factory=dict)


async def _read(reader) -> tuple[int, int]:
    """One response: its status and the size of its body."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in head[1:] if line)
    }
    if "content-length" in headers:
        return status, len(await reader.readexactly(int(headers["content-length"])))
    size = 0
    if headers.get("transfer-encoding") == "chunked":
        while chunk := int((await reader.readuntil(b"\r\n")).strip(), 16):
            size += len(await reader.readexactly(chunk + 2)) - 2
        await reader.readuntil(b"\r\n")
    return status, size


async def _connection(port: int, asks: list[Endpoint]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for endpoint in asks:
            headers = "".join(f"{k}: {v}\r\n" for k, v in endpoint.headers.items())
            request = f"GET {endpoint.path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}\r\n"
            start = time.perf_counter()
            writer.write(request.encode())
            await writer.drain()
            status, size = await _read(reader)
            endpoint.seconds.append(time.perf_counter() - start)
            endpoint.sizes.append(size)
            endpoint.statuses[status] = endpoint.statuses.get(status, 0) + 1
    finally:
        writer.close()


def load(port: int, endpoints: list[Endpoint], *, each: int, connections: int, seed=0) -> float:
    """Ask for every endpoint `each` times over `connections` connections at
    once, the asks mixed; returns the seconds it took."""
    asks = [endpoint for endpoint in endpoints for _ in range(each)]
    random.Random(seed).shuffle(asks)
    shares = [asks[n::connections] for n in range(connections)]

    async def run():
        await asyncio.gather(*(_connection(port, share) for share in shares))

    start = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - start


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile: the smallest value at or above p of them."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]
