"""Alibaba's HTTP batch pushes in the hotline's own words: delivery reports and replies.

SmsReport and SmsUp arrive as a JSON array of objects (one push may carry many). A whole push
is read before anything is written, so a malformed one is refused (400) and nothing of it is
kept; Alibaba pushes it again. Each item gets a stable key, so a pushed-again item is known.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from models import MessageStatus, RecipientStatus

# What the push endpoints answer; Alibaba only checks that `code` is a number.
PUSH_ANSWER = {"code": 0, "msg": "成功"}
MAX_ITEMS = 1000
DOMESTIC = re.compile(r"1\d{10}")
# The sid of a send found by lookup: QuerySendDetails gives no BizId, so OutId and time stand
# in until the delivery report names the BizId.
SYNTHETIC = "out:"
# m<message>, r<campaign recipient>, c<campaign> (a SendBatchSms: the number names the row)
OUT_ID = re.compile(r"(?:(?P<kind>[mrc])(?P<id>\d{1,12}))?(?P<signed>s)?")
# An office's extend code (SendSms SmsUpExtendCode, pushed back as SmsUp dest_code): ASCII
# digits. Alibaba documents no length; the port it extends (106 + the signature's own code +
# this) must stay within the carriers' 20 digits, and the column holds 12.
EXTEND_CODE = re.compile(r"[0-9]{1,12}")


class BadExtendCode(ValueError):
    """Not an extend code Alibaba accepts (1-12 ASCII digits)."""


def extend_code(raw: str) -> str:
    """The extend code an office's texts carry, checked; BadExtendCode says what is wrong."""
    code = raw.strip()
    if not code:
        raise BadExtendCode("the extend code is empty (use --clear to remove one)")
    if not code.isascii() or not code.isdigit():
        raise BadExtendCode(f"the extend code must be ASCII digits 0-9 only, not {code!r}")
    if not EXTEND_CODE.fullmatch(code):
        raise BadExtendCode(f"the extend code has {len(code)} digits; at most 12")
    return code


class BadPush(ValueError):
    """The push is not what Alibaba sends (not a JSON array of report or reply objects)."""


def to_alibaba(e164: str) -> str:
    """+8613800138000 -> 13800138000 (mainland); +85291234567 -> 85291234567 (elsewhere)."""
    digits = e164.lstrip("+")
    if digits.startswith("86") and DOMESTIC.fullmatch(digits[2:]):
        return digits[2:]
    return digits


def from_alibaba(number: str) -> str:
    """13800138000 -> +8613800138000; 85291234567 -> +85291234567 (E.164 again)."""
    digits = re.sub(r"\D", "", number or "")
    if DOMESTIC.fullmatch(digits):
        return "+86" + digits
    if digits.startswith("0086"):
        return "+" + digits[2:]
    return "+" + digits


def out_id(kind: str | None, our_id: int | None, signed: bool) -> str | None:
    """OutId naming our row (m = message, r = campaign recipient) and whether the hotline's
    text carried the 【signature】 itself (so a looked-up Content compares equal)."""
    text = (f"{kind}{our_id}" if kind and our_id is not None else "") + ("s" if signed else "")
    return text or None


def parse_out_id(raw: str | None) -> tuple[str | None, int | None, bool]:
    """(kind, our id, signed) from an OutId we set; (None, None, False) for anything else."""
    found = OUT_ID.fullmatch(str(raw or ""))
    if not found:
        return None, None, False
    return (found.group("kind"), int(found.group("id")) if found.group("id") else None,
            bool(found.group("signed")))


@dataclass(frozen=True)
class Report:
    """One delivery report (SmsReport item)."""

    key: str
    biz_id: str
    kind: str | None  # "m" (a message row), "r" (a campaign recipient) or None
    our_id: int | None
    delivered: bool
    err_code: str
    phone: str = ""  # E.164: names the row among a batch's (one BizId and OutId for all)

    @property
    def status(self) -> MessageStatus:
        """The message status this report means."""
        return MessageStatus.DELIVERED if self.delivered else MessageStatus.FAILED

    @property
    def recipient_status(self) -> RecipientStatus:
        """The campaign recipient status this report means."""
        return RecipientStatus.DELIVERED if self.delivered else RecipientStatus.FAILED

    @property
    def error_message(self) -> str | None:
        """Why it failed, in words staff can look up (None when delivered)."""
        return None if self.delivered else f"not delivered (Alibaba {self.err_code or 'error'})"


@dataclass(frozen=True)
class Reply:
    """One text a person sent back (SmsUp item)."""

    key: str
    phone: str  # E.164
    content: str
    sign_name: str
    dest_code: str


def _items(raw: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadPush("not JSON") from exc
    if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
        raise BadPush("not a JSON array of objects")
    if len(data) > MAX_ITEMS:
        raise BadPush("too many items")
    return data


def _text(item: dict[str, Any], name: str, *, required: bool = True, limit: int = 64) -> str:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise BadPush(f"{name} missing")
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise BadPush(f"{name} is not text")
    text = str(value).replace("\x00", "")
    if len(text) > limit:
        raise BadPush(f"{name} too long")
    return text


def _key(prefix: str, item: dict[str, Any], names: tuple[str, ...]) -> str:
    # The same item pushed again has the same fields: the same key.
    canon = json.dumps([str(item.get(n, "")) for n in names], ensure_ascii=False)
    return prefix + hashlib.sha256(canon.encode()).hexdigest()[:48]


def parse_reports(raw: bytes) -> list[Report]:
    """The delivery reports of one SmsReport push; BadPush if any item is malformed."""
    reports = []
    for item in _items(raw):
        success = item.get("success")
        if isinstance(success, str) and success.lower() in ("true", "false"):
            success = success.lower() == "true"
        if not isinstance(success, bool):
            raise BadPush("success missing")
        biz_id = _text(item, "biz_id")
        kind, our_id, _ = parse_out_id(_text(item, "out_id", required=False, limit=256))
        key = _key("alibaba-report:", item, ("biz_id", "out_id", "phone_number", "success",
                                             "err_code", "report_time"))
        reports.append(Report(key=key, biz_id=biz_id, kind=kind, our_id=our_id,
                              delivered=success,
                              err_code=_text(item, "err_code", required=False),
                              phone=from_alibaba(_text(item, "phone_number", required=False,
                                                       limit=24))))
    return reports


def parse_replies(raw: bytes) -> list[Reply]:
    """The texts of one SmsUp push; BadPush if any item is malformed."""
    replies = []
    for item in _items(raw):
        phone = _text(item, "phone_number", limit=24)
        if not re.fullmatch(r"\+?\d{5,20}", phone):
            raise BadPush("phone_number malformed")
        content = item.get("content")
        if not isinstance(content, str):
            raise BadPush("content missing")
        key = _key("AU", item, ("phone_number", "send_time", "dest_code", "sequence_id",
                                "content"))
        replies.append(Reply(key=key[:40], phone=from_alibaba(phone),
                             content=content.replace("\x00", "")[:1600],
                             sign_name=_text(item, "sign_name", required=False),
                             dest_code=_text(item, "dest_code", required=False)))
    return replies
