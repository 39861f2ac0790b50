"""A zero-latency provider for benchmarks: measures our pipeline, not the network."""

from __future__ import annotations

import itertools
import os

from models import MessageStatus
from notifications.providers import ProviderMessage, SendResult

_ids = itertools.count()


class NullProvider:
    """Accepts every message at once; remembers nothing (400,000 sends must not grow memory)."""

    def send_sms(self, to: str, body: str, *, from_: str, status_callback: str | None = None
                 ) -> SendResult:
        """Accept instantly with a unique SID."""
        return SendResult(sid=f"SMnull{os.getpid()}x{next(_ids)}", status=MessageStatus.ACCEPTED)

    def start_call(self, to: str, *, from_: str, url: str, status_callback: str | None = None
                   ) -> SendResult:
        """Accept instantly."""
        return SendResult(sid=f"CAnull{os.getpid()}x{next(_ids)}", status=MessageStatus.ACCEPTED)

    def find_sms(self, to: str, *, from_: str | None = None, limit: int = 20
                 ) -> list[ProviderMessage]:
        """Nothing is remembered, so nothing is found."""
        return []

    def fetch_sms(self, sid: str) -> ProviderMessage | None:
        """Nothing is remembered."""
        return None
