"""The narrow provider interface every sender implements, and its typed errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class SendResult:
    """What a provider said when it accepted a message or call."""

    sid: str
    status: str
    segments: int = 1


class ProviderError(Exception):
    """Base for every error a provider raises; carries the provider's error code."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class Throttled(ProviderError):
    """The provider asked us to slow down (HTTP 429 / Twilio 20429); safe to retry later."""


class RecipientOptedOut(ProviderError):
    """The recipient replied STOP at the carrier (Twilio 21610); never send to them again."""


class PermanentFailure(ProviderError):
    """The request can never succeed as it is (invalid or non-mobile number, bad auth...)."""


class TransientFailure(ProviderError):
    """A network error or 5xx; if `maybe_sent`, the provider may have acted: reconcile."""

    def __init__(self, message: str, code: int | None = None, *, maybe_sent: bool = True) -> None:
        super().__init__(message, code)
        self.maybe_sent = maybe_sent


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
    status: str
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
