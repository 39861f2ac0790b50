"""Voice TwiML as real Twilio accepts it, and voice webhooks de-duplicated as Twilio retries them.

- <Gather> recognises Mandarin only under a code from Twilio's speech recognition list
  (cmn-Hans-CN); <Say> speaks it only with a Polly voice that has Mandarin (Zhiyu, cmn-CN).
- Twilio sends the same I-Twilio-Idempotency-Token on every retry of one webhook delivery: a
  retry, or a captured request re-cut so that the signature still verifies, writes nothing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from hotline.bridge import start_bridge_call
from hotline.infra.db import get_db
from ivr_flows.voice import gather_language, say_attributes
from models import Call, Case, CaseEvent, FlowSession, FlowStep, WebhookReceipt
from tests.conftest import HOTLINE_NUMBER
from tests.test_relay_bridge import assigned_case
from tests.test_routing_support import texts

CALLER = "+8613800138222"
TOKEN = "I-Twilio-Idempotency-Token"
# Twilio's <Gather> speech recognition languages for the flow's languages, and the
# <Say> voices (Amazon Polly) with the one language code each speaks.
GATHER_ACCEPTS = {"cmn-Hans-CN", "cmn-Hant-TW", "yue-Hant-HK", "en-US", "en-GB"}
POLLY_SPEAKS = {"Polly.Zhiyu": "cmn-CN", "Polly.Joanna": "en-US"}


def form(sid: str, **extra: str) -> dict[str, str]:
    """A voice webhook form as Twilio sends it."""
    return {"AccountSid": "AC" + "1" * 32, "CallSid": sid, "CallStatus": "in-progress",
            "Direction": "inbound", "From": CALLER, "To": HOTLINE_NUMBER, **extra}


def twiml(resp: Any) -> ET.Element:
    assert resp.status_code == 200, resp.data
    return ET.fromstring(resp.data)


def count(model: Any) -> int:
    with get_db().begin() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def check_languages(root: ET.Element, gather: str, say: str) -> None:
    """Every <Gather> and <Say> of a document uses codes Twilio accepts for that verb."""
    for verb in root.iter("Gather"):
        assert verb.get("language") == gather and gather in GATHER_ACCEPTS
    for verb in root.iter("Say"):
        voice = verb.get("voice", "")
        assert POLLY_SPEAKS.get(voice) == verb.get("language"), ET.tostring(verb)
    assert any(v.get("language") == say for v in root.iter("Say"))


@pytest.mark.parametrize(("language", "gather", "say"), [
    ("zh", "cmn-Hans-CN", {"language": "cmn-CN", "voice": "Polly.Zhiyu"}),
    ("en", "en-US", {"language": "en-US", "voice": "Polly.Joanna"}),
    ("yue", "cmn-Hans-CN", {"language": "cmn-CN", "voice": "Polly.Zhiyu"}),  # not spoken: Mandarin
])
def test_one_table_per_verb(language: str, gather: str, say: dict[str, str]) -> None:
    assert gather_language(language) == gather
    assert say_attributes(language) == say


@pytest.mark.parametrize(("key", "gather", "say"), [("1", "cmn-Hans-CN", "cmn-CN"),
                                                    ("2", "en-US", "en-US")])
def test_gather_recognises_and_say_speaks_the_callers_language(
        app: Flask, post_signed: Any, key: str, gather: str, say: str) -> None:
    sid = "CA" + key * 32
    first = twiml(post_signed("/twilio/voice", form(sid, CallStatus="ringing")))
    # The bilingual first question: recognised as Mandarin, spoken in both voices.
    check_languages(first, "cmn-Hans-CN", "cmn-CN")
    assert {v.get("voice") for v in first.iter("Say")} == {"Polly.Zhiyu", "Polly.Joanna"}
    second = twiml(post_signed("/twilio/voice/step?n=1", form(sid, Digits=key)))
    assert second.find("Gather") is not None
    check_languages(second, gather, say)


def test_bridge_speaks_mandarin_with_a_mandarin_voice(app: Flask, post_signed: Any,
                                                      fake_twilio: Any) -> None:
    fake_twilio.callbacks_enabled = False  # the public URL is not this machine
    case_id, number, _vid, vphone = assigned_case()
    texts(post_signed, vphone, f"CALL {number}")
    with get_db().begin() as s:
        call_id = s.scalars(select(Call.id)).one()
    start_bridge_call(call_id)
    [placed] = fake_twilio.calls
    answered = twiml(post_signed(f"/twilio/bridge/{case_id}", {
        "CallSid": placed["sid"], "To": vphone, "From": HOTLINE_NUMBER}))
    refused = twiml(post_signed(f"/twilio/bridge/{case_id}", {
        "CallSid": placed["sid"], "To": "+8613900009999", "From": HOTLINE_NUMBER}))
    for root in (answered, refused):
        says = root.findall("Say")
        assert says and all((s.get("language"), s.get("voice")) == ("cmn-CN", "Polly.Zhiyu")
                            for s in says), ET.tostring(root)


def test_a_retried_step_returns_the_same_twiml_and_advances_once(app: Flask,
                                                                  post_signed: Any) -> None:
    sid = "CA" + "e" * 32
    start = twiml(post_signed("/twilio/voice", form(sid, CallStatus="ringing"),
                              headers={TOKEN: "idem-start"}))
    again = twiml(post_signed("/twilio/voice", form(sid, CallStatus="ringing"),
                              headers={TOKEN: "idem-start"}))
    assert ET.tostring(again) == ET.tostring(start)
    first = twiml(post_signed("/twilio/voice/step?n=1", form(sid, Digits="1"),
                              headers={TOKEN: "idem-step-1"}))
    twiml(post_signed("/twilio/voice/step?n=2", form(sid, Digits="1"),
                      headers={TOKEN: "idem-step-2"}))  # the flow moves on
    retry = twiml(post_signed("/twilio/voice/step?n=1", form(sid, Digits="1"),
                              headers={TOKEN: "idem-step-1"}))  # a late retry of step 1
    assert ET.tostring(retry) == ET.tostring(first)
    with get_db().begin() as s:
        row = s.scalars(select(FlowSession)).one()
        kinds = [r.kind for r in s.scalars(select(WebhookReceipt))]
    assert row.seq == 3 and count(FlowStep) == 3
    assert kinds == ["voice"] * 3


def recut(original: dict[str, str]) -> dict[str, str]:
    """The same signed string cut differently: CallStatus glued onto the CallSid's value
    (Twilio's signature runs sorted keys and values together, so it still verifies)."""
    cut = dict(original)
    cut["CallSid"] += "CallStatus" + cut.pop("CallStatus")
    return cut


@pytest.mark.parametrize("path", ["/twilio/voice", "/twilio/voice/step?n=1"])
def test_a_recut_replay_opens_no_second_call(app: Flask, post_signed: Any, path: str) -> None:
    sid = "CA" + "f" * 32
    twiml(post_signed("/twilio/voice", form(sid, CallStatus="ringing"),
                      headers={TOKEN: "idem-call"}))
    original = form(sid, Digits="1")
    twiml(post_signed(path, original, headers={TOKEN: "idem-replayed"}))
    before = (count(Call), count(Case), count(FlowSession), count(FlowStep), count(CaseEvent))
    replayed = post_signed(path, recut(original), headers={TOKEN: "idem-replayed"})
    assert replayed.status_code == 200  # the signature verified: only the token tells
    assert ET.fromstring(replayed.data).find("Hangup") is not None
    after = (count(Call), count(Case), count(FlowSession), count(FlowStep), count(CaseEvent))
    assert after == before


def test_retried_status_and_recording_callbacks_write_once(app: Flask,
                                                           post_signed: Any) -> None:
    sid = "CA" + "9" * 32
    twiml(post_signed("/twilio/voice", form(sid, CallStatus="ringing")))
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE77"
    recording = form(sid, RecordingUrl=url, RecordingStatus="completed", RecordingDuration="5")
    for _ in range(2):
        assert post_signed("/twilio/voice/recording?node=employer", recording,
                           headers={TOKEN: "idem-rec"}).status_code == 204
        assert post_signed("/twilio/voice/status", form(sid, CallStatus="completed"),
                           headers={TOKEN: "idem-status"}).status_code == 204
    with get_db().begin() as s:
        notes = [e.text for e in s.scalars(select(CaseEvent))]
    assert sum("recording ready" in n for n in notes) == 1
    assert sum("call ended" in n for n in notes) == 1
    assert count(WebhookReceipt) == 2


def test_retried_bridge_webhooks_log_once(app: Flask, post_signed: Any,
                                          fake_twilio: Any) -> None:
    fake_twilio.callbacks_enabled = False  # the public URL is not this machine
    case_id, number, _vid, vphone = assigned_case()
    texts(post_signed, vphone, f"CALL {number}")
    with get_db().begin() as s:
        call_id = s.scalars(select(Call.id)).one()
    start_bridge_call(call_id)
    [placed] = fake_twilio.calls
    answered = {"CallSid": placed["sid"], "To": vphone, "From": HOTLINE_NUMBER}
    dialed = {**answered, "DialCallStatus": "completed", "DialCallDuration": "75"}
    first = twiml(post_signed(f"/twilio/bridge/{case_id}", answered,
                              headers={TOKEN: "idem-bridge"}))
    retry = twiml(post_signed(f"/twilio/bridge/{case_id}", answered,
                              headers={TOKEN: "idem-bridge"}))
    assert ET.tostring(retry) == ET.tostring(first)
    for _ in range(2):
        twiml(post_signed(f"/twilio/bridge/{case_id}/dialed", dialed,
                          headers={TOKEN: "idem-dialed"}))
    with get_db().begin() as s:
        notes = [e.text for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id))]
    assert sum("dialling the worker" in n for n in notes) == 1
    assert sum(n == "worker call completed, 75s" for n in notes) == 1
