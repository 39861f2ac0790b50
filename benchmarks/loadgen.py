"""A small closed-loop HTTP load generator (asyncio + aiohttp), loopback only, bounded.

Requests are prepared (and signed) before the clock starts, so the generator measures the
server, not the signing. Each of `concurrency` clients sends its next request as soon as the
previous answer arrives; the run stops after all requests or `time_limit` seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class PreparedRequest:
    """One POST: path (with query), encoded body and headers."""

    path: str
    body: bytes
    headers: dict[str, str]


@dataclass
class LoadResult:
    """Latencies (seconds) and status codes of one run."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    elapsed: float = 0.0

    def summary(self) -> dict[str, Any]:
        """Requests, req/s and latency percentiles in milliseconds."""
        done = len(self.latencies)
        ordered = sorted(self.latencies)
        return {
            "requests": done,
            "seconds": round(self.elapsed, 3),
            "req_per_s": round(done / self.elapsed, 1) if self.elapsed else 0.0,
            "p50_ms": ms(percentile(ordered, 0.50)),
            "p95_ms": ms(percentile(ordered, 0.95)),
            "p99_ms": ms(percentile(ordered, 0.99)),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


def percentile(ordered: list[float], q: float) -> float:
    """The nearest-rank percentile of an already sorted list (0.0 when empty)."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def ms(seconds: float) -> float:
    """Seconds as milliseconds, rounded for a table."""
    return round(seconds * 1000, 2)


def check_loopback(base_url: str) -> None:
    """Refuse to load anything but this machine."""
    host = urlsplit(base_url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"the load generator only targets loopback, not {host!r}")


async def _client(session: aiohttp.ClientSession, base_url: str, todo: list[PreparedRequest],
                  deadline: float, result: LoadResult) -> None:
    while todo and time.monotonic() < deadline:
        req = todo.pop()
        started = time.perf_counter()
        try:
            async with session.post(base_url + req.path, data=req.body,
                                    headers=req.headers) as resp:
                await resp.read()
                status = resp.status
        except (TimeoutError, aiohttp.ClientError):
            status = 0  # connection refused/reset or timed out: counted, never retried
        result.latencies.append(time.perf_counter() - started)
        result.statuses[status] += 1


async def _run(base_url: str, requests: list[PreparedRequest], concurrency: int,
               time_limit: float) -> LoadResult:
    result = LoadResult()
    todo = list(reversed(requests))  # pop() from the end keeps the prepared order
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        started = time.perf_counter()
        deadline = time.monotonic() + time_limit
        await asyncio.gather(*(_client(session, base_url, todo, deadline, result)
                               for _ in range(concurrency)))
        result.elapsed = time.perf_counter() - started
    return result


def run_load(base_url: str, requests: list[PreparedRequest], *, concurrency: int = 4,
             time_limit: float = 60.0) -> LoadResult:
    """Send `requests` to `base_url` from `concurrency` clients; return what happened."""
    check_loopback(base_url)
    return asyncio.run(_run(base_url, requests, concurrency, time_limit))
