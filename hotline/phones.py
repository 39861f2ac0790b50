"""Phone numbers: every number in the database is E.164, parsed with `phonenumbers`."""

from __future__ import annotations

import re

import phonenumbers

DEFAULT_REGION = "CN"


class InvalidPhone(ValueError):
    """A phone number that cannot be parsed or is not a possible number."""


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """Return `raw` as E.164 (+8613800138000), assuming `region` when no country code is given."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone("empty phone number")
    if len(text) > 40:
        raise InvalidPhone(f"phone number too long ({len(text)} characters)")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {text!r} ({exc})") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhone(f"not a possible phone number: {text!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """Show a number with its middle hidden, country code apart: '+86 138****8000'.

    At least four digits are always hidden (all of a very short number).
    """
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not parsed.country_code:  # not a number we know: hide its middle
        plus = "+" if e164.startswith("+") else ""
        return plus + hide_middle(e164[len(plus):])
    national = phonenumbers.national_significant_number(parsed)
    return f"+{parsed.country_code} {hide_middle(national)}"


def hide_middle(digits: str) -> str:
    """'13800138000' → '138****8000': at most 3 leading and 4 trailing digits, 4+ hidden."""
    n = len(digits)
    tail = 4 if n >= 8 else max(0, n - 4)
    head = min(3, max(0, n - tail - 4))
    return digits[:head] + "****" + (digits[n - tail:] if tail else "")


E164_IN_TEXT = re.compile(r"\+\d{6,15}")


def mask_numbers_in(text: str) -> str:
    """`text` with every E.164 number in it masked (for timeline notes and provider errors)."""
    return E164_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)
