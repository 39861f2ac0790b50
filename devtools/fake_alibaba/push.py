"""Alibaba's HTTP batch push for the fake server: SmsReport and SmsUp as JSON arrays, retried.

Alibaba posts a JSON array (one request may carry several reports or replies) and expects
`{"code": 0, "msg": "接收成功"}`. Its documentation says it checks only that the HTTP status is
200 and that `code` is a number (not which number): anything else, or no answer in time, is
pushed again after 1, 5 and 10 minutes, then given up. So an endpoint that cannot take a push
must answer 5xx, not `{"code": 1}`. The fake keeps that schedule's shape with short delays
(`retry_delays`) so tests see retries without waiting.
"""

from __future__ import annotations

import copy
import heapq
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

log = logging.getLogger(__name__)

KINDS = ("report", "up")  # push_url + "/report" (SmsReport), push_url + "/up" (SmsUp)
MAX_BATCH = 100  # items coalesced into one push


@dataclass(order=True)
class _Entry:
    due: float
    seq: int
    kind: str = field(compare=False)
    # First attempt: callables that apply the change and return the item (None: forget it);
    # a retry carries the items already made.
    makers: list[Callable[[], dict[str, Any] | None]] = field(compare=False, default_factory=list)
    items: list[dict[str, Any]] = field(compare=False, default_factory=list)
    attempt: int = field(compare=False, default=0)


def accepted(resp: requests.Response) -> bool:
    """Alibaba's success rule: HTTP 200 and a JSON object whose `code` is a number."""
    if resp.status_code != 200:
        return False
    try:
        body = resp.json()
    except ValueError:
        return False
    code = body.get("code") if isinstance(body, dict) else None
    return isinstance(code, int | float) and not isinstance(code, bool)


class Pusher:
    """One background thread that posts due pushes in order and retries refused ones."""

    def __init__(self, url_for: Callable[[str], str | None],
                 retry_delays: tuple[float, ...] = (0.05, 0.1, 0.2), timeout: float = 5.0) -> None:
        self.url_for, self.retry_delays, self.timeout = url_for, retry_delays, timeout
        self._wake = threading.Condition(threading.RLock())
        self._heap: list[_Entry] = []
        self._seq = 0
        self._pending = 0
        self._generation = 0
        self._records: list[dict[str, Any]] = []
        self._running = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the push thread."""
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="fake-alibaba-push", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop pushing; what is still scheduled is dropped."""
        with self._wake:
            self._running = False
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 1)
            self._thread = None

    def clear(self) -> None:
        """Forget everything scheduled and recorded (an in-flight push is not recorded)."""
        with self._wake:
            self._generation += 1
            self._heap.clear()
            self._records.clear()
            self._pending = 0
            self._wake.notify_all()

    def schedule(self, kind: str, makers: list[Callable[[], dict[str, Any] | None]],
                 delay: float) -> None:
        """Make these items (reports or replies) `delay` seconds from now and push them
        together, MAX_BATCH to a request."""
        with self._wake:
            due = time.monotonic() + delay
            for i in range(0, len(makers), MAX_BATCH):
                self._push_entry(_Entry(due, 0, kind, makers=makers[i:i + MAX_BATCH]))

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until nothing is scheduled or being pushed; False on timeout."""
        with self._wake:
            return self._wake.wait_for(lambda: self._pending == 0, timeout)

    @property
    def records(self) -> list[dict[str, Any]]:
        """Every push attempt: kind, url, items, attempt, status_code, body, error, ok, time."""
        with self._wake:
            return copy.deepcopy(self._records)

    def _push_entry(self, entry: _Entry) -> None:
        self._seq += 1
        entry.seq = self._seq
        self._pending += 1
        heapq.heappush(self._heap, entry)
        self._wake.notify_all()

    def _next_batch(self) -> _Entry | None:
        """Wait for the earliest due entry and coalesce same-kind first attempts due with it."""
        while self._running and (not self._heap or self._heap[0].due > time.monotonic()):
            self._wake.wait(self._heap[0].due - time.monotonic() if self._heap else None)
        if not self._running:
            return None
        entry = heapq.heappop(self._heap)
        now = time.monotonic()
        while (entry.attempt == 0 and self._heap and self._heap[0].due <= now
               and self._heap[0].kind == entry.kind and self._heap[0].attempt == 0
               and len(entry.makers) + len(self._heap[0].makers) <= MAX_BATCH):
            entry.makers.extend(heapq.heappop(self._heap).makers)
            self._pending -= 1
        return entry

    def _loop(self) -> None:
        while True:
            with self._wake:
                entry = self._next_batch()
                if entry is None:
                    return
                generation = self._generation
            # Makers take the server's lock, so they run outside ours (the server schedules
            # while holding its lock).
            if entry.makers:
                made = (maker() for maker in entry.makers)
                entry.items = [item for item in made if item is not None]
                entry.makers = []
            url = self.url_for(entry.kind)
            if entry.items and url:
                self._post(entry, url, generation)
            with self._wake:
                if generation == self._generation:
                    self._pending -= 1
                    self._wake.notify_all()

    def _post(self, entry: _Entry, url: str, generation: int) -> None:
        record: dict[str, Any] = {"kind": entry.kind, "url": url, "items": entry.items,
                                  "attempt": entry.attempt, "status_code": None, "body": None,
                                  "error": None, "ok": False, "time": time.time()}
        try:
            resp = requests.post(url, json=entry.items, timeout=self.timeout,
                                 headers={"User-Agent": "Alibaba-Cloud-SMS-Push"})
            record.update(status_code=resp.status_code, body=resp.text[:500],
                          ok=accepted(resp))
        except requests.RequestException as exc:
            record["error"] = repr(exc)
        with self._wake:
            if generation != self._generation:
                return
            self._records.append(record)
            if not record["ok"]:
                # The URL carries the hotline's push secret: it is not logged.
                log.warning("fake-alibaba: %s push refused (attempt %d)", entry.kind,
                            entry.attempt + 1)
                if entry.attempt < len(self.retry_delays):
                    self._push_entry(_Entry(time.monotonic() + self.retry_delays[entry.attempt],
                                            0, entry.kind, items=entry.items,
                                            attempt=entry.attempt + 1))
