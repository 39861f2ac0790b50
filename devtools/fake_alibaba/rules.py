"""Alibaba Cloud SMS rules the fake server applies: numbers, templates, parameters, sizes."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from devtools.fake_alibaba.sign import AcsError

DEFAULT_SIGNATURE = "工友热线"
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")  # Alibaba's times are Beijing time
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# Alibaba's variable rule for notification and promotional templates: a value of at most 35
# characters (variable property "other"; phone-number variables are shorter still).
PARAM_MAX_LENGTH = 35
MAX_TEMPLATE_CHARS = 500
VARIABLE = re.compile(r"\$\{(\w+)\}")
MOBILE = re.compile(r"1[3-9]\d{9}")
URL_IN_PARAM = re.compile(r"https?://|www\.", re.I)
OPT_OUT = "拒收请回复R"


@dataclass(frozen=True)
class Template:
    """An approved template: its code, text with ${name} variables, kind and signature."""

    code: str
    text: str
    kind: str
    signature: str

    @property
    def params(self) -> tuple[str, ...]:
        """The variable names in the order they appear."""
        return tuple(dict.fromkeys(VARIABLE.findall(self.text)))

    def render(self, sign_name: str, values: dict[str, str]) -> str:
        """The text as the handset shows it: 【签名】 then the filled template."""
        return f"【{sign_name}】" + VARIABLE.sub(lambda m: values[m.group(1)], self.text)


def check_signature(name: str) -> None:
    """Refuse what signature review refuses: 2-12 characters, no brackets."""
    if not 2 <= len(name) <= 12 or any(c in name for c in "【】[]"):
        raise ValueError(f"signature must be 2-12 characters without brackets: {name!r}")


def check_template(text: str, kind: str) -> None:
    """Refuse what template review refuses (kind, length, brackets, opt-out wording)."""
    if kind not in ("notification", "promotional"):
        raise ValueError(f"kind must be notification or promotional: {kind!r}")
    if not text or len(text) > MAX_TEMPLATE_CHARS or "【" in text or "】" in text:
        raise ValueError("template text: 1-500 characters, no 【】 (the signature's brackets)")
    if not VARIABLE.sub("", text).strip():
        raise ValueError("a template of only variables is refused")
    if (kind == "promotional") != (OPT_OUT in text):
        raise ValueError(f"promotional templates end with {OPT_OUT}; notifications must not")


def national(phone: str) -> str | None:
    """The 11-digit mainland mobile number in any form Alibaba accepts (+86/0086/86/bare)."""
    phone = phone.strip().replace(" ", "").replace("-", "")
    for prefix in ("+86", "0086", "86"):
        if phone.startswith(prefix) and len(phone) == len(prefix) + 11:
            phone = phone[len(prefix):]
            break
    return phone if MOBILE.fullmatch(phone) else None


def mobile(raw: str) -> str:
    """The 11-digit number, or isv.MOBILE_NUMBER_ILLEGAL."""
    number = national(raw)
    if number is None:
        raise AcsError("isv.MOBILE_NUMBER_ILLEGAL")
    return number


def template_values(template: Template, raw: Any, max_length: int) -> dict[str, str]:
    """Template parameters: a JSON object of strings, every variable given, short, no URL."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            raise AcsError("isv.INVALID_JSON_PARAM") from exc
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise AcsError("isv.INVALID_JSON_PARAM")
    if any(not raw.get(name) for name in template.params):
        raise AcsError("isv.TEMPLATE_MISSING_PARAMETERS")
    for name in template.params:
        if len(raw[name]) > max_length:
            raise AcsError("isv.PARAM_LENGTH_LIMIT")
        if URL_IN_PARAM.search(raw[name]):
            raise AcsError("isv.PARAM_NOT_SUPPORT_URL")
    return {name: raw[name] for name in template.params}


def json_list(raw: str) -> list[Any]:
    """A JSON array parameter (SendBatchSms), or isv.INVALID_JSON_PARAM."""
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise AcsError("isv.INVALID_JSON_PARAM") from exc
    if not isinstance(value, list):
        raise AcsError("isv.INVALID_JSON_PARAM")
    return value


def extend_code(code: str) -> str:
    """SmsUpExtendCode: digits only."""
    if code and not code.isdigit():
        raise AcsError("isv.INVALID_PARAMETERS", "SmsUpExtendCode只能是数字")
    return code


def sms_size(text: str) -> int:
    """Billed parts: 70 characters (signature included) in one, else 67 per part."""
    return 1 if len(text) <= 70 else math.ceil(len(text) / 67)


def beijing_now() -> datetime:
    """Now in Beijing time, as Alibaba stamps sends and reports."""
    return datetime.now(BEIJING)
