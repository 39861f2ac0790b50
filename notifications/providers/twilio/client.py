"""Twilio's REST API: sending, starting calls, looking messages up, recordings.

The one module that imports `twilio.rest`. Errors are typed by errors.py, status words read
by statuses.py.
"""

from __future__ import annotations

import os
import re
import socket
import struct
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.rest.api.v2010.account.message import MessageInstance
from urllib3.connection import HTTPConnection

from models import MessageStatus
from notifications.providers.base import (
    PermanentFailure,
    ProviderMessage,
    Recording,
    SendResult,
    TransientFailure,
)
from notifications.providers.twilio.errors import from_exception
from notifications.providers.twilio.statuses import reported_status

# Only our own account's recordings are fetched with our credentials, whatever a URL says.
RECORDING_PATH = re.compile(r"/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Recordings/RE[0-9a-fA-F]{32}"
                            r"(\.(wav|mp3))?")
MAX_RECORDING_BYTES = 64 * 1024 * 1024


class _GivenUpIsGone(HTTPAdapter):
    """Connections whose request, once given up on, can no longer reach Twilio.

    A send that timed out (its host cut off) is closed, but the kernel would go on
    retransmitting the request for up to two minutes; by then the message was found unsent and
    sent again (notifications.reconcile, the campaign's lease), and the late copy would be a
    second text. An abortive close (SO_LINGER 0) drops what was not yet delivered, and
    TCP_USER_TIMEOUT ends a connection whose data stays unacknowledged past the timeout."""

    def __init__(self, timeout: float) -> None:
        options: list[tuple[int, int, int | bytes]] = [
            (socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))]
        if hasattr(socket, "TCP_USER_TIMEOUT"):  # Linux
            options.append((socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, int(timeout * 1000)))
        self.socket_options = options
        super().__init__(pool_maxsize=min(32, (os.cpu_count() or 1) + 4))  # as twilio's own

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """The pool, its connections opened with the options above (and urllib3's own)."""
        kwargs["socket_options"] = [*HTTPConnection.default_socket_options,
                                    *self.socket_options]
        super().init_poolmanager(*args, **kwargs)


class TwilioProvider:
    """Sends through Twilio's REST API, or through a Twilio-shaped server at `api_url`."""

    def __init__(self, account_sid: str, auth_token: str, *, api_url: str | None = None,
                 timeout: float = 10.0) -> None:
        http = TwilioHttpClient(timeout=timeout)
        if http.session is not None:
            for scheme in ("https://", "http://"):
                http.session.mount(scheme, _GivenUpIsGone(timeout))
        self.client = Client(account_sid, auth_token, http_client=http)
        # Edge/region env vars would rewrite the host away from api_url; ignore them.
        self.timeout = timeout
        self.client.edge = None
        self.client.region = None
        if api_url:
            self.client.api.base_url = api_url.rstrip("/")

    def send_sms(
        self, to: str, body: str, *, from_: str, status_callback: str | None = None
    ) -> SendResult:
        """Create a Message resource; map Twilio errors onto the typed provider errors."""
        kwargs: dict[str, str] = {"to": to, "from_": from_, "body": body}
        if from_.startswith("MG"):  # a Messaging Service SID: Twilio picks from its pool
            kwargs["messaging_service_sid"] = kwargs.pop("from_")
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            msg = self.client.messages.create(**kwargs)
        except (TwilioRestException, requests.RequestException) as exc:
            raise from_exception(exc) from exc
        return SendResult(sid=msg.sid or "", status=reported_status(msg.status),
                          segments=int(msg.num_segments or 1))

    def start_call(
        self, to: str, *, from_: str, url: str, status_callback: str | None = None
    ) -> SendResult:
        """Create a Call resource that fetches its TwiML from `url`."""
        kwargs: dict[str, str] = {"to": to, "from_": from_, "url": url}
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            call = self.client.calls.create(**kwargs)
        except (TwilioRestException, requests.RequestException) as exc:
            raise from_exception(exc) from exc
        # Twilio took the call request; how the call goes, its own callbacks tell.
        return SendResult(sid=call.sid or "", status=MessageStatus.ACCEPTED)

    def find_sms(self, to: str, *, from_: str | None = None, limit: int = 20
                 ) -> list[ProviderMessage]:
        """Recent messages to `to` (GET Messages.json?To=...), to reconcile a lost outcome."""
        kwargs: dict[str, str] = {"to": to}
        if from_ and not from_.startswith("MG"):
            kwargs["from_"] = from_
        try:
            found = self.client.messages.list(limit=limit, page_size=limit, **kwargs)
        except (TwilioException, requests.RequestException) as exc:
            raise from_exception(exc) from exc
        return [_as_provider_message(m) for m in found]

    def fetch_sms(self, sid: str) -> ProviderMessage | None:
        """One message by SID; None when Twilio has no such message."""
        try:
            return _as_provider_message(self.client.messages(sid).fetch())
        except TwilioRestException as exc:
            if exc.status == 404:
                return None
            raise from_exception(exc) from exc
        except requests.RequestException as exc:
            raise from_exception(exc) from exc

    def fetch_recording(self, url: str) -> Recording:
        """Download a recording with the account's credentials (media may need HTTP auth)."""
        path = urlsplit(url).path
        match = RECORDING_PATH.fullmatch(path)
        if match is None or match.group(1) != self.client.username:
            raise PermanentFailure(f"not a recording of this account: {url!r}")
        try:
            resp = requests.get(self.client.api.base_url + path, timeout=self.timeout,
                                auth=(self.client.username or "", self.client.password or ""),
                                stream=True)
            if resp.status_code == 404:
                raise PermanentFailure(f"the provider has no recording at {path}", 20404)
            if resp.status_code != 200:
                raise TransientFailure(f"recording fetch answered HTTP {resp.status_code}",
                                       maybe_sent=False)
            audio = resp.raw.read(MAX_RECORDING_BYTES + 1, decode_content=True)
        except requests.RequestException as exc:
            raise TransientFailure(f"network error fetching a recording: {exc}",
                                   maybe_sent=False) from exc
        if len(audio) > MAX_RECORDING_BYTES:
            raise PermanentFailure(f"recording larger than {MAX_RECORDING_BYTES} bytes")
        return Recording(audio=audio, content_type=resp.headers.get("Content-Type", "audio/wav"))


    def delete_recording(self, url: str) -> None:
        """Delete one of this account's recordings at Twilio (a 404 means already deleted)."""
        match = RECORDING_PATH.fullmatch(urlsplit(url).path)
        if match is None or match.group(1) != self.client.username:
            raise PermanentFailure("not a recording of this account")
        sid = urlsplit(url).path.rsplit("/", 1)[1].split(".")[0]
        try:
            self.client.recordings(sid).delete()
        except TwilioRestException as exc:
            if exc.status != 404:
                raise from_exception(exc) from exc
        except requests.RequestException as exc:
            raise from_exception(exc) from exc


def _as_provider_message(msg: MessageInstance) -> ProviderMessage:
    return ProviderMessage(sid=str(msg.sid), to=str(msg.to), from_=msg.from_,
                           body=str(msg.body or ""), status=reported_status(msg.status),
                           error_code=int(msg.error_code) if msg.error_code else None,
                           segments=int(msg.num_segments or 1))

