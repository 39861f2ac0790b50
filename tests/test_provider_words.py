"""Each carrier's words stay in its package: status and error tables, callbacks, and a scan that
no module outside notifications/providers/ decides on a Twilio status word or error code."""

from __future__ import annotations

import ast
import enum
import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from alibabacloud_dysmsapi20170525 import models as sms_models
from flask import Flask
from twilio.base.exceptions import TwilioRestException

from hotline.infra.db import get_db
from models import (
    Contact,
    Direction,
    Message,
    MessageStatus,
    Purpose,
    RecipientStatus,
)
from models.campaign import RECIPIENT_STATUS_OF
from models.message import STATUS_RANK
from notifications.providers import (
    PROVIDERS,
    ErrorOutcome,
    PermanentFailure,
    ProviderError,
    RecipientOptedOut,
    Throttled,
    TransientFailure,
    build_provider,
    error_outcome,
)
from notifications.providers.alibaba import SEND_STATUS, _as_message
from notifications.providers.alibaba import errors as alibaba_errors
from notifications.providers.alibaba.push import Report
from notifications.providers.console import ConsoleProvider
from notifications.providers.twilio import TwilioProvider
from notifications.providers.twilio import errors as twilio_errors
from notifications.providers.twilio.callbacks import StatusReport, status_report
from notifications.providers.twilio.statuses import (
    MESSAGE_STATUS,
    message_status,
    recipient_status,
    reported_status,
)
from notifications.templates import NoTemplate
from tests.conftest import ACCOUNT_SID, HOTLINE_NUMBER, ROOT

S, R = MessageStatus, RecipientStatus
# Twilio's message_enum_status, API v2010 (shared/twilio/twilio_api_v2010.json), in its order.
TWILIO_MESSAGE_STATUSES = [
    "queued", "sending", "sent", "failed", "delivered", "undelivered", "receiving", "received",
    "accepted", "scheduled", "read", "partially_delivered", "canceled",
]
FULL_SPEC = Path(__file__).resolve().parents[2] / "shared" / "twilio" / "twilio_api_v2010.json"

# --- Twilio status words ---------------------------------------------------------------------

# word -> (case message, campaign recipient); None: the callback changes nothing.
TWILIO_EXPECTED: dict[str, tuple[MessageStatus | None, RecipientStatus | None]] = {
    "queued": (S.ACCEPTED, R.ACCEPTED),
    "sending": (S.ACCEPTED, R.ACCEPTED),
    "accepted": (S.ACCEPTED, R.ACCEPTED),
    "scheduled": (S.ACCEPTED, R.ACCEPTED),
    "sent": (S.SENT, R.SENT),
    "partially_delivered": (S.SENT, R.SENT),  # never claims more than arrived
    "delivered": (S.DELIVERED, R.DELIVERED),
    "read": (S.DELIVERED, R.DELIVERED),
    "undelivered": (S.UNDELIVERED, R.UNDELIVERED),
    "failed": (S.FAILED, R.FAILED),
    "canceled": (S.FAILED, R.FAILED),
    "receiving": (None, None),  # inbound: never the state of a text the hotline sent
    "received": (None, None),
}


def test_the_twilio_table_names_every_documented_status_word() -> None:
    assert sorted(MESSAGE_STATUS) == sorted(TWILIO_MESSAGE_STATUSES) == sorted(TWILIO_EXPECTED)


def test_the_documented_words_are_those_of_the_published_spec() -> None:
    """The list above is Twilio's own (checked whenever the spec is beside the repo)."""
    if not FULL_SPEC.exists():
        pytest.skip(f"{FULL_SPEC} not beside the repo: the list above is what was checked")
    schemas = json.loads(FULL_SPEC.read_text())["components"]["schemas"]
    assert schemas["message_enum_status"]["enum"] == TWILIO_MESSAGE_STATUSES


@pytest.mark.parametrize("word", TWILIO_MESSAGE_STATUSES)
def test_each_twilio_word_in_the_hotlines_statuses(word: str) -> None:
    message, recipient = TWILIO_EXPECTED[word]
    assert message_status(word) == message
    assert recipient_status(word) == recipient
    assert message_status(word.upper()) == message  # Twilio's case is not ours to trust
    # An API answer always means Twilio has the text: at least ACCEPTED.
    assert reported_status(word) == (message or S.ACCEPTED)


@pytest.mark.parametrize("word", [None, "", "exploded", "deliverd", "sent\x00", "delivered,sent",
                                  "已送达", "opted_out", "cancelled", "unknown"])
def test_unknown_twilio_words_change_nothing(word: str | None) -> None:
    assert message_status(word) is None
    assert recipient_status(word) is None
    assert reported_status(word) == S.ACCEPTED  # Twilio has it; a later report settles it


def test_a_provider_reports_a_sent_message_as_accepted_or_later() -> None:
    """What reconciliation and the send task rely on: no provider word reads as QUEUED,
    SENDING, UNKNOWN or RECEIVED, and each has a campaign recipient status."""
    floor = STATUS_RANK[S.ACCEPTED]
    reported = {*filter(None, MESSAGE_STATUS.values()), *SEND_STATUS.values(),
                S.DELIVERED, S.FAILED}  # the last two: Alibaba's pushed reports
    for status in reported:
        assert STATUS_RANK[status] >= floor and status != S.RECEIVED, status
        assert status in RECIPIENT_STATUS_OF, status


# --- Twilio error codes ----------------------------------------------------------------------

TWILIO_CODES: dict[int, type[ProviderError]] = {
    20429: Throttled, 14107: Throttled,
    21610: RecipientOptedOut,
    21211: PermanentFailure, 21212: PermanentFailure, 21214: PermanentFailure,
    21217: PermanentFailure, 21408: PermanentFailure, 21606: PermanentFailure,
    21612: PermanentFailure, 21614: PermanentFailure, 21635: PermanentFailure,
    30003: PermanentFailure, 30005: PermanentFailure, 30006: PermanentFailure,
}


def test_every_twilio_code_in_the_table_is_checked_here() -> None:
    assert sorted(twilio_errors.CODES) == sorted(TWILIO_CODES)


@pytest.mark.parametrize("code", sorted(TWILIO_CODES))
def test_each_twilio_code_is_its_typed_error(code: int) -> None:
    # Refused requests come as HTTP 400 (429 for the rate codes); the code decides either way.
    for http_status in (400, 500, None):
        error = twilio_errors.from_code(code, http_status)
        assert type(error) is TWILIO_CODES[code] and error.code == code
    assert twilio_errors.opted_out(code) == (code == 21610)


@pytest.mark.parametrize(("code", "http_status", "kind", "maybe_sent"), [
    (99999, 500, TransientFailure, True),  # unknown, Twilio's side: it may have gone
    (None, 503, TransientFailure, True),
    (99999, 400, PermanentFailure, None),  # unknown refusal: it will not work as it is
    (20003, 401, PermanentFailure, None),  # bad credentials
    (99999, 408, TransientFailure, True),  # request timeout / conflict are not refusals
    (99999, 409, TransientFailure, True),
    (None, 429, Throttled, None),
    (21610, 429, Throttled, None),  # a 429 is a 429 whatever the code
])
def test_unknown_twilio_codes_by_http_status(code: int | None, http_status: int,
                                             kind: type[ProviderError],
                                             maybe_sent: bool | None) -> None:
    error = twilio_errors.from_code(code, http_status)
    assert type(error) is kind
    if maybe_sent is not None:
        assert isinstance(error, TransientFailure) and error.maybe_sent is maybe_sent
    assert not twilio_errors.opted_out(None) and not twilio_errors.opted_out(99999)


@pytest.mark.parametrize(("exc", "kind", "maybe_sent"), [
    (TwilioRestException(400, "/Messages.json", "Attempt to send to unsubscribed recipient",
                         code=21610), RecipientOptedOut, None),
    (TwilioRestException(429, "/Messages.json", "Too Many Requests", code=20429),
     Throttled, None),
    (TwilioRestException(500, "/Messages.json", "Internal error"), TransientFailure, True),
    (requests.ConnectTimeout("connect timed out"), TransientFailure, False),
    (requests.ReadTimeout("read timed out"), TransientFailure, True),  # it may have arrived
])
def test_twilio_exceptions_become_typed_errors(exc: Exception, kind: type[ProviderError],
                                               maybe_sent: bool | None) -> None:
    error = twilio_errors.from_exception(exc)
    assert type(error) is kind
    if maybe_sent is not None:
        assert isinstance(error, TransientFailure) and error.maybe_sent is maybe_sent


# --- the one decision after an error, for single sends and campaigns -------------------------

@pytest.mark.parametrize(("error", "outcome"), [
    (Throttled("slow down", 20429), ErrorOutcome.RETRY),
    (TransientFailure("connection refused", maybe_sent=False), ErrorOutcome.RETRY),
    (TransientFailure("read timed out"), ErrorOutcome.UNKNOWN),
    (RecipientOptedOut("unsubscribed", 21610), ErrorOutcome.OPTED_OUT),
    (PermanentFailure("not a mobile number", 21614), ErrorOutcome.FAILED),
    (NoTemplate("no approved template carries this text"), ErrorOutcome.FAILED),
    (ProviderError("something no subclass names"), ErrorOutcome.FAILED),
])
def test_error_outcome(error: ProviderError, outcome: ErrorOutcome) -> None:
    assert error_outcome(error) == outcome


# --- Twilio status callbacks -----------------------------------------------------------------

SID = "SM" + "a" * 32


@pytest.mark.parametrize(("form", "report"), [
    ({"MessageSid": SID, "MessageStatus": "delivered"},
     StatusReport(SID, S.DELIVERED, None, False)),
    ({"MessageSid": SID, "MessageStatus": "undelivered", "ErrorCode": "30003"},
     StatusReport(SID, S.UNDELIVERED, 30003, False)),
    ({"MessageSid": SID, "MessageStatus": "failed", "ErrorCode": "21610"},
     StatusReport(SID, S.FAILED, 21610, True)),
    ({"MessageSid": SID, "MessageStatus": "failed", "ErrorCode": "²"},  # not a code
     StatusReport(SID, S.FAILED, None, False)),
    ({"MessageSid": SID, "MessageStatus": "failed", "ErrorCode": "1" * 10},
     StatusReport(SID, S.FAILED, None, False)),
    ({"MessageSid": SID, "MessageStatus": "receiving"}, None),
    ({"MessageSid": SID, "MessageStatus": "vanished"}, None),
    ({"MessageSid": SID}, None),
    ({"SmsSid": SID, "MessageStatus": "delivered"}, None),  # MessageSid alone names it
])
def test_status_callback_forms(form: dict[str, str], report: StatusReport | None) -> None:
    assert status_report(form) == report


def test_a_report_for_a_campaign_recipient() -> None:
    for word, (_, recipient) in TWILIO_EXPECTED.items():
        found = status_report({"MessageSid": SID, "MessageStatus": word})
        assert (found.recipient_status if found else None) == recipient


def _outbound(status: MessageStatus = S.ACCEPTED) -> tuple[int, int]:
    with get_db().begin() as s:
        contact = Contact(phone="+8613900000077")
        s.add(contact)
        s.flush()
        msg = Message(direction=Direction.OUTBOUND, purpose=Purpose.RELAY, status=status,
                      from_number=HOTLINE_NUMBER, to_number=contact.phone, body="你好",
                      provider_sid=SID, contact_id=contact.id)
        s.add(msg)
        s.flush()
        return msg.id, contact.id


@pytest.mark.parametrize(("word", "code", "status", "opted_out"), [
    ("partially_delivered", "", S.SENT, False),
    ("receiving", "", S.ACCEPTED, False),  # an inbound word: nothing moves
    ("read", "", S.DELIVERED, False),
    ("failed", "21610", S.FAILED, True),
    ("undelivered", "30003", S.UNDELIVERED, False),
])
def test_status_webhook_speaks_through_the_package(
        app: Flask, post_signed: Callable[..., Any], word: str, code: str,
        status: MessageStatus, opted_out: bool) -> None:
    msg_id, contact_id = _outbound()
    form = {"MessageSid": SID, "MessageStatus": word, "AccountSid": ACCOUNT_SID}
    if code:
        form["ErrorCode"] = code
    assert post_signed("/twilio/status", form).status_code == 204
    with get_db().begin() as s:
        assert s.get_one(Message, msg_id).status == status
        assert s.get_one(Message, msg_id).error_code == (int(code) if code else None)
        assert (s.get_one(Contact, contact_id).opted_out_at is not None) is opted_out


# --- Alibaba and the console -----------------------------------------------------------------

# QuerySendDetails SendStatus (1 awaiting receipt, 2 failed, 3 delivered).
ALIBABA_SEND_STATUS = {1: S.ACCEPTED, 2: S.FAILED, 3: S.DELIVERED}


def _detail(send_status: int | None) -> Any:
    return sms_models.QuerySendDetailsResponseBodySmsSendDetailDTOsSmsSendDetailDTO(
        send_status=send_status, content="【工友热线】你的案件 #1001 已有志愿者跟进",
        out_id="r5", send_date="2026-12-03 10:00:00", phone_num="13900000077")


@pytest.mark.parametrize("send_status", [1, 2, 3, 4, 0, None])
def test_alibaba_send_status_in_the_hotlines_words(send_status: int | None) -> None:
    assert SEND_STATUS == ALIBABA_SEND_STATUS
    found = _as_message("+8613900000077", _detail(send_status))
    # 4 (a value Alibaba might add) and a missing one: Alibaba has the text, so ACCEPTED.
    assert found.status == ALIBABA_SEND_STATUS.get(send_status or 1, S.ACCEPTED)
    assert isinstance(found.status, MessageStatus)


def test_alibaba_reports_in_the_hotlines_words() -> None:
    for delivered, status, recipient in ((True, S.DELIVERED, R.DELIVERED),
                                         (False, S.FAILED, R.FAILED)):
        report = Report(key="k", biz_id="1", kind="m", our_id=1, delivered=delivered,
                        err_code="" if delivered else "MK:0001")
        assert (report.status, report.recipient_status) == (status, recipient)


ALIBABA_KINDS: dict[str, tuple[type[ProviderError], bool | None]] = {
    alibaba_errors.THROTTLED: (Throttled, None),
    alibaba_errors.PERMANENT: (PermanentFailure, None),
    alibaba_errors.TRANSIENT: (TransientFailure, True),
    alibaba_errors.RETRY: (TransientFailure, False),
}


@pytest.mark.parametrize("code", sorted(alibaba_errors.CODES))
def test_each_alibaba_code_is_its_typed_error(code: str) -> None:
    kind, maybe_sent = ALIBABA_KINDS[alibaba_errors.CODES[code][0]]
    error = alibaba_errors.from_code(code)
    assert type(error) is kind and code in str(error)
    if maybe_sent is not None:
        assert isinstance(error, TransientFailure) and error.maybe_sent is maybe_sent


@pytest.mark.parametrize(("code", "http_status", "kind"), [
    ("isv.SOMETHING_NEW", None, PermanentFailure),  # the caller's side: fix before resending
    ("isp.SOMETHING_NEW", None, TransientFailure),  # Alibaba's side: it may have gone
    ("Throttling.Something", None, Throttled),
    ("", 429, Throttled),
    ("Whatever", 503, TransientFailure),
    ("", None, PermanentFailure),
])
def test_unknown_alibaba_codes_map_safely(code: str, http_status: int | None,
                                          kind: type[ProviderError]) -> None:
    assert type(alibaba_errors.from_code(code, http_status)) is kind


def test_console_speaks_the_hotlines_statuses() -> None:
    console = ConsoleProvider(show_texts=False)
    sent = console.send_sms("+8613900000077", "你好", from_=HOTLINE_NUMBER)
    assert sent.status == S.SENT
    call = console.start_call("+8613900000077", from_=HOTLINE_NUMBER, url="https://x/voice")
    assert call.status == S.ACCEPTED
    found = console.fetch_sms(sent.sid)
    assert found is not None and found.status == S.SENT
    assert [m.status for m in console.find_sms("+8613900000077")] == [S.SENT]


# --- the registry ----------------------------------------------------------------------------

def test_every_registered_provider_has_a_factory_in_its_package() -> None:
    for name, target in PROVIDERS.items():
        module, factory = target.split(":")
        assert module == f"notifications.providers.{name}"
        assert callable(getattr(importlib.import_module(module), factory))
    assert isinstance(build_provider("console", {}), ConsoleProvider)
    twilio = build_provider("twilio", {"TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                                       "TWILIO_AUTH_TOKEN": "t",
                                       "TWILIO_API_URL": "http://127.0.0.1:9"})
    assert isinstance(twilio, TwilioProvider)
    assert twilio.client.api.base_url == "http://127.0.0.1:9"


# --- nobody else speaks Twilio ---------------------------------------------------------------

SCANNED = ("hotline", "notifications", "models", "ivr_flows", "devtools", "benchmarks", "worker.py",
           "dev.py")
# Files outside notifications/providers/ that may speak Twilio's words, and why.
ALLOWED = {
    "devtools/fake_twilio.py": "the local Twilio-shaped server: it answers, refuses and "
                                    "calls back in Twilio's own codes and words by design",
    "benchmarks/webhook.py": "plays Twilio against the hotline: posts status callbacks in "
                             "Twilio's form fields",
}
STATUS_NAMES = {"MessageStatus", "RecipientStatus", "R", "_R", "S"}
CALLBACK_FIELDS = {"MessageStatus", "ErrorCode"}


def _hotline_values() -> set[str]:
    """Every value of the models' own enums: a literal equal to one is the hotline's word."""
    values: set[str] = set()
    for path in (ROOT / "models").glob("*.py"):
        module = importlib.import_module(f"models.{path.stem}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, enum.Enum) and \
                    obj.__module__ == module.__name__:
                values |= {str(member.value) for member in obj}
    return values


def _findings(tree: ast.AST, twilio_only: set[str]) -> list[str]:
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and type(node.value) is int and \
                node.value in twilio_errors.CODES:
            found.append(f"{node.lineno}: Twilio error code {node.value}")
        elif isinstance(node, ast.Constant) and node.value in twilio_only:
            found.append(f"{node.lineno}: Twilio status word {node.value!r}")
        elif isinstance(node, ast.Constant) and node.value in CALLBACK_FIELDS:
            parent = parents.get(node)
            if isinstance(parent, ast.Subscript | ast.Dict) or (
                    isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute)
                    and parent.func.attr in ("get", "getlist")):
                found.append(f"{node.lineno}: Twilio callback field {node.value!r}")
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in MESSAGE_STATUS and \
                        isinstance(value, ast.Attribute) and \
                        isinstance(value.value, ast.Name) and value.value.id in STATUS_NAMES:
                    found.append(f"{node.lineno}: a table of Twilio status words")
                    break
    return found


def test_no_module_outside_the_providers_speaks_twilio() -> None:
    twilio_only = set(MESSAGE_STATUS) - _hotline_values()
    assert twilio_only == {"receiving", "read", "partially_delivered"}
    files = [p for name in SCANNED for p in
             ((ROOT / name).rglob("*.py") if (ROOT / name).is_dir() else [ROOT / name])]
    hits: dict[str, list[str]] = {}
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("notifications/providers/"):
            continue
        found = _findings(ast.parse(path.read_text(encoding="utf-8")), twilio_only)
        if found:
            hits[rel] = found
    assert {rel: found for rel, found in hits.items() if rel not in ALLOWED} == {}
    assert sorted(hits) == sorted(ALLOWED), "an allowed file no longer needs its exception"


def test_the_scan_finds_what_it_looks_for() -> None:
    """The scan's rules on the shapes Twilio's words used to take outside the package."""
    source = '''
TWILIO_STATUS = {"queued": MessageStatus.ACCEPTED, "read": MessageStatus.DELIVERED}
CARRIER_OPT_OUT_CODES = frozenset({21610})
new = request.form.get("MessageStatus")
code = form["ErrorCode"]
if word == "partially_delivered":
    pass
labels = {"queued": "排队中", "sent": "已发送"}
__all__ = ["MessageStatus"]
'''
    found = _findings(ast.parse(source), {"receiving", "read", "partially_delivered"})
    assert sorted(found) == sorted([
        "2: a table of Twilio status words", "2: Twilio status word 'read'",
        "3: Twilio error code 21610", "4: Twilio callback field 'MessageStatus'",
        "5: Twilio callback field 'ErrorCode'", "6: Twilio status word 'partially_delivered'",
    ])

