"""A local Twilio-shaped REST server for tests and demos: records requests, fakes delivery."""

from __future__ import annotations

import copy
import heapq
import hmac
import io
import json
import logging
import math
import secrets
import signal
import threading
import time
import wave
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from flask import Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue
from twilio.request_validator import RequestValidator
from werkzeug.serving import BaseWSGIServer

from devtools.local_server import serve_app
from notifications.segments import count_segments

log = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "AC" + "a" * 32
DEFAULT_AUTH_TOKEN = "fake-twilio-auth-token"
MAX_BODY_CHARS = 1600
# Host tells apart clients configured with different names for this server (tests of two workers).
RECORDED_HEADERS = ("User-Agent", "Content-Type", "Accept", "I-Twilio-Idempotency-Token", "Host")

# Twilio's error code -> (HTTP status, message) for the errors this fake can produce.
ERRORS: dict[int, tuple[int, str]] = {
    20003: (401, "Authentication Error - invalid username"),
    20404: (404, "The requested resource {path} was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
    20001: (400, "Unknown parameter(s) for this resource: {names}"),
    21201: (400, "No 'To' number is specified"),
    21205: (400, "Url parameter is required."),
    21211: (400, "Invalid 'To' Phone Number: {to}"),
    21213: (400, "No 'From' number is specified"),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
    21617: (400, "The concatenated message body exceeds the 1600 character limit."),
    30003: (0, "Unreachable destination handset"),
    30005: (0, "Unknown destination handset"),
    30006: (0, "Landline or unreachable carrier"),
    30007: (0, "Message filtered"),
    30008: (0, "Unknown error"),
}
# The form parameters Twilio's published spec defines for creating Messages and Calls
# (extracted from twilio_api_v2010.json; tests check the extract against the spec). The fake is
# strict on purpose: a parameter outside the spec is answered 400, so the app cannot drift.
SPEC_FIELDS: dict[str, Any] = json.loads(
    (Path(__file__).with_name("twilio_v2010_fields.json")).read_text(encoding="utf-8"))
CREATE_PARAMS = {kind: frozenset(SPEC_FIELDS[f"/{API_VERSION}/Accounts/{{AccountSid}}/{kind}"]
                                 ["properties"]) for kind in ("Messages.json", "Calls.json")}
MESSAGE_FLOW = ("queued", "sent", "delivered")
CALL_FLOW = ("queued", "ringing", "in-progress", "completed")


class ApiError(Exception):
    """A Twilio error response: its code, HTTP status and message."""

    def __init__(self, code: int, status: int | None = None, **fmt: str) -> None:
        default_status, text = ERRORS.get(code, (400, f"Error {code}"))
        if status is None:
            # 20xxx codes embed the HTTP status (20429, 20500, 20503); others default to 400.
            status = code - 20000 if 20400 <= code < 20600 else (default_status or 400)
        super().__init__(text.format(**fmt))
        self.code, self.status, self.text = code, status, text.format(**fmt)

    def body(self) -> dict[str, Any]:
        """The JSON body Twilio answers with."""
        return {"code": self.code, "message": self.text, "status": self.status,
                "more_info": f"https://www.twilio.com/docs/errors/{self.code}"}


@dataclass
class _Bucket:
    """Token bucket: `burst` requests at once, refilled at `rate` per second."""

    rate: float
    burst: float
    tokens: float
    stamp: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def _now() -> str:
    return format_datetime(datetime.now(UTC))  # RFC 2822 with "+0000", as Twilio sends


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())  # constant time, any charset


def _check_params(names: Iterable[str], kind: str) -> None:
    """Reject form parameters the spec does not define for creating `kind` (400, code 20001)."""
    unknown = sorted(set(names) - CREATE_PARAMS[kind])
    if unknown:
        raise ApiError(20001, names=", ".join(unknown)[:200])


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _tone(seconds: float, rate: int = 8000) -> bytes:
    """A mono 16-bit WAV of a 440 Hz tone: something a browser can really play."""
    frames = b"".join(int(8000 * math.sin(2 * math.pi * 440 * i / rate)).to_bytes(2, "little",
                                                                                  signed=True)
                      for i in range(int(seconds * rate)))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames)
    return out.getvalue()


class FakeTwilio:
    """A Twilio-shaped REST server on localhost that records requests and fakes delivery."""

    def __init__(self, account_sid: str = DEFAULT_ACCOUNT_SID,
                 auth_token: str = DEFAULT_AUTH_TOKEN, callback_delay: float = 0.05,
                 callbacks_enabled: bool = True, callback_timeout: float = 5.0) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.callback_delay, self.callbacks_enabled = callback_delay, callbacks_enabled
        self.callback_timeout = callback_timeout
        self.validator = RequestValidator(auth_token)
        self.base_url = ""
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._server: BaseWSGIServer | None = None
        self._threads: list[threading.Thread] = []
        self._running = False
        self._generation = 0
        self.reset()
        self.app = self._build_app()

    # --- lifecycle -----------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a daemon thread; return the base URL to give the Twilio client."""
        if self._server is not None:
            raise RuntimeError("FakeTwilio already started")
        self._server, self.base_url = serve_app(self.app, host, port)
        self._running = True
        self._threads = [
            threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True),
            threading.Thread(target=self._deliver_loop, daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving and delivering; pending callbacks are dropped."""
        with self._wake:
            self._running = False
            self._wake.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for thread in self._threads:
            thread.join(timeout=self.callback_timeout + 1)
        self._threads = []

    def __enter__(self) -> FakeTwilio:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- test controls -------------------------------------------------------------------
    def reset(self) -> None:
        """Forget all records, injected failures, rate limits and scheduled callbacks."""
        with self._wake:
            self._generation += 1  # an in-flight callback from before the reset is not recorded
            self._requests: list[dict[str, Any]] = []
            self._messages: dict[str, dict[str, Any]] = {}
            self._calls: dict[str, dict[str, Any]] = {}
            self._callback_urls: dict[str, str] = {}
            self._callbacks: list[dict[str, Any]] = []
            self._failures: dict[str, tuple[int, str]] = {}
            self._buckets: dict[str, _Bucket] = {}
            self._fail_next: list[int] = []
            self._delays: dict[str, float] = {}
            self._recordings: dict[str, bytes] = {}
            self._heap: list[tuple[float, int, str, tuple[tuple[str, int | None], ...]]] = []
            self._seq = 0
            self._pending = 0
            self._wake.notify_all()

    def fail_number(self, to: str, code: int, status: str = "undelivered") -> None:
        """Make sends to `to` fail with Twilio error `code` (30xxx: accepted, then `status`)."""
        # Request-time codes (21610, 21211, 21614...) reject the POST with an error body;
        # delivery codes (30xxx) are accepted like real Twilio and fail in the callbacks.
        with self._lock:
            self._failures[to] = (code, status)

    def set_rate_limit(self, sender: str, per_second: float, burst: float = 1.0) -> None:
        """Answer 429/20429 when `sender` (From or MessagingServiceSid) exceeds the rate."""
        with self._lock:
            if per_second <= 0:
                self._buckets.pop(sender, None)
            else:
                self._buckets[sender] = _Bucket(per_second, burst, burst, time.monotonic())

    def add_recording(self, seconds: float = 1.0) -> str:
        """Hold a recording (a WAV tone) and return its RecordingUrl as Twilio would post it."""
        sid = _sid("RE")
        with self._lock:
            self._recordings[sid] = _tone(seconds)
        return f"{self.base_url}/{API_VERSION}/Accounts/{self.account_sid}/Recordings/{sid}"

    def delay_number(self, to: str, seconds: float) -> None:
        """Answer sends to `to` only after `seconds`, the message already accepted (as when
        Twilio is slow to reply): a client with a shorter read timeout cannot know it went."""
        with self._lock:
            self._delays[to] = seconds

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """Answer the next `n` API requests with a transient 5xx (code 20000 + status)."""
        with self._lock:
            self._fail_next.extend([status] * n)

    def wait_for_callbacks(self, timeout: float = 5.0) -> bool:
        """Block until every scheduled status change has run; False on timeout."""
        with self._wake:
            return self._wake.wait_for(lambda: self._pending == 0, timeout)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every API request: method, path, query, form, headers subset, time, status."""
        with self._lock:
            return copy.deepcopy(self._requests)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Accepted Message resources (current state), in the order they were created."""
        with self._lock:
            return copy.deepcopy(list(self._messages.values()))

    @property
    def calls(self) -> list[dict[str, Any]]:
        """Accepted Call resources (current state), in the order they were created."""
        with self._lock:
            return copy.deepcopy(list(self._calls.values()))

    @property
    def callbacks(self) -> list[dict[str, Any]]:
        """Status callbacks posted: sid, status, url, params, status_code, error, time."""
        with self._lock:
            return copy.deepcopy(self._callbacks)

    def messages_to(self, number: str) -> list[dict[str, Any]]:
        """Accepted messages addressed to `number`."""
        return [m for m in self.messages if m["to"] == number]

    # --- HTTP ----------------------------------------------------------------------------
    def _build_app(self) -> Flask:
        app = Flask(__name__)
        base = f"/{API_VERSION}/Accounts/<account_sid>"

        def route(rule: str, handler: Callable[..., tuple[dict[str, Any], int]],
                  methods: list[str]) -> None:
            def view(account_sid: str, **kwargs: str) -> ResponseReturnValue:
                return self._api(account_sid, lambda: handler(**kwargs))
            app.add_url_rule(rule, endpoint=rule, view_func=view, methods=methods)

        route(f"{base}/Messages.json", self._messages_endpoint, ["GET", "POST"])
        route(f"{base}/Messages/<sid>.json", self._fetch, ["GET"])
        route(f"{base}/Calls.json", self._calls_endpoint, ["GET", "POST"])
        route(f"{base}/Calls/<sid>.json", self._fetch, ["GET"])

        @app.get(f"{base}/Recordings/<name>")
        def recording(account_sid: str, name: str) -> ResponseReturnValue:
            # Twilio serves WAV at the bare URL and at .wav; media needs the account's auth.
            sid = name.removesuffix(".wav")
            if not self._authorized(account_sid):
                return self._api(account_sid, lambda: ({}, 200))
            with self._lock:
                audio = self._recordings.get(sid)
            if audio is None:
                return self._api(account_sid, lambda: self._not_found())
            self._record_request(200)
            return Response(audio, mimetype="audio/x-wav")

        @app.delete(f"{base}/Recordings/<name>")
        def delete_recording(account_sid: str, name: str) -> ResponseReturnValue:
            # DELETE .../Recordings/{Sid}.json answers 204 with no body, 404 when unknown.
            sid = name.removesuffix(".json")
            if not self._authorized(account_sid):
                return self._api(account_sid, lambda: ({}, 200))
            with self._lock:
                found = self._recordings.pop(sid, None) is not None
            if not found:
                return self._api(account_sid, lambda: self._not_found())
            self._record_request(204)
            return Response(status=204)

        @app.get("/_fake/<what>")
        def dump(what: str) -> ResponseReturnValue:
            data = {"messages": self.messages, "calls": self.calls,
                    "requests": self.requests, "callbacks": self.callbacks}
            return jsonify(data[what]) if what in data else ({"error": "unknown"}, 404)

        @app.post("/_fake/<action>")
        def control(action: str) -> ResponseReturnValue:
            body = request.get_json(force=True, silent=True) or {}
            try:
                if action == "reset":
                    self.reset()
                elif action == "fail":
                    self.fail_number(body["to"], int(body["code"]),
                                     body.get("status", "undelivered"))
                elif action == "rate":
                    self.set_rate_limit(body["sender"], float(body["per_second"]),
                                        float(body.get("burst", 1.0)))
                elif action == "recording":
                    return {"url": self.add_recording(float(body.get("seconds", 1.0)))}
                elif action == "fail_next":
                    self.fail_next(int(body.get("n", 1)), int(body.get("status", 500)))
                else:
                    return {"error": f"unknown action {action}"}, 404
            except (KeyError, TypeError, ValueError) as exc:
                return {"error": f"bad request: {exc!r}"}, 400
            return {"ok": True}

        return app

    def _authorized(self, account_sid: str) -> bool:
        auth = request.authorization
        return (auth is not None and account_sid == self.account_sid
                and _same(auth.username or "", self.account_sid)
                and _same(auth.password or "", self.auth_token))

    def _api(self, account_sid: str, handler: Callable[[], tuple[dict[str, Any], int]]
             ) -> ResponseReturnValue:
        """Auth, injected 5xx, then the handler; every outcome is recorded."""
        try:
            if not self._authorized(account_sid):
                raise ApiError(20003)
            with self._lock:
                injected = self._fail_next.pop(0) if self._fail_next else None
            if injected is not None:
                raise ApiError(20000 + injected, injected)
            body, status = handler()
        except ApiError as exc:
            body, status = exc.body(), exc.status
        self._record_request(status)
        return jsonify(body), status

    def _record_request(self, status: int) -> None:
        form = {k: v[0] if len(v) == 1 else v for k, v in request.form.lists()}
        with self._lock:
            self._requests.append({
                "method": request.method, "path": request.path, "query": dict(request.args),
                "form": form, "time": time.time(), "status": status,
                "headers": {h: request.headers[h] for h in RECORDED_HEADERS
                            if h in request.headers},
            })

    @staticmethod
    def _not_found() -> tuple[dict[str, Any], int]:
        raise ApiError(20404, path=request.path)

    def _check_sender_and_recipient(self, to: str, sender: str) -> tuple[int, str] | None:
        """Apply rate limits and injected failures; return a delivery-time failure if any."""
        with self._lock:
            bucket = self._buckets.get(sender)
            if bucket is not None and not bucket.take(time.monotonic()):
                raise ApiError(20429)
            failure = self._failures.get(to)
        if failure is not None and failure[0] < 30000:
            raise ApiError(failure[0], to=to)
        return failure

    def _messages_endpoint(self) -> tuple[dict[str, Any], int]:
        if request.method == "GET":
            return self._page("messages", self._messages)
        form = request.form
        _check_params(form.keys(), "Messages.json")
        to, sender = form.get("To", ""), form.get("From", "")
        service, body = form.get("MessagingServiceSid", ""), form.get("Body", "")
        media = form.getlist("MediaUrl")
        if not to:
            raise ApiError(21604)
        if not sender and not service:
            raise ApiError(21603)
        if not body and not media:
            raise ApiError(21602)
        if len(body) > MAX_BODY_CHARS:
            raise ApiError(21617)
        failure = self._check_sender_and_recipient(to, sender or service)
        sid, now = _sid("MM" if media else "SM"), _now()
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        msg: dict[str, Any] = {
            "sid": sid, "account_sid": self.account_sid, "to": to, "from": sender or None,
            "body": body, "status": "queued", "num_segments": str(count_segments(body).segments),
            "num_media": str(len(media)), "direction": "outbound-api", "date_created": now,
            "date_updated": now, "date_sent": None, "error_code": None, "error_message": None,
            "price": None, "price_unit": "USD", "messaging_service_sid": service or None,
            "uri": uri + ".json", "api_version": API_VERSION,
            "subresource_uris": {"media": uri + "/Media.json"},
        }
        if failure is None:
            flow: tuple[tuple[str, int | None], ...] = tuple((s, None) for s in MESSAGE_FLOW)
        elif failure[1] == "failed":
            flow = (("queued", None), ("failed", failure[0]))
        else:
            flow = (("queued", None), ("sent", None), (failure[1], failure[0]))
        self._accept(self._messages, msg, form.get("StatusCallback"), flow)
        with self._lock:
            delay = self._delays.get(to, 0.0)
        if delay:
            time.sleep(delay)
        return msg, 201

    def _calls_endpoint(self) -> tuple[dict[str, Any], int]:
        if request.method == "GET":
            return self._page("calls", self._calls)
        form = request.form
        _check_params(form.keys(), "Calls.json")
        to, sender = form.get("To", ""), form.get("From", "")
        if not to:
            raise ApiError(21201)
        if not sender:
            raise ApiError(21213)
        if not (form.get("Url") or form.get("Twiml") or form.get("ApplicationSid")):
            raise ApiError(21205)
        failure = self._check_sender_and_recipient(to, sender)
        sid, now = _sid("CA"), _now()
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{sid}"
        call: dict[str, Any] = {
            "sid": sid, "date_created": now, "date_updated": now, "parent_call_sid": None,
            "account_sid": self.account_sid, "to": to, "to_formatted": to, "from": sender,
            "from_formatted": sender, "phone_number_sid": None, "status": "queued",
            "start_time": None, "end_time": None, "duration": None, "price": None,
            "price_unit": "USD", "direction": "outbound-api", "answered_by": None,
            "api_version": API_VERSION, "forwarded_from": None, "group_sid": None,
            "caller_name": None, "queue_time": "0", "trunk_sid": None, "uri": uri + ".json",
            "subresource_uris": {k: f"{uri}/{k.capitalize()}.json"
                                 for k in ("notifications", "recordings", "events")},
        }
        flow: tuple[tuple[str, int | None], ...] = tuple((s, None) for s in CALL_FLOW)
        if failure is not None:
            flow = (("queued", None), ("failed", failure[0]))
        self._accept(self._calls, call, form.get("StatusCallback"), flow)
        return call, 201

    def _fetch(self, sid: str) -> tuple[dict[str, Any], int]:
        with self._lock:
            found = self._messages.get(sid) or self._calls.get(sid)
            if found is None or request.path != found["uri"]:
                raise ApiError(20404, path=request.path)
            return copy.deepcopy(found), 200

    def _page(self, key: str, store: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], int]:
        """One page of a list, newest first, in Twilio's paging envelope."""
        filters = {k: request.args[k] for k in ("To", "From", "Status") if k in request.args}
        size = max(1, min(request.args.get("PageSize", 50, type=int), 1000))
        page = max(0, request.args.get("Page", 0, type=int))
        field = {"To": "to", "From": "from", "Status": "status"}
        with self._lock:
            items = [copy.deepcopy(r) for r in reversed(store.values())
                     if all(r.get(field[k]) == v for k, v in filters.items())]
        chunk, start = items[page * size:(page + 1) * size], page * size

        def uri(n: int) -> str:
            return f"{request.path}?{urlencode({**filters, 'PageSize': size, 'Page': n})}"

        return {
            key: chunk, "page": page, "page_size": size, "start": start,
            "end": start + max(len(chunk) - 1, 0), "uri": uri(page), "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1) if start + size < len(items) else None,
            "previous_page_uri": uri(page - 1) if page > 0 else None,
        }, 200

    # --- status lifecycle and callbacks ----------------------------------------------------
    def _accept(self, store: dict[str, dict[str, Any]], resource: dict[str, Any],
                callback: str | None, flow: tuple[tuple[str, int | None], ...]) -> None:
        with self._wake:
            store[resource["sid"]] = resource
            if callback:
                self._callback_urls[resource["sid"]] = callback
            self._schedule(resource["sid"], flow)

    def _schedule(self, sid: str, steps: tuple[tuple[str, int | None], ...]) -> None:
        """Queue the next status change; caller holds the lock."""
        self._seq += 1
        self._pending += 1
        heapq.heappush(self._heap, (time.monotonic() + self.callback_delay, self._seq, sid, steps))
        self._wake.notify_all()

    def _deliver_loop(self) -> None:
        """One worker, so each resource's callbacks are posted strictly in order."""
        while True:
            with self._wake:
                while self._running and (not self._heap or self._heap[0][0] > time.monotonic()):
                    self._wake.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                if not self._running:
                    return
                _, _, sid, steps = heapq.heappop(self._heap)
                generation = self._generation
                post = self._advance(sid, steps)
            if post is not None:
                self._post_callback(sid, steps[0][0], *post, generation)
            with self._wake:
                if generation == self._generation:
                    self._pending -= 1
                    self._wake.notify_all()

    def _advance(self, sid: str, steps: tuple[tuple[str, int | None], ...]
                 ) -> tuple[str, dict[str, str]] | None:
        """Apply one status change under the lock; return the callback (url, params) to post."""
        status, code = steps[0]
        now = _now()
        if len(steps) > 1:
            self._schedule(sid, steps[1:])
        if sid in self._messages:
            res = self._messages[sid]
            res.update(status=status, date_updated=now)
            if status == "sent":
                res.update(date_sent=now, price=f"-{0.0079 * int(res['num_segments']):.5f}")
            if code is not None:
                res.update(error_code=code, error_message=ERRORS.get(code, (0, ""))[1] or None)
            params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status,
                      "SmsStatus": status, "AccountSid": self.account_sid, "To": res["to"],
                      "ApiVersion": API_VERSION}
            if res["from"]:
                params["From"] = res["from"]
            if res["messaging_service_sid"]:
                params["MessagingServiceSid"] = res["messaging_service_sid"]
        elif sid in self._calls:
            res = self._calls[sid]
            res.update(status=status, date_updated=now)
            if status == "ringing":
                res.update(start_time=now)
            if status in ("completed", "failed"):
                res.update(end_time=now, duration="1" if status == "completed" else "0")
            params = {"CallSid": sid, "CallStatus": status, "AccountSid": self.account_sid,
                      "From": res["from"], "To": res["to"], "Direction": "outbound-api",
                      "ApiVersion": API_VERSION, "Timestamp": now,
                      "CallbackSource": "call-progress-events"}
            if status == "completed":
                params["CallDuration"] = res["duration"]
        else:
            return None  # reset since it was scheduled
        if code is not None:
            params["ErrorCode"] = str(code)
        url = self._callback_urls.get(sid)
        return (url, params) if url and self.callbacks_enabled else None

    def _post_callback(self, sid: str, status: str, url: str, params: dict[str, str],
                       generation: int) -> None:
        """POST a signed, form-encoded callback; failures are logged and recorded, never raised."""
        headers = {"X-Twilio-Signature": self.validator.compute_signature(url, params),
                   "User-Agent": "TwilioProxy/1.1"}
        record: dict[str, Any] = {"sid": sid, "status": status, "url": url, "params": params,
                                  "status_code": None, "error": None, "time": time.time()}
        try:
            resp = requests.post(url, data=params, headers=headers,
                                 timeout=self.callback_timeout, allow_redirects=False)
            record["status_code"] = resp.status_code
        except requests.RequestException as exc:
            record["error"] = repr(exc)
            log.warning("fake-twilio: status callback to %s failed: %s", url, exc)
        with self._lock:
            if generation == self._generation:
                self._callbacks.append(record)


def serve_forever(host: str = "127.0.0.1", port: int = 0,
                  account_sid: str = DEFAULT_ACCOUNT_SID,
                  auth_token: str = DEFAULT_AUTH_TOKEN) -> None:
    """Run a FakeTwilio until Ctrl-C, printing its base URL first (for `hotline fake-twilio`)."""
    fake = FakeTwilio(account_sid, auth_token)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with `&`
    print(fake.start(host, port), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
