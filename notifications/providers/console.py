"""Console provider: pretends to send, so the demo needs no Twilio account; the send task keeps
the row.

What it "sent" is shown in two ways. Its log records (logger "hotline.console") carry masked
numbers and the length of the text, never the text: this provider is the default, so a
production install that forgot HOTLINE_PROVIDER must not write a worker's number or words
into its logs. The full text goes to the process's standard output only on a setup nothing
outside this machine can reach (`hotline demo`, a developer's shell: the public demo token,
which the configuration accepts only there), where a newcomer is meant to read it.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Mapping
from typing import Any

from flask import current_app, has_app_context

from hotline.infra.config import DEMO_AUTH_TOKEN
from hotline.phones import mask_phone
from models import MessageStatus
from notifications.providers.base import ProviderMessage, SendResult
from notifications.segments import count_segments

log = logging.getLogger("hotline.console")


def local_only() -> bool:
    """True when the app signs with the public demo token, i.e. no real worker can reach it."""
    return has_app_context() and current_app.config.get("TWILIO_AUTH_TOKEN") == DEMO_AUTH_TOKEN


def from_config(config: Mapping[str, Any]) -> ConsoleProvider:
    """The provider for HOTLINE_PROVIDER=console (it needs no settings)."""
    return ConsoleProvider()


class ConsoleProvider:
    """Pretends every message is accepted; shows the texts only on a local-only setup."""

    def __init__(self, show_texts: bool | None = None) -> None:
        self.sent: list[dict[str, str]] = []
        self.show_texts = local_only() if show_texts is None else show_texts

    def _show(self, line: str) -> None:
        # The real standard output: Celery's worker replaces sys.stdout with a proxy that turns
        # prints into log records, and this line is the demo's screen, not a log.
        out = sys.__stdout__ or sys.stdout
        out.write(line + "\n")
        out.flush()

    def send_sms(
        self, to: str, body: str, *, from_: str, status_callback: str | None = None
    ) -> SendResult:
        """Record the SMS, show or log it, and return a console SID."""
        sid = "SMconsole" + uuid.uuid4().hex[:23]
        self.sent.append({"sid": sid, "to": to, "from": from_, "body": body})
        segments = count_segments(body).segments
        if self.show_texts:
            self._show(f"SMS {from_} -> {to}: {body}")
        else:
            log.info("SMS %s -> %s: %d characters, %d segment(s), text not logged",
                     mask_phone(from_), mask_phone(to), len(body), segments)
        return SendResult(sid=sid, status=MessageStatus.SENT, segments=segments)

    def start_call(
        self, to: str, *, from_: str, url: str, status_callback: str | None = None
    ) -> SendResult:
        """Show or log the call and return a console SID."""
        sid = "CAconsole" + uuid.uuid4().hex[:23]
        if self.show_texts:
            self._show(f"CALL {from_} -> {to} (TwiML from {url})")
        else:
            log.info("CALL %s -> %s (TwiML from %s)", mask_phone(from_), mask_phone(to), url)
        return SendResult(sid=sid, status=MessageStatus.ACCEPTED)

    def find_sms(self, to: str, *, from_: str | None = None, limit: int = 20
                 ) -> list[ProviderMessage]:
        """Messages this process recorded to `to`, newest first."""
        found = [m for m in reversed(self.sent)
                 if m["to"] == to and (from_ is None or m["from"] == from_)]
        return [ProviderMessage(sid=m["sid"], to=m["to"], from_=m["from"], body=m["body"],
                                status=MessageStatus.SENT) for m in found[:limit]]

    def fetch_sms(self, sid: str) -> ProviderMessage | None:
        """A message this process recorded, by SID."""
        for m in self.sent:
            if m["sid"] == sid:
                return ProviderMessage(sid=sid, to=m["to"], from_=m["from"], body=m["body"],
                                       status=MessageStatus.SENT)
        return None
