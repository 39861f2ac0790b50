"""Hostile input: property tests for the parsers, and generated hostile webhooks on both databases.

Every hostile webhook must get an answer below 500, and an unsigned or forged one must write no
row at all. Hypothesis runs derandomized so CI sees the same examples every time.
"""

from __future__ import annotations

import inspect
import json
import re
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from hotline.infra.db import get_db
from hotline.phones import InvalidPhone, mask_phone, normalize_phone
from hotline.volunteer_sms import parse_offer_answer
from models import Base, Case, Direction, Message, MessageStatus, Purpose
from notifications.segments import UCS2_MULTI, UCS2_SINGLE, count_segments, is_gsm7
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, PUBLIC_URL

E164 = re.compile(r"^\+[1-9]\d{5,15}$")
PURE = settings(max_examples=300, derandomize=True, deadline=None)
WEBHOOK = settings(max_examples=130, derandomize=True, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture,
                                          HealthCheck.too_slow, HealthCheck.data_too_large])

# --- phone numbers -------------------------------------------------------------------------

cn_mobile = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


def formatted(digits: str, style: int) -> str:
    """A Chinese mobile number the ways people and carriers write it."""
    return [digits, "+86" + digits, "0086 " + digits,
            f"+86 {digits[:3]}-{digits[3:7]}-{digits[7:]}",
            f"({digits[:3]}) {digits[3:7]} {digits[7:]}", f"  86{digits}\t",
            digits.translate(FULL_WIDTH)][style]


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@PURE
@given(st.text(max_size=60))
def test_normalize_phone_only_raises_invalid_phone(raw: str) -> None:
    try:
        e164 = normalize_phone(raw)
    except InvalidPhone:
        return
    assert E164.match(e164), e164
    assert normalize_phone(e164) == e164  # idempotent


@PURE
@given(cn_mobile, st.integers(0, 6))
def test_cn_mobiles_in_any_format_normalise_to_one_number(digits: str, style: int) -> None:
    assert normalize_phone(formatted(digits, style)) == "+86" + digits


@PURE
@given(st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True))
def test_mask_hides_the_middle(e164: str) -> None:
    masked = mask_phone(e164)
    assert "****" in masked and masked != e164
    shown = masked.replace("*", "").replace(" ", "")
    assert len(shown) <= 11  # '+', a country code of at most 3, 3 leading + 4 trailing digits
    assert len(e164) - len(shown) >= 4  # at least 4 digits always hidden


# --- segment counting (what tests/test_segments.py does not already cover) ---------------------

def greedy_parts(body: str, capacity: int, cost: Any) -> list[str]:
    """Reference split: fill each part up to `capacity` without splitting a character."""
    parts, current, used = [], "", 0
    for ch in body:
        if used + cost(ch) > capacity:
            parts.append(current)
            current, used = "", 0
        current, used = current + ch, used + cost(ch)
    return [*parts, current]


@PURE
@given(st.text(max_size=600))
def test_segments_agree_with_a_reference_split(body: str) -> None:
    result = count_segments(body)
    if result.encoding == "UCS-2":
        assert result.units == len(body.encode("utf-16-le")) // 2
        expected = 1 if result.units <= UCS2_SINGLE else len(
            greedy_parts(body, UCS2_MULTI, lambda ch: 2 if ord(ch) > 0xFFFF else 1))
        assert result.segments == expected
    else:
        assert is_gsm7(body)
    assert result.segments * result.chars_per_segment >= result.units


@PURE
@given(st.text(max_size=200), st.text(max_size=200),
       st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF))
def test_one_chinese_character_makes_the_whole_message_ucs2(a: str, b: str, han: str) -> None:
    assert count_segments(a + han + b).encoding == "UCS-2"


# --- volunteer SMS keywords -----------------------------------------------------------------

ACCEPT, DECLINE = ["Y", "YES", "是", "接受", "接", "接单"], ["N", "NO", "否", "拒绝", "不接"]


def variant(word: str, number: int, upper: bool, hash_: bool, space: str, width: bool) -> str:
    """One way a volunteer might type an offer answer on a phone keyboard."""
    text = (word.upper() if upper else word.lower()) + space + ("#" if hash_ else "") + str(number)
    return text.translate(FULL_WIDTH) if width else text


@PURE
@given(st.sampled_from([(w, True) for w in ACCEPT] + [(w, False) for w in DECLINE]),
       st.integers(0, 999_999_999), st.booleans(), st.booleans(),
       st.sampled_from(["", " ", "  ", "\t", "\u3000"]), st.booleans())
def test_offer_answers_parse_in_every_spelling(word_accept: tuple[str, bool], number: int,
                                               upper: bool, hash_: bool, space: str,
                                               width: bool) -> None:
    word, accept = word_accept
    body = f" {variant(word, number, upper, hash_, space, width)} "
    assert parse_offer_answer(body) == (accept, number)


@PURE
@given(st.text(max_size=80))
def test_offer_parser_never_raises_and_returns_a_small_number(body: str) -> None:
    parsed = parse_offer_answer(body)
    if parsed is not None:
        accept, number = parsed
        assert isinstance(accept, bool) and 0 <= number < 10**9


@PURE
@given(st.sampled_from(ACCEPT + DECLINE), st.integers(1, 99_999),
       st.text(st.characters(categories=["L"]), min_size=1, max_size=10))
def test_answer_with_trailing_words_is_not_taken_as_an_answer(word: str, number: int,
                                                              tail: str) -> None:
    # "Y 1024 ok" must not accept a case: the volunteer gets the help text instead.
    assert parse_offer_answer(f"{word} {number} {tail}") is None


def test_sms_command_parsers_never_raise() -> None:
    """The worker SMS command parsers (HELP, STOP/TD, STATUS 1024...) take any text."""
    import hotline.sms_commands as module

    parsers = [f for name, f in inspect.getmembers(module, inspect.isfunction)
               if name.startswith("parse") and f.__module__ == module.__name__
               and len(inspect.signature(f).parameters) == 1]
    assert parsers, "hotline.sms_commands has no one-argument parse* function"

    @PURE
    @given(st.text(max_size=80))
    def check(body: str) -> None:
        for parse in parsers:
            parse(body)

    check()


# --- hostile webhooks -----------------------------------------------------------------------

NASTY = [
    "'; DROP TABLE cases; --", "1 OR 1=1", "\" OR \"\"=\"", "Robert'); DELETE FROM messages;--",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "]]><!--", "&lt;&amp;",
    "%s%s%s%n", "{0}{1}", "${jndi:ldap://x}", "\x00", "\x00\x01\x02\x1b[31m", "\r\n\r\nX: y",
    "\u202e\u200b\ufeff", "😀" * 50, "٣٤٥", "²³", "99999999999999999999999", "-1", "0", "NaN",
    "+", "+86", "+8613800138000", "13800138000", "+1 (555) 010-0000", "not a number",
    "SM" + "a" * 32, "SM" + "a" * 100, "", " ", "\t", "delivered", "DELIVERED", "failed",
]
FIELDS = ["MessageSid", "SmsSid", "AccountSid", "From", "To", "Body", "NumMedia", "MediaUrl0",
          "MediaUrl1", "MessageStatus", "ErrorCode", "ApiVersion", "SmsStatus"]


def huge(char: str, n: int) -> str:
    """A long value: some under MAX_CONTENT_LENGTH, some over it."""
    return char * n


nasty = st.sampled_from(NASTY)
hostile_text = st.one_of(
    nasty,
    st.builds(lambda a, b: a + b, nasty, st.one_of(nasty, st.text(max_size=8))),
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Nd", "No", "So"]),
            max_size=60),
    st.from_regex(r"[+0-9 ()\-]{0,30}", fullmatch=True),
    st.builds(huge, st.sampled_from(["A", "中", "<", "\x00"]),
              st.sampled_from([2_000, 60_000, 400_000])),
)
hostile_form = st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=12)),
                               hostile_text, max_size=10)
plausible_sms = st.fixed_dictionaries(
    {"MessageSid": st.from_regex(r"SM[0-9a-f]{32}", fullmatch=True), "From": hostile_text,
     "To": st.one_of(st.just(HOTLINE_NUMBER), hostile_text), "Body": hostile_text,
     "AccountSid": st.just(ACCOUNT_SID)},
    optional={"NumMedia": hostile_text, "MediaUrl0": hostile_text})
plausible_status = st.fixed_dictionaries(
    {"MessageSid": st.one_of(st.just("SMknown0000"), hostile_text),
     "MessageStatus": st.one_of(st.sampled_from(["sent", "delivered", "failed", "queued"]),
                                hostile_text)},
    optional={"ErrorCode": hostile_text, "AccountSid": st.just(ACCOUNT_SID)})
SIGNING = ["valid", "valid", "valid", "missing", "forged", "wrong-token", "other-url"]
ENCODING = ["form", "form", "form", "json", "multipart", "none", "text"]


def row_counts() -> dict[str, int]:
    """Rows in every table of the schema."""
    with get_db().begin() as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) or 0
                for t in Base.metadata.sorted_tables}


def send_hostile(app: Flask, path: str, form: dict[str, str], signing: str, encoding: str
                 ) -> Any:
    """POST `form` to `path` encoded as `encoding` and signed (or not) as `signing`."""
    url = PUBLIC_URL + path
    params = form if encoding in ("form", "multipart") else {}
    token, signed_url = AUTH_TOKEN, url
    if signing == "wrong-token":
        token = "not-the-auth-token"
    elif signing == "other-url":
        signed_url = "https://attacker.example" + path
    headers = {}
    if signing != "missing":
        sig = RequestValidator(token).compute_signature(signed_url, params)
        headers["X-Twilio-Signature"] = "AAAA" + sig[4:] if signing == "forged" else sig
    client = app.test_client()
    if encoding == "form":
        return client.post(path, data=form, headers=headers)
    if encoding == "multipart":
        return client.post(path, data=form, headers=headers, content_type="multipart/form-data")
    if encoding == "json":
        return client.post(path, data=json.dumps(form), headers=headers,
                           content_type="application/json")
    if encoding == "text":
        return client.post(path, data="&".join(f"{k}={v}" for k, v in form.items()),
                           headers=headers, content_type="text/plain")
    return client.post(path, data=json.dumps(form).encode(), headers=headers)


def check_answer(app: Flask, path: str, form: dict[str, str], signing: str, encoding: str,
                 allowed: set[int]) -> None:
    """Send one hostile webhook; it must be answered below 500 and unsigned ones write nothing."""
    before = row_counts()
    resp = send_hostile(app, path, form, signing, encoding)
    assert resp.status_code < 500, (resp.status_code, resp.data[:300])
    if signing != "valid":
        assert resp.status_code in (403, 413), resp.status_code
        assert row_counts() == before, "an unsigned request wrote a row"
        return
    # Multipart can carry a field with no name, which no Twilio request has: refused (403).
    allowed = allowed | ({403} if encoding == "multipart" else set())
    assert resp.status_code in allowed, (resp.status_code, resp.data[:300])
    if resp.status_code == 200:
        assert ET.fromstring(resp.data).tag == "Response"  # TwiML, parsed as XML


HOSTILE_TABLE: list[tuple[str, str, dict[str, str]]] = [
    # (name, path, signed form): each once broke the foundation with a 500
    ("NUL in From", "/twilio/sms", {"MessageSid": "SM1", "From": "\x00138", "Body": "x"}),
    ("NUL in To", "/twilio/sms", {"MessageSid": "SM2", "From": "+8613800138000", "To": "\x00"}),
    ("NUL in MessageSid", "/twilio/sms", {"MessageSid": "SM\x003", "From": "+8613800138000"}),
    ("control char in SID", "/twilio/sms", {"MessageSid": "SM\x1b4", "From": "+8613800138000"}),
    ("NUL in status SID", "/twilio/status", {"MessageSid": "SM\x005", "MessageStatus": "sent"}),
    ("superscript id", "/twilio/status?m=%C2%B2", {"MessageSid": "SMx", "MessageStatus": "sent"}),
    ("huge id", "/twilio/status?m=99999999999999999999",
     {"MessageSid": "SMx", "MessageStatus": "sent"}),
    ("superscript ErrorCode", "/twilio/status",
     {"MessageSid": "SMknown0000", "MessageStatus": "failed", "ErrorCode": "³"}),
    ("huge ErrorCode", "/twilio/status",
     {"MessageSid": "SMknown0000", "MessageStatus": "failed", "ErrorCode": "9" * 30}),
    ("huge NumMedia", "/twilio/sms", {"MessageSid": "SM6", "From": "+8613800138000",
                                      "NumMedia": "9" * 40, "MediaUrl0": "x\x00"}),
    ("SQL in body", "/twilio/sms", {"MessageSid": "SM7", "From": "+8613800138000",
                                    "Body": "'); DROP TABLE cases;--"}),
]


@pytest.mark.parametrize("name,path,form", HOSTILE_TABLE, ids=[c[0] for c in HOSTILE_TABLE])
def test_hostile_table(app: Flask, name: str, path: str, form: dict[str, str]) -> None:
    add_known_message()
    resp = send_hostile(app, path, form, "valid", "form")
    assert resp.status_code in {200, 204, 400}, (name, resp.status_code, resp.data[:300])
    if name == "SQL in body":  # stored as text; the tables are all still there
        with get_db().begin() as s:
            assert s.scalar(select(Case.summary)) == form["Body"]


def test_nameless_multipart_field_is_refused_not_a_500(app: Flask) -> None:
    body = (b"--XX\r\nContent-Disposition: form-data\r\n\r\nval\r\n--XX\r\n"
            b'Content-Disposition: form-data; name="MessageSid"\r\n\r\nSM1\r\n--XX--\r\n')
    sig = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + "/twilio/sms",
                                                         {"MessageSid": "SM1"})
    before = row_counts()
    resp = app.test_client().post("/twilio/sms", data=body, headers={"X-Twilio-Signature": sig},
                                  content_type="multipart/form-data; boundary=XX")
    assert resp.status_code == 403 and row_counts() == before


def add_known_message() -> None:
    """The outbound message the status-callback payloads refer to as SMknown0000."""
    with get_db().begin() as s:
        if s.scalar(select(Message).where(Message.provider_sid == "SMknown0000")) is None:
            s.add(Message(direction=Direction.OUTBOUND, purpose=Purpose.REPLY,
                          status=MessageStatus.ACCEPTED, provider_sid="SMknown0000",
                          from_number=HOTLINE_NUMBER, to_number="+8613800138000", body="hi"))


@WEBHOOK
@given(st.one_of(hostile_form, plausible_sms), st.sampled_from(SIGNING),
       st.sampled_from(ENCODING))
def test_hostile_inbound_sms(app: Flask, form: dict[str, str], signing: str, encoding: str
                             ) -> None:
    check_answer(app, "/twilio/sms", form, signing, encoding, {200, 400, 413})


@WEBHOOK
@given(st.one_of(hostile_form, plausible_status), st.sampled_from(SIGNING),
       st.sampled_from(ENCODING), st.one_of(st.none(), nasty, st.text(max_size=12)))
def test_hostile_status_callback(app: Flask, form: dict[str, str], signing: str, encoding: str,
                                 our_id: str | None) -> None:
    add_known_message()
    query = "" if our_id is None else "?" + urlencode({"m": our_id})
    check_answer(app, "/twilio/status" + query, form, signing, encoding, {204, 400, 413})
