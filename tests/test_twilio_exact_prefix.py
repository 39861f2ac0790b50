"""A hotline served under a path prefix (PUBLIC_URL=https://example.org/hotline): every URL it
hands Twilio — in TwiML and in API calls — stays under the prefix, and signatures are checked
against the full public URL, whether the proxy strips the prefix or passes it as SCRIPT_NAME.

Twilio is played as it behaves: it resolves a relative URL in TwiML against the URL it just
requested, signs the absolute URL it calls, and the proxy in front of the app forwards it.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import redis as redis_lib
from flask import Flask
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from devtools.fake_twilio import FakeTwilio
from hotline import create_app
from hotline.bridge import start_bridge_call
from hotline.infra.db import get_db
from models import Call, Case, Message, MessageStatus, Volunteer
from notifications.send import deliver
from tests.conftest import AUTH_TOKEN, HOTLINE_NUMBER, app_config, sms_form
from tests.test_campaign_send import add_contacts, new_campaign, run
from tests.test_relay_bridge import assigned_case

HOST = "https://example.org"
PREFIXED = HOST + "/hotline"
CALLER = "+8613800138111"
VOLUNTEER = "+8613900000777"
OFFICE_HOURS = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
NIGHT = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)  # Tuesday 00:00 in Shanghai
URL_ATTRIBUTES = ("action", "recordingStatusCallback", "statusCallback", "url")
PROXIES = ["strips the prefix", "passes SCRIPT_NAME"]


@pytest.fixture
def prefixed_app(db_url: str, fake_twilio: FakeTwilio, redis_client: redis_lib.Redis,
                 tmp_path: Path) -> Iterator[Flask]:
    """The hotline with PUBLIC_URL under /hotline, on the parametrised database."""
    redis_client.flushdb()
    fake_twilio.callbacks_enabled = False  # example.org is not this machine
    application = create_app(app_config(db_url, fake_twilio.base_url, PUBLIC_URL=PREFIXED),
                             instance_path=str(tmp_path / "instance"))
    with application.app_context():
        yield application
    application.extensions["db"].engine.dispose()


class Twilio:
    """Twilio calling the hotline's public URLs through a reverse proxy."""

    def __init__(self, app: Flask, proxy: str) -> None:
        self.client = app.test_client()
        self.proxy = proxy

    def post(self, url: str, form: dict[str, str], *, signed_for: str | None = None) -> Any:
        """POST `form` to the absolute public `url`, signed as Twilio signs it."""
        assert url.startswith(PREFIXED + "/"), f"{url} leaves the hotline"
        signature = RequestValidator(AUTH_TOKEN).compute_signature(signed_for or url, form)
        # The proxy forwards /hotline/<rest> to the app as /<rest>, either dropping the prefix
        # or telling the app it is mounted there (SCRIPT_NAME).
        base = HOST + "/" if self.proxy == "strips the prefix" else PREFIXED + "/"
        return self.client.post(url[len(PREFIXED):], data=form, base_url=base,
                                headers={"X-Twilio-Signature": signature})


def urls_in(root: ET.Element) -> list[str]:
    """Every URL a TwiML document gives Twilio: verb attributes and <Redirect> bodies."""
    found = [el.get(a) or "" for el in root.iter() for a in URL_ATTRIBUTES if el.get(a)]
    return found + [el.text or "" for el in root.iter("Redirect")]


def call_form(sid: str, **extra: str) -> dict[str, str]:
    """A voice webhook form as Twilio sends it."""
    return {"CallSid": sid, "AccountSid": "AC" + "1" * 32, "From": CALLER,
            "To": HOTLINE_NUMBER, "CallStatus": "in-progress", "Direction": "inbound", **extra}


class Call_:
    """One inbound call, following the TwiML's own URLs as Twilio would."""

    def __init__(self, twilio: Twilio, sid: str = "CA" + "b" * 32) -> None:
        self.twilio, self.sid = twilio, sid
        self.handed: list[tuple[str, str]] = []  # (document URL, URL found in it)
        self.doc = self.fetch(PREFIXED + "/twilio/voice", CallStatus="ringing")

    def fetch(self, url: str, **extra: str) -> ET.Element:
        resp = self.twilio.post(url, call_form(self.sid, **extra))
        assert resp.status_code == 200, resp.data
        root = ET.fromstring(resp.data)
        self.handed += [(url, found) for found in urls_in(root)]
        self.url = url
        return root

    def follow(self, found: str, **extra: str) -> ET.Element:
        self.doc = self.fetch(urljoin(self.url, found), **extra)
        return self.doc

    def answer(self, **fields: str) -> ET.Element:
        verb = next(v for v in (self.doc.find(t) for t in ("Gather", "Record", "Dial"))
                    if v is not None)
        return self.follow(verb.get("action", ""), **fields)

    def silence(self) -> ET.Element:
        return self.follow(self.doc.findtext("Redirect") or "")


def walk(call: Call_) -> None:
    """Mandarin, unpaid with others, Shenzhen, from Henan, employer, ¥12000, 3 months, 40."""
    call.answer(Digits="1")
    call.silence()  # nothing pressed: asked again through the <Redirect>
    call.answer(Digits="6")
    call.answer(SpeechResult="广东省深圳市", Confidence="0.9")
    call.answer(Digits="1")
    call.answer(SpeechResult="深圳某某电子厂", Confidence="0.8")
    for digits in ("12000", "3", "40", "1", "1"):
        call.answer(Digits=digits)


@pytest.mark.parametrize("proxy", PROXIES)
@pytest.mark.parametrize("when", ["night: voicemail", "office hours: live transfer"])
def test_every_url_in_voice_twiml_keeps_the_prefix(prefixed_app: Flask, proxy: str,
                                                   when: str) -> None:
    night = when.startswith("night")
    prefixed_app.config["FLOW_CLOCK"] = lambda: NIGHT if night else OFFICE_HOURS
    if not night:
        with get_db().begin() as s:
            s.add(Volunteer(name="张律师", phone=VOLUNTEER, languages=["zh"], on_duty=True))
    call = Call_(Twilio(prefixed_app, proxy))
    walk(call)
    if night:
        record = call.doc.find("Record")
        assert record is not None
        recording = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE5"
        callback = urljoin(call.url, record.get("recordingStatusCallback", ""))
        assert call.twilio.post(callback, call_form(
            call.sid, RecordingUrl=recording, RecordingStatus="completed",
            RecordingDuration="20")).status_code == 204
        call.answer(RecordingUrl=recording, RecordingDuration="20")
    else:
        call.answer(Digits="1")  # talk to a volunteer now
        dial = call.doc.find("Dial")
        assert dial is not None and dial.findtext("Number") == VOLUNTEER
        call.answer(DialCallStatus="completed", DialCallDuration="60")
    assert call.doc.find("Hangup") is not None
    assert len(call.handed) > 20
    for document, found in call.handed:
        assert found.startswith(("/hotline/twilio/voice/", PREFIXED + "/twilio/voice/")), found
        assert urljoin(document, found).startswith(PREFIXED + "/twilio/voice/"), found
    with get_db().begin() as s:
        case = s.scalars(select(Case)).one()
        assert (case.employer, case.amount_owed) == ("深圳某某电子厂", 12000)
        if night:
            assert case.voicemail_url is not None


@pytest.mark.parametrize("proxy", PROXIES)
def test_signatures_are_checked_against_the_prefixed_url(prefixed_app: Flask,
                                                         proxy: str) -> None:
    twilio = Twilio(prefixed_app, proxy)
    url = PREFIXED + "/twilio/voice"
    assert twilio.post(url, call_form("CA" + "c" * 32)).status_code == 200
    for wrong in (HOST + "/twilio/voice", PREFIXED + "/hotline/twilio/voice"):
        resp = twilio.post(url, call_form("CA" + "d" * 32), signed_for=wrong)
        assert resp.status_code == 403, wrong
    with get_db().begin() as s:
        assert [c.sid for c in s.scalars(select(Call))] == ["CA" + "c" * 32]


def sms(twilio: Twilio, phone: str, body: str) -> str:
    """A text to the hotline; the reply it gets at once."""
    resp = twilio.post(PREFIXED + "/twilio/sms", sms_form(phone, body))
    assert resp.status_code == 200, resp.data
    return " ".join(m.text or "" for m in ET.fromstring(resp.data).iter("Message"))


def send_queued() -> None:
    """Send every queued message through the real client to the fake Twilio."""
    with get_db().begin() as s:
        ids = list(s.scalars(select(Message.id).where(Message.status == MessageStatus.QUEUED)))
    for message_id in ids:
        deliver(message_id)


@pytest.mark.parametrize("proxy", PROXIES[:1])
def test_every_url_in_api_calls_and_bridge_twiml_keeps_the_prefix(
        prefixed_app: Flask, fake_twilio: FakeTwilio, proxy: str) -> None:
    twilio = Twilio(prefixed_app, proxy)
    case_id, number, _vid, vphone = assigned_case()
    assert "来电" in sms(twilio, vphone, f"CALL {number}")
    sms(twilio, vphone, f"R{number} 明天上午给您打电话")
    send_queued()  # the offer and the relay, each with its delivery-report URL
    with get_db().begin() as s:
        call_id = s.scalars(select(Call.id)).one()
    start_bridge_call(call_id)
    [placed] = fake_twilio.calls
    bridge = twilio.post(next(r["form"]["Url"] for r in fake_twilio.requests
                              if r["path"].endswith("/Calls.json")),
                         {"CallSid": placed["sid"], "To": vphone, "From": HOTLINE_NUMBER})
    dial = ET.fromstring(bridge.data).find("Dial")
    assert dial is not None and dial.get("action") == f"{PREFIXED}/twilio/bridge/{case_id}/dialed"
    ended = twilio.post(dial.get("action", ""), {"CallSid": placed["sid"],
                                                 "DialCallStatus": "completed"})
    assert ended.status_code == 200
    add_contacts(3)
    run(new_campaign())

    handed = {(r["path"].rsplit("/", 1)[-1], key): value for r in fake_twilio.requests
              if r["method"] == "POST" for key, value in r["form"].items()
              if key in ("Url", "StatusCallback") or str(value).startswith("http")}
    assert {name for name, _key in handed} == {"Messages.json", "Calls.json"}
    every = [value for r in fake_twilio.requests if r["method"] == "POST"
             for key, value in r["form"].items()
             if key in ("Url", "StatusCallback") or str(value).startswith("http")]
    assert len(every) >= 3 + 2 + 2  # campaign texts, offer and relay, the bridge call's two
    for value in every:
        assert value.startswith(PREFIXED + "/twilio/"), value
    assert any("/twilio/status/campaign?r=" in v for v in every)
    assert any("/twilio/status?m=" in v for v in every)
    assert f"{PREFIXED}/twilio/bridge/{case_id}/status" in every


def test_simulated_call_over_http_follows_the_prefixed_urls(prefixed_app: Flask) -> None:
    """`hotline simulate call --url https://host/hotline`: the hotline behind a real HTTP
    server mounted at /hotline, played by the simulator as Twilio would play it."""
    from werkzeug.exceptions import NotFound
    from werkzeug.middleware.dispatcher import DispatcherMiddleware
    from werkzeug.serving import make_server

    from hotline.cli.flows import CallPlayer, http_poster

    mounted = DispatcherMiddleware(NotFound(), {"/hotline": prefixed_app.wsgi_app})
    server = make_server("127.0.0.1", 0, mounted, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    public = f"http://127.0.0.1:{server.server_port}/hotline"
    prefixed_app.config["PUBLIC_URL"] = public
    heard: list[str] = []
    try:
        # Mandarin, work injury, place, home 湖南, employer, when, where, in hospital, the
        # employer does not pay, what treatment cost, no claim filed, confirmed; then a
        # message after the beep.
        keys = "1,2,广东深圳,3,某某建筑公司,昨天,工地,1,2,3000,2,1,说明情况"
        CallPlayer(http_poster(public, AUTH_TOKEN), iter(keys.split(",")), heard.append).run()
    finally:
        server.shutdown()
        server.server_close()
    assert any("您的案件编号是" in line for line in heard), heard
    with get_db().begin() as s:
        case = s.scalars(select(Case)).one()
        assert (case.employer, case.work_city) == ("某某建筑公司", "深圳")
