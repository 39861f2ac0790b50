"""FakeTwilio driven through the real twilio client (via TwilioProvider)."""

from __future__ import annotations

import json
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from devtools import fake_twilio
from devtools.fake_twilio import FakeTwilio
from models import MessageStatus
from notifications.providers.base import (
    PermanentFailure,
    RecipientOptedOut,
    Throttled,
    TransientFailure,
)
from notifications.providers.twilio import TwilioProvider

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "test-token-123"
FROM = "+15005550006"
# Field lists extracted from Twilio's published spec (shared/twilio/twilio_api_v2010.json);
# test_spec_extract_matches_the_full_spec re-checks the extract whenever shared/ is beside us.
SPEC_FIELDS = json.loads((Path(__file__).parent / "data" / "twilio_v2010_fields.json").read_text())
FULL_SPEC = Path(__file__).resolve().parents[2] / "shared" / "twilio" / "twilio_api_v2010.json"
TO = "+15558675310"


class Receiver:
    """A tiny HTTP server that records the status callbacks posted to it."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"])).decode()
                with outer.lock:
                    outer.received.append({
                        "path": self.path, "params": dict(parse_qsl(raw)),
                        "signature": self.headers.get("X-Twilio-Signature"),
                    })
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def wait_for(self, n: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= n:
                    return list(self.received)
            time.sleep(0.01)
        raise AssertionError(f"got {len(self.received)} callbacks, wanted {n}")


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(SID, TOKEN, callback_delay=0.01) as server:
        yield server


@pytest.fixture
def provider(fake: FakeTwilio) -> TwilioProvider:
    return TwilioProvider(SID, TOKEN, api_url=fake.base_url, timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    yield rec
    rec.server.shutdown()
    rec.server.server_close()


def client_for(fake: FakeTwilio) -> Client:
    client = Client(SID, TOKEN, http_client=TwilioHttpClient(timeout=5))
    client.edge = None
    client.region = None
    client.api.base_url = fake.base_url
    return client


def test_send_records_form_and_returns_twilio_json(
    fake: FakeTwilio, provider: TwilioProvider
) -> None:
    result = provider.send_sms(TO, "Hola 😀", from_=FROM, status_callback="http://x.test/cb?a=1")
    assert result.sid.startswith("SM") and len(result.sid) == 34
    assert result.status == MessageStatus.ACCEPTED
    assert result.segments == 1
    (req,) = fake.requests
    assert req["method"] == "POST"
    assert req["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert req["status"] == 201
    assert req["form"] == {"To": TO, "From": FROM, "Body": "Hola 😀",
                           "StatusCallback": "http://x.test/cb?a=1"}
    assert req["headers"]["Content-Type"].startswith("application/x-www-form-urlencoded")
    (msg,) = fake.messages_to(TO)
    assert msg["sid"] == result.sid and msg["body"] == "Hola 😀"
    assert msg["direction"] == "outbound-api" and msg["from"] == FROM
    assert msg["date_created"].endswith("+0000")
    assert fake.messages_to("+15550000000") == []


def test_a_send_given_up_on_cannot_reach_twilio_later(fake: FakeTwilio,
                                                      provider: TwilioProvider) -> None:
    """A send that timed out is sent again once found unsent: its own request must then never
    arrive. The connection it went on closes abortively (SO_LINGER 0: bytes not yet delivered
    are dropped, not retransmitted when a cut link comes back) and gives up on data left
    unacknowledged past the timeout (TCP_USER_TIMEOUT)."""
    assert provider.send_sms(TO, "hi", from_=FROM).sid  # through the pool looked at below
    adapter = provider.client.http_client.session.get_adapter(fake.base_url)
    conn = adapter.poolmanager.connection_from_url(fake.base_url)._new_conn()
    conn.connect()  # a connection of that pool, as a send opens it
    sock = conn.sock
    assert sock is not None
    linger = struct.unpack("ii", sock.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8))
    assert linger == (1, 0)
    if hasattr(socket, "TCP_USER_TIMEOUT"):
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 5000
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1  # urllib3's own kept
    conn.close()


CREATE_PATHS = {kind: f"/2010-04-01/Accounts/{{AccountSid}}/{kind}.json"
                for kind in ("Messages", "Calls")}


def test_spec_extract_matches_the_full_spec() -> None:
    """The vendored field lists are exactly those of the published spec (when it is present)."""
    if not FULL_SPEC.exists():
        pytest.skip(f"{FULL_SPEC} not beside the repo: only the vendored extract is checked")
    spec = json.loads(FULL_SPEC.read_text())
    schemas = spec["components"]["schemas"]
    for name in ("api.v2010.account.message", "api.v2010.account.call"):
        assert SPEC_FIELDS[name] == sorted(schemas[name]["properties"])
    for path in CREATE_PATHS.values():
        form = spec["paths"][path]["post"]["requestBody"]["content"][
            "application/x-www-form-urlencoded"]["schema"]
        assert SPEC_FIELDS[path]["properties"] == sorted(form["properties"]), path
        assert sorted(SPEC_FIELDS[path]["required"]) == sorted(form.get("required", [])), path


def test_fake_server_is_driven_by_the_vendored_spec_extract() -> None:
    """The copy the fake server loads (it ships with the package) is the tests' extract."""
    packaged = Path(fake_twilio.__file__).with_name("twilio_v2010_fields.json")
    assert json.loads(packaged.read_text()) == SPEC_FIELDS
    for kind, path in CREATE_PATHS.items():
        assert fake_twilio.CREATE_PARAMS[f"{kind}.json"] == set(SPEC_FIELDS[path]["properties"])


@pytest.mark.parametrize("kind, form, unknown", [
    ("Messages", {"To": TO, "From": FROM, "Body": "hi", "StatusCallBack": "http://x"},
     "StatusCallBack"),
    ("Messages", {"To": TO, "From": FROM, "Body": "hi", "Url": "http://x"}, "Url"),
    ("Calls", {"To": TO, "From": FROM, "Url": "http://x", "Body": "hi"}, "Body"),
    ("Calls", {"To": TO, "From": FROM, "Twiml": "<Response/>", "to": TO}, "to"),
])
def test_parameters_outside_the_spec_are_rejected_like_twilio(
        fake: FakeTwilio, kind: str, form: dict[str, str], unknown: str) -> None:
    resp = requests.post(f"{fake.base_url}/2010-04-01/Accounts/{SID}/{kind}.json",
                         auth=(SID, TOKEN), data=form, timeout=5)
    assert resp.status_code == 400
    body = resp.json()
    assert set(body) == {"code", "message", "status", "more_info"}
    assert body["code"] == 20001 and body["status"] == 400 and unknown in body["message"]
    assert fake.messages == [] and fake.calls == []
    assert fake.requests[-1]["status"] == 400  # recorded, and nothing was created


def test_every_parameter_the_provider_sends_is_in_the_spec(
        fake: FakeTwilio, provider: TwilioProvider) -> None:
    """Drive every create call the app makes, with every option, and compare to the spec."""
    provider.send_sms(TO, "你好", from_=FROM, status_callback="http://x.test/s?m=1")
    provider.send_sms(TO, "hi", from_="MG" + "0" * 32)
    provider.send_sms(TO, "hi", from_=FROM)
    provider.start_call(TO, from_=FROM, url="http://x.test/voice",
                        status_callback="http://x.test/cs")
    provider.start_call(TO, from_=FROM, url="http://x.test/voice")
    sent: dict[str, set[str]] = {"Messages": set(), "Calls": set()}
    for req in fake.requests:
        assert req["status"] == 201, req
        kind = req["path"].rsplit("/", 1)[1].removesuffix(".json")
        sent[kind] |= set(req["form"])
        assert set(SPEC_FIELDS[CREATE_PATHS[kind]]["required"]) <= set(req["form"]), req
    assert sent["Messages"] >= {"To", "From", "Body", "StatusCallback", "MessagingServiceSid"}
    for kind, names in sent.items():
        assert names <= set(SPEC_FIELDS[CREATE_PATHS[kind]]["properties"]), kind


def test_message_json_has_spec_fields(fake: FakeTwilio) -> None:
    schemas = {k: {"properties": v} for k, v in SPEC_FIELDS.items() if k.startswith("api.")}
    fake.reset()
    resp = requests.post(f"{fake.base_url}/2010-04-01/Accounts/{SID}/Messages.json",
                         auth=(SID, TOKEN), data={"To": TO, "From": FROM, "Body": "x" * 161})
    assert resp.status_code == 201
    assert set(resp.json()) == set(schemas["api.v2010.account.message"]["properties"])
    assert resp.json()["num_segments"] == "2"
    call = requests.post(f"{fake.base_url}/2010-04-01/Accounts/{SID}/Calls.json",
                         auth=(SID, TOKEN), data={"To": TO, "From": FROM, "Twiml": "<Response/>"})
    assert call.status_code == 201
    assert set(call.json()) == set(schemas["api.v2010.account.call"]["properties"])
    assert call.json()["sid"].startswith("CA") and call.json()["status"] == "queued"


@pytest.mark.parametrize(("data", "code"), [
    ({"From": FROM, "Body": "hi"}, 21604),
    ({"To": TO, "From": FROM}, 21602),
    ({"To": TO, "Body": "hi"}, 21603),
    ({"To": TO, "From": FROM, "Body": "x" * 1601}, 21617),
])
def test_validation_errors(fake: FakeTwilio, data: dict[str, str], code: int) -> None:
    resp = requests.post(f"{fake.base_url}/2010-04-01/Accounts/{SID}/Messages.json",
                         auth=(SID, TOKEN), data=data)
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == code and body["status"] == 400
    assert body["more_info"].endswith(str(code)) and body["message"]
    assert fake.messages == []


@pytest.mark.parametrize(("data", "code"), [
    ({"From": FROM, "Url": "http://a.test/t"}, 21201),
    ({"To": TO, "Url": "http://a.test/t"}, 21213),
    ({"To": TO, "From": FROM}, 21205),
])
def test_call_validation_errors(fake: FakeTwilio, data: dict[str, str], code: int) -> None:
    resp = requests.post(f"{fake.base_url}/2010-04-01/Accounts/{SID}/Calls.json",
                         auth=(SID, TOKEN), data=data)
    assert (resp.status_code, resp.json()["code"]) == (400, code)
    assert fake.calls == []


def test_media_only_message_is_accepted(fake: FakeTwilio) -> None:
    resp = requests.post(f"{fake.base_url}/2010-04-01/Accounts/{SID}/Messages.json",
                         auth=(SID, TOKEN),
                         data={"To": TO, "MessagingServiceSid": "MG" + "1" * 32,
                               "MediaUrl": ["http://a.test/1.png", "http://a.test/2.png"]})
    assert resp.status_code == 201
    assert resp.json()["num_media"] == "2" and resp.json()["from"] is None
    assert fake.requests[0]["form"]["MediaUrl"] == ["http://a.test/1.png", "http://a.test/2.png"]


@pytest.mark.parametrize(("code", "error"), [
    (21610, RecipientOptedOut),
    (21211, PermanentFailure),
    (21614, PermanentFailure),
])
def test_injected_recipient_errors(
    fake: FakeTwilio, provider: TwilioProvider, code: int, error: type[Exception]
) -> None:
    fake.fail_number(TO, code)
    with pytest.raises(error) as info:
        provider.send_sms(TO, "hi", from_=FROM)
    assert getattr(info.value, "code", None) == code
    assert fake.requests[-1]["status"] == 400
    assert fake.messages == []
    provider.send_sms("+15558675311", "other numbers still work", from_=FROM)


def test_wrong_auth_is_401(fake: FakeTwilio) -> None:
    bad = TwilioProvider(SID, "wrong-token", api_url=fake.base_url, timeout=5)
    with pytest.raises(PermanentFailure) as info:
        bad.send_sms(TO, "hi", from_=FROM)
    assert info.value.code == 20003
    other_account = TwilioProvider("AC" + "f" * 32, TOKEN, api_url=fake.base_url, timeout=5)
    with pytest.raises(PermanentFailure):
        other_account.send_sms(TO, "hi", from_=FROM)
    resp = requests.post(f"{fake.base_url}/2010-04-01/Accounts/{SID}/Messages.json",
                         data={"To": TO, "From": FROM, "Body": "hi"})
    assert resp.status_code == 401
    assert resp.json() == {"code": 20003, "status": 401,
                           "message": "Authentication Error - invalid username",
                           "more_info": "https://www.twilio.com/docs/errors/20003"}
    assert fake.messages == []


def test_fail_next_is_transient_then_recovers(fake: FakeTwilio, provider: TwilioProvider) -> None:
    fake.fail_next(2, status=503)
    for _ in range(2):
        with pytest.raises(TransientFailure) as info:
            provider.send_sms(TO, "hi", from_=FROM)
        assert info.value.code == 20503
    assert provider.send_sms(TO, "hi", from_=FROM).status == MessageStatus.ACCEPTED
    fake.fail_next(1)
    with pytest.raises(TransientFailure):
        provider.send_sms(TO, "hi", from_=FROM)
    assert [r["status"] for r in fake.requests] == [503, 503, 201, 500]


def test_rate_limit_gives_429_past_the_rate(fake: FakeTwilio, provider: TwilioProvider) -> None:
    fake.set_rate_limit(FROM, per_second=5, burst=2)
    provider.send_sms(TO, "1", from_=FROM)
    provider.send_sms(TO, "2", from_=FROM)
    with pytest.raises(Throttled) as info:
        provider.send_sms(TO, "3", from_=FROM)
    assert info.value.code == 20429
    assert fake.requests[-1]["status"] == 429
    provider.send_sms(TO, "other sender is not limited", from_="+15005550001")
    time.sleep(0.25)  # 5/s refills at least one token
    provider.send_sms(TO, "4", from_=FROM)
    assert [m["body"] for m in fake.messages] == ["1", "2", "other sender is not limited", "4"]


def test_rate_limit_sustained_rate(fake: FakeTwilio) -> None:
    fake.set_rate_limit(FROM, per_second=20)
    url = f"{fake.base_url}/2010-04-01/Accounts/{SID}/Messages.json"
    start, accepted = time.monotonic(), 0
    with requests.Session() as session:
        while time.monotonic() - start < 0.5:
            resp = session.post(url, auth=(SID, TOKEN), data={"To": TO, "From": FROM, "Body": "x"})
            accepted += resp.status_code == 201
    assert 5 <= accepted <= 12  # ~1 burst + 20/s * 0.5 s


def test_sms_callbacks_in_order_and_signed(
    fake: FakeTwilio, provider: TwilioProvider, receiver: Receiver
) -> None:
    url = receiver.url + "/twilio/status?campaign=7"
    result = provider.send_sms(TO, "hi", from_=FROM, status_callback=url)
    got = receiver.wait_for(3)
    assert fake.wait_for_callbacks(5)
    assert [c["params"]["MessageStatus"] for c in got] == ["queued", "sent", "delivered"]
    validator = RequestValidator(TOKEN)
    for cb in got:
        params = cb["params"]
        assert cb["path"] == "/twilio/status?campaign=7"
        assert params["MessageSid"] == params["SmsSid"] == result.sid
        assert params["SmsStatus"] == params["MessageStatus"]
        assert (params["AccountSid"], params["From"], params["To"]) == (SID, FROM, TO)
        assert params["ApiVersion"] == "2010-04-01" and "ErrorCode" not in params
        assert validator.validate(url, params, cb["signature"])
        assert not RequestValidator("other").validate(url, params, cb["signature"])
    assert [c["status_code"] for c in fake.callbacks] == [204, 204, 204]
    (msg,) = fake.messages
    assert msg["status"] == "delivered" and msg["date_sent"] and msg["price"]


def test_unreachable_is_accepted_then_undelivered(
    fake: FakeTwilio, provider: TwilioProvider, receiver: Receiver
) -> None:
    fake.fail_number(TO, 30003)
    result = provider.send_sms(TO, "hi", from_=FROM, status_callback=receiver.url + "/cb")
    assert result.status == MessageStatus.ACCEPTED
    got = receiver.wait_for(3)
    assert [c["params"]["MessageStatus"] for c in got] == ["queued", "sent", "undelivered"]
    assert got[-1]["params"]["ErrorCode"] == "30003"
    assert fake.wait_for_callbacks(5)
    (msg,) = fake.messages
    assert (msg["status"], msg["error_code"]) == ("undelivered", 30003)
    fetched = client_for(fake).messages(result.sid).fetch()
    assert fetched.status == "undelivered" and fetched.error_code == 30003


def test_failed_status_option(fake: FakeTwilio, provider: TwilioProvider) -> None:
    fake.fail_number(TO, 30007, status="failed")
    sid = provider.send_sms(TO, "hi", from_=FROM).sid
    assert fake.wait_for_callbacks(5)
    assert fake.messages[0]["status"] == "failed" and fake.messages[0]["sid"] == sid


def test_call_callbacks(fake: FakeTwilio, provider: TwilioProvider, receiver: Receiver) -> None:
    url = receiver.url + "/voice/status"
    result = provider.start_call(TO, from_=FROM, url="http://app.test/twiml", status_callback=url)
    assert result.sid.startswith("CA") and result.status == MessageStatus.ACCEPTED
    got = receiver.wait_for(4)
    assert [c["params"]["CallStatus"] for c in got] == [
        "queued", "ringing", "in-progress", "completed"]
    assert got[-1]["params"]["CallDuration"] == "1"
    assert all(c["params"]["CallSid"] == result.sid for c in got)
    assert all(RequestValidator(TOKEN).validate(url, c["params"], c["signature"]) for c in got)
    assert fake.requests[0]["form"]["Url"] == "http://app.test/twiml"
    assert client_for(fake).calls(result.sid).fetch().status == "completed"


def test_callback_failures_are_recorded_not_fatal(
    fake: FakeTwilio, provider: TwilioProvider
) -> None:
    dead = Receiver()
    dead_url = dead.url + "/cb"
    dead.server.shutdown()
    dead.server.server_close()  # nothing listens there now: connection refused
    provider.send_sms(TO, "hi", from_=FROM, status_callback=dead_url)
    assert fake.wait_for_callbacks(5)
    cbs = fake.callbacks
    assert [c["status"] for c in cbs] == ["queued", "sent", "delivered"]
    assert all(c["status_code"] is None and c["error"] for c in cbs)
    assert provider.send_sms(TO, "still serving", from_=FROM).status == MessageStatus.ACCEPTED


def test_callbacks_disabled(receiver: Receiver) -> None:
    with FakeTwilio(SID, TOKEN, callback_delay=0.01, callbacks_enabled=False) as fake:
        provider = TwilioProvider(SID, TOKEN, api_url=fake.base_url)
        provider.send_sms(TO, "hi", from_=FROM, status_callback=receiver.url + "/cb")
        assert fake.wait_for_callbacks(5)
        assert fake.callbacks == [] and receiver.received == []
        assert fake.messages[0]["status"] == "delivered"


def test_list_and_fetch_with_twilio_client(fake: FakeTwilio, provider: TwilioProvider) -> None:
    sids = [provider.send_sms(TO, f"m{i}", from_=FROM).sid for i in range(7)]
    provider.send_sms("+15550001111", "other", from_=FROM)
    client = client_for(fake)
    listed = client.messages.list(to=TO, page_size=3)  # forces 3 pages
    assert [m.sid for m in listed] == list(reversed(sids))  # newest first, like Twilio
    assert len(client.messages.list(from_=FROM)) == 8
    assert len(client.messages.list(to=TO, limit=2)) == 2
    msg = client.messages(sids[0]).fetch()
    assert (msg.sid, msg.body, msg.to, msg.from_) == (sids[0], "m0", TO, FROM)
    assert msg.date_created is not None and msg.num_segments == "1"
    page = requests.get(f"{fake.base_url}/2010-04-01/Accounts/{SID}/Messages.json",
                        params={"To": TO, "PageSize": "3"}, auth=(SID, TOKEN)).json()
    assert (page["page"], page["page_size"], page["start"], page["end"]) == (0, 3, 0, 2)
    assert page["next_page_uri"].endswith("Page=1") and page["previous_page_uri"] is None
    with pytest.raises(TwilioRestException) as info:
        client.messages("SM" + "0" * 32).fetch()
    assert (info.value.status, info.value.code) == (404, 20404)
    with pytest.raises(TwilioRestException):
        client.calls(sids[0]).fetch()  # a message sid is not a call


def test_reset_clears_everything(fake: FakeTwilio, provider: TwilioProvider) -> None:
    fake.fail_number(TO, 21610)
    fake.set_rate_limit(FROM, 0.001)
    provider.send_sms("+15550001111", "x", from_=FROM)
    fake.reset()
    assert fake.requests == [] and fake.messages == [] and fake.callbacks == []
    provider.send_sms(TO, "now fine", from_=FROM)
    provider.send_sms(TO, "and not limited", from_=FROM)


def test_control_endpoints(fake: FakeTwilio, provider: TwilioProvider) -> None:
    ctl = fake.base_url + "/_fake"
    assert requests.post(f"{ctl}/fail", json={"to": TO, "code": 21610}).ok
    with pytest.raises(RecipientOptedOut):
        provider.send_sms(TO, "hi", from_=FROM)
    assert requests.post(f"{ctl}/rate", json={"sender": FROM, "per_second": 0.001}).ok
    provider.send_sms("+15550001111", "first", from_=FROM)
    with pytest.raises(Throttled):
        provider.send_sms("+15550001111", "second", from_=FROM)
    assert [m["body"] for m in requests.get(f"{ctl}/messages").json()] == ["first"]
    assert [r["status"] for r in requests.get(f"{ctl}/requests").json()] == [400, 201, 429]
    assert requests.post(f"{ctl}/fail", json={"code": 1}).status_code == 400
    assert requests.post(f"{ctl}/reset").ok
    assert requests.get(f"{ctl}/messages").json() == []
    provider.send_sms(TO, "after reset", from_=FROM)


def test_serve_forever_subprocess() -> None:
    code = ("from devtools.fake_twilio import serve_forever; "
            f"serve_forever('127.0.0.1', 0, {SID!r}, {TOKEN!r})")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        provider = TwilioProvider(SID, TOKEN, api_url=base_url, timeout=5)
        sid = provider.send_sms(TO, "from another process", from_=FROM).sid
        with urllib.request.urlopen(base_url + "/_fake/messages") as resp:
            assert [m["sid"] for m in json.load(resp)] == [sid]
        proc.send_signal(signal.SIGINT)  # what Ctrl-C on `hotline fake-twilio` does
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_recordings_are_served_only_with_the_account_credentials(
        fake: FakeTwilio, provider: TwilioProvider) -> None:
    from hotline.cli.flows import fake_twilio_recording

    url = fake_twilio_recording(fake.base_url)()  # what `simulate call` asks the demo's fake for
    assert url.startswith(f"{fake.base_url}/2010-04-01/Accounts/{SID}/Recordings/RE")
    recording = provider.fetch_recording(url)
    assert recording.content_type == "audio/x-wav" and recording.audio[:4] == b"RIFF"
    assert requests.get(url + ".wav", auth=(SID, TOKEN), timeout=5).content == recording.audio
    assert requests.get(url, timeout=5).status_code == 401
    assert requests.get(url, auth=(SID, "wrong"), timeout=5).json()["code"] == 20003
    with pytest.raises(PermanentFailure, match="no recording"):
        provider.fetch_recording(url[:-4] + "0000")
    with pytest.raises(PermanentFailure, match="not a recording of this account"):
        provider.fetch_recording(url.replace(SID, "AC" + "f" * 32))
