"""The narrow provider interface every sender implements, its typed errors, and the one rule
for what a send does after each of them.

Statuses here are the hotline's own `MessageStatus`: each provider maps its carrier's words in
its own package. A provider reports an outbound message it has as ACCEPTED or later.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol, runtime_checkable

from models.message import MessageStatus


@dataclass(frozen=True)
class SendResult:
    """What a provider said when it accepted a message or call (a call: ACCEPTED)."""

    sid: str
    status: MessageStatus
    segments: int = 1


class ProviderError(Exception):
    """Base for every error a provider raises; carries the provider's error code."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class Throttled(ProviderError):
    """The provider asked us to slow down; nothing was sent, so it is safe to retry later."""


class RecipientOptedOut(ProviderError):
    """The recipient unsubscribed at the carrier (replied STOP); never send to them again."""


class PermanentFailure(ProviderError):
    """The request can never succeed as it is (invalid or non-mobile number, bad auth...)."""


class TransientFailure(ProviderError):
    """A network error or 5xx; if `maybe_sent`, the provider may have acted: reconcile."""

    def __init__(self, message: str, code: int | None = None, *, maybe_sent: bool = True) -> None:
        super().__init__(message, code)
        self.maybe_sent = maybe_sent


class ErrorOutcome(enum.StrEnum):
    """What a send does after a provider error: the same for single messages and campaigns."""

    RETRY = "retry"  # the provider surely did not act: send again after a pause
    UNKNOWN = "unknown"  # it may have acted: reconcile with the provider, never resend blindly
    OPTED_OUT = "opted_out"  # unsubscribed at the carrier: withdraw consent, send nothing more
    FAILED = "failed"  # can never succeed as it is


def error_outcome(error: ProviderError) -> ErrorOutcome:
    """The one decision on a provider error, shared by the send task and campaign chunks."""
    if isinstance(error, Throttled) or (
            isinstance(error, TransientFailure) and not error.maybe_sent):
        return ErrorOutcome.RETRY
    if isinstance(error, TransientFailure):
        return ErrorOutcome.UNKNOWN
    if isinstance(error, RecipientOptedOut):
        return ErrorOutcome.OPTED_OUT
    return ErrorOutcome.FAILED  # PermanentFailure, and any error no subclass names


class Provider(Protocol):
    """Sends SMS and starts calls; the only surface the rest of the code sees."""

    def send_sms(
        self, to: str, body: str, *, from_: str, status_callback: str | None = None
    ) -> SendResult:
        """Send one SMS; raise a ProviderError subclass on failure."""
        ...

    def start_call(
        self, to: str, *, from_: str, url: str, status_callback: str | None = None
    ) -> SendResult:
        """Start an outbound call whose TwiML is fetched from `url`."""
        ...


@dataclass(frozen=True)
class ProviderMessage:
    """A message as the provider knows it, for reconciling sends whose outcome we lost."""

    sid: str
    to: str
    from_: str | None
    body: str
    status: MessageStatus  # ACCEPTED or later: the provider has it
    error_code: int | None = None
    segments: int = 1


@runtime_checkable
class MessageLookup(Protocol):
    """Providers that can say what they sent (campaign reconciliation after a crash)."""

    def find_sms(self, to: str, *, from_: str | None = None, limit: int = 20
                 ) -> list[ProviderMessage]:
        """Recent outbound messages to `to` (optionally from `from_`), newest first."""
        ...

    def fetch_sms(self, sid: str) -> ProviderMessage | None:
        """One message by SID, or None if the provider has no such message."""
        ...


@dataclass(frozen=True)
class BatchItem:
    """One text of a batch: the hotline row it is for (a campaign recipient), number, text."""

    ref: int
    to: str
    body: str


class BatchRefused(ProviderError):
    """The provider refused a whole batch for something one number or text in it may cause
    (an invalid number, a per-number limit, a parameter): nothing was sent. Send each of its
    texts alone to learn which one, so the others still go."""


@runtime_checkable
class BatchSender(Protocol):
    """Providers that take many texts in one request (campaigns use it when there is one).

    Its lookups give every text of a batch a sid of its own, where the provider's own id
    names the whole batch, so reconciling a batch whose answer was lost adopts each text once.
    """

    max_batch: int

    def send_batch(self, items: Sequence[BatchItem], *, from_: str, campaign_id: int
                   ) -> list[SendResult | ProviderError]:
        """Send the items (grouped as the provider needs); one result or error per item, in
        order. A whole-request failure is the same error for each of its items."""
        ...

    def find_sms(self, to: str, *, from_: str | None = None, limit: int = 20
                 ) -> list[ProviderMessage]:
        """As MessageLookup.find_sms, batch texts included with their own sids."""
        ...

    def fetch_sms(self, sid: str) -> ProviderMessage | None:
        """As MessageLookup.fetch_sms, for single and batch sids alike."""
        ...


def batch_sender(provider: object) -> BatchSender | None:
    """The provider's batch sender, or None when it sends one text per request.

    A provider is its own batch sender if it implements BatchSender; else its package may hold
    a `batch` module with `batch_sender(provider)` (notifications/providers/alibaba/batch.py)."""
    if isinstance(provider, BatchSender):
        return provider
    factory = _batch_factory(type(provider).__module__)
    return factory(provider) if factory is not None else None


@lru_cache(maxsize=32)
def _batch_factory(module: str) -> Any:
    if not module.startswith("notifications.providers."):
        return None
    name = f"{module}.batch"
    try:
        found = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None  # no batch module: the provider sends one text per request
        raise
    return getattr(found, "batch_sender", None)


@dataclass(frozen=True)
class Recording:
    """A call recording's audio as fetched from the provider."""

    audio: bytes
    content_type: str


@runtime_checkable
class RecordingStore(Protocol):
    """Providers that hold call recordings and hand them over to an authenticated caller."""

    def fetch_recording(self, url: str) -> Recording:
        """The audio behind a RecordingUrl the provider gave us; ProviderError if it cannot."""
        ...

    def delete_recording(self, url: str) -> None:
        """Delete a recording at the provider (already gone is fine); ProviderError if not."""
        ...
