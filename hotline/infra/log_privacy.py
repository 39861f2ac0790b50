"""No worker's phone number or words in any log line, whoever logs it.

Every log record is scrubbed when it is made (a record factory, so the app's handlers, Celery's,
Gunicorn's and pytest's all see the same text): E.164 numbers and Chinese mobile numbers are
masked as +86 138****8000, and the places where a library repeats the data it was given are
cut out: SQL parameters ("[parameters: ...]", also hidden at the source with
`hide_parameters=True` on the engine) and PostgreSQL's "Failing row contains (...)" and
"Key (phone)=(...)" details, which quote a row's values, message bodies included. Provider
errors ("Invalid 'To' Phone Number: +86...") keep their code and meaning, not the number.

Numbers are found as people and libraries write them: E.164 with a plus (any country), the
international 00 prefix (0044 20 7946 0958), Chinese mobiles with or without 86, and Chinese
landlines with an area code (010-12345678, (0755) 2345 6789, 86-21-5555-1234). Service
numbers without an area code (400-810-5050, 95588, 12333) say nothing about a person and stay.
No logger is exempt: the console provider logs masked numbers and shows texts elsewhere.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

from hotline.phones import mask_phone

# +86 138 0013 8000, +8613800138000, +1 (415) 555-0100: a plus, then 7-15 digits.
# Lookbehinds are ASCII: Chinese text runs straight into a number ("电话010-12345678").
E164 = re.compile(r"(?<![0-9A-Za-z_+])\+\d(?:[ \-().]{0,2}\d){6,16}(?!\d)")
# 0044 20 7946 0958, 001-415-555-0100, 00852 2345 6789: China's international prefix (00),
# a country code that never starts with 0, then the rest.
IDD = re.compile(r"(?<![0-9A-Za-z_+.])00[1-9](?:[ \-().]{0,2}\d){6,15}(?!\.?\d)")
# An area code (010, 02x or 0xxx; after the country code its 0 is optional) and a local number
# of 7 or 8 digits that does not start with 0 (the area code keeps mobiles, dates and 400
# numbers out).
CN_LANDLINE = re.compile(
    r"(?<![0-9A-Za-z_+.])(?:(?P<cc>86)[ \-]?\(?0?|\(?0)(?P<area>10|2\d|[3-9]\d{2})\)?[ \-]?"
    r"(?P<local>[1-9]\d{2,3}[ \-]?\d{4})(?!\.?\d)")
# 13800138000, 8613800138000, 008613800138000, 138-0013-8000, 013800138000 without the plus.
CN_MOBILE = re.compile(r"(?<![0-9A-Za-z])(?:00)?(?:86[ \-]?)?0?1[3-9]\d(?:[ \-]?\d){8}(?!\d)")
REDACTIONS = [
    (re.compile(r"\[parameters: .*?\](?=\s*(?:\n|\(Background|$))", re.S),
     "[SQL parameters hidden]"),
    (re.compile(r"Failing row contains \(.*?\)(?=\.?\s*(?:\n|$))", re.S),
     "Failing row contains (hidden)"),
    (re.compile(r"Key \(([^)]*)\)=\((.*?)\)(?= )", re.S), r"Key (\1)=(hidden)"),
]


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def scrub(text: str) -> str:
    """`text` with phone numbers masked and quoted row or parameter values cut out."""
    for pattern, replacement in REDACTIONS:
        text = pattern.sub(replacement, text)
    text = E164.sub(lambda m: mask_phone("+" + _digits(m.group(0))), text)
    text = IDD.sub(lambda m: mask_phone("+" + _digits(m.group(0))[2:]), text)
    text = CN_LANDLINE.sub(
        lambda m: mask_phone("+86" + m.group("area") + _digits(m.group("local"))), text)

    def mobile(match: re.Match[str]) -> str:
        digits = _digits(match.group(0))
        return mask_phone("+86" + digits[-11:])

    return CN_MOBILE.sub(mobile, text)


def _scrub_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it for logging to report
        return
    record.msg, record.args = scrub(message), None
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info))
                                ).rstrip("\n")
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)


_installed: dict[str, Any] = {}


def install() -> None:
    """Scrub every log record of this process from now on (idempotent)."""
    if "factory" in _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _scrub_record(record)
        return record

    _installed["factory"] = factory
    logging.setLogRecordFactory(factory)
