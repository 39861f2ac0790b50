"""No worker's phone number or words in any log line, whoever logs it.

Every log record is scrubbed when it is made (a record factory, so the app's handlers, Celery's,
Gunicorn's and pytest's all see the same text): E.164 numbers and Chinese mobile numbers are
masked as +86 138****8000, and the places where a library repeats the data it was given are
cut out: SQL parameters ("[parameters: ...]", also hidden at the source with
`hide_parameters=True` on the engine) and PostgreSQL's "Failing row contains (...)" and
"Key (phone)=(...)" details, which quote a row's values, message bodies included. Provider
errors ("Invalid 'To' Phone Number: +86...") keep their code and meaning, not the number.

The console provider's log (logger "hotline.console") is left whole: it is the demo's screen,
showing on this machine the texts a real provider would have sent.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

from hotline.phones import mask_phone

UNSCRUBBED_LOGGERS = frozenset({"hotline.console"})
# +86 138 0013 8000, +8613800138000, +1 (415) 555-0100: a plus, then 7-15 digits.
E164 = re.compile(r"(?<![\w+])\+\d(?:[ \-().]{0,2}\d){6,16}(?!\d)")
# 13800138000, 8613800138000, 008613800138000, 138-0013-8000 without the plus.
CN_MOBILE = re.compile(r"(?<![0-9A-Za-z])(?:00)?(?:86[ \-]?)?1[3-9]\d(?:[ \-]?\d){8}(?!\d)")
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
        if record.name not in UNSCRUBBED_LOGGERS:
            _scrub_record(record)
        return record

    _installed["factory"] = factory
    logging.setLogRecordFactory(factory)
