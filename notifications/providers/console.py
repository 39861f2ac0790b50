"""Console provider for the demo: logs what it would send; the send task keeps the row."""

from __future__ import annotations

import logging
import uuid

from notifications.providers.base import ProviderMessage, SendResult
from notifications.segments import count_segments

log = logging.getLogger("hotline.console")


class ConsoleProvider:
    """Pretends every message is accepted and prints it, so the demo needs no Twilio account."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    def send_sms(
        self, to: str, body: str, *, from_: str, status_callback: str | None = None
    ) -> SendResult:
        """Log the SMS and return a console SID."""
        sid = "SMconsole" + uuid.uuid4().hex[:23]
        self.sent.append({"sid": sid, "to": to, "from": from_, "body": body})
        log.info("SMS %s -> %s: %s", from_, to, body)
        return SendResult(sid=sid, status="sent", segments=count_segments(body).segments)

    def start_call(
        self, to: str, *, from_: str, url: str, status_callback: str | None = None
    ) -> SendResult:
        """Log the call and return a console SID."""
        sid = "CAconsole" + uuid.uuid4().hex[:23]
        log.info("CALL %s -> %s (TwiML from %s)", from_, to, url)
        return SendResult(sid=sid, status="queued")

    def find_sms(self, to: str, *, from_: str | None = None, limit: int = 20
                 ) -> list[ProviderMessage]:
        """Messages this process logged to `to`, newest first."""
        found = [m for m in reversed(self.sent)
                 if m["to"] == to and (from_ is None or m["from"] == from_)]
        return [ProviderMessage(sid=m["sid"], to=m["to"], from_=m["from"], body=m["body"],
                                status="sent") for m in found[:limit]]

    def fetch_sms(self, sid: str) -> ProviderMessage | None:
        """A message this process logged, by SID."""
        for m in self.sent:
            if m["sid"] == sid:
                return ProviderMessage(sid=sid, to=m["to"], from_=m["from"], body=m["body"],
                                       status="sent")
        return None
