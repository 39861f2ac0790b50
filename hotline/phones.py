"""Phone numbers: every number in the database is E.164, parsed with `phonenumbers`."""

from __future__ import annotations

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
    """Show a number with its middle hidden (+86138****8000), for logs and staff screens."""
    if len(e164) <= 8:
        return e164[:2] + "****"
    return e164[:6] + "****" + e164[-4:]
