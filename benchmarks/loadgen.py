"""A built-in HTTP/1.1 load generator, used when `wrk` is not installed (or with --quick).

One asyncio task per connection, each on its own keep-alive connection, sending the same
pre-encoded GET over and over until the duration ends. Each response is read by its
Content-Length (or chunked framing); its latency is taken with time.perf_counter. Anything but a
complete 200 answer counts as an error (the connection is then reopened).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np

try:  # a faster event loop, when installed, keeps the generator far from being the bottleneck
    import uvloop
except ImportError:  # pragma: no cover - depends on the environment
    uvloop = None


@dataclass
class LoadResult:
    connections: int
    seconds: float  # measured wall time
    requests: int  # complete 200 answers
    errors: int  # non-200 answers, broken connections, timeouts
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


class ResponseError(Exception):
    pass


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one response; return its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    at = lower.find(b"\r\ncontent-length:")
    if at >= 0:
        end = lower.index(b"\r\n", at + 2)
        await reader.readexactly(int(lower[at + 17:end]))
    elif b"\r\ntransfer-encoding: chunked" in lower:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)  # the chunk and its CRLF
            if size == 0:
                break
    else:
        raise ResponseError("response without Content-Length or chunked framing")
    return status


async def _connection(host: str, port: int, request: bytes, deadline: float, record: bool,
                      latencies: list[float], errors: list[int]) -> None:
    clock = time.perf_counter
    writer = None
    try:
        while clock() < deadline:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                start = clock()
                writer.write(request)
                status = await _read_response(reader)
                if not record:
                    continue
                if status == 200:
                    latencies.append(clock() - start)
                else:
                    errors[0] += 1
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    ResponseError, ValueError):
                if record:
                    errors[0] += 1
                if writer is not None:
                    writer.close()
                writer = None
                await asyncio.sleep(0.01)  # do not spin on a refused connection
    finally:
        if writer is not None:
            writer.close()


async def _run(host: str, port: int, request: bytes, connections: int, duration: float,
               timeout: float, record: bool, latencies: list[float], errors: list[int]) -> None:
    """Run every connection until the deadline; a request still unanswered `timeout` seconds
    after the deadline is cancelled and counted as an error."""
    deadline = time.perf_counter() + duration
    tasks = [
        asyncio.create_task(_connection(host, port, request, deadline, record, latencies, errors))
        for _ in range(connections)
    ]
    _, pending = await asyncio.wait(tasks, timeout=duration + timeout)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)
        if record:
            errors[0] += len(pending)


async def _load(url: str, connections: int, duration: float, warmup: float, timeout: float) -> LoadResult:
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    request = f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    if warmup > 0:
        await _run(host, port, request, connections, warmup, timeout, False, [], [0])
    latencies: list[float] = []
    errors = [0]
    start = time.perf_counter()
    await _run(host, port, request, connections, duration, timeout, True, latencies, errors)
    elapsed = time.perf_counter() - start
    ms = np.asarray(latencies) * 1000 if latencies else np.asarray([np.nan])
    p50, p99 = np.percentile(ms, [50, 99])
    return LoadResult(connections, elapsed, len(latencies), errors[0], float(p50), float(p99))


def run_load(url: str, connections: int, duration: float, warmup: float = 1.0,
             timeout: float = 10.0) -> LoadResult:
    """GET `url` on `connections` keep-alive connections for `duration` seconds (after
    `warmup` seconds not measured). The run ends at most `timeout` seconds after the duration:
    a request still unanswered then is an error."""
    coro = _load(url, connections, duration, warmup, timeout)
    if uvloop is not None:
        return uvloop.run(coro)
    return asyncio.run(coro)


def generator_name() -> str:
    return "built-in asyncio generator" + (" (uvloop)" if uvloop is not None else "")
