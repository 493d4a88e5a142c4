"""A small open-loop HTTP/1.1 load generator for loopback benchmarks.

httpx costs about a millisecond of CPU per request, which on a 2-core machine
competes with the server under test. Here every request is built (JSON, HMAC)
before the clock starts, and each of K keep-alive connections writes raw bytes.
Latency is measured from the *scheduled* send time, so a server that falls behind
is charged for the queue it causes (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlparse


def build_request(url: str, body: bytes, headers: dict[str, str]) -> bytes:
    parsed = urlparse(url)
    lines = [
        f"POST {parsed.path or '/'} HTTP/1.1",
        f"Host: {parsed.hostname}:{parsed.port}",
        f"Content-Length: {len(body)}",
        "Connection: keep-alive",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


async def run_open_loop(
    url: str, requests: list[bytes], rate: float, connections: int = 32
) -> tuple[list[float], int]:
    """Send ``requests`` at ``rate`` per second; return latencies (ms) and non-2xx count."""
    parsed = urlparse(url)
    latencies: list[float] = [0.0] * len(requests)
    errors = 0
    start = time.perf_counter() + 0.2

    async def worker(k: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(parsed.hostname, parsed.port)
        try:
            for i in range(k, len(requests), connections):
                scheduled = start + i / rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                writer.write(requests[i])
                status = await _read_response(reader)
                latencies[i] = (time.perf_counter() - scheduled) * 1000
                if status >= 300:
                    errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker(k) for k in range(connections)))
    return latencies, errors
