"""Twilio error codes onto the hotline's typed provider errors, in one table.

A refused API request (TwilioRestException: HTTP status and Twilio's numeric code) and the
`ErrorCode` of a status callback are both read here; nothing else in the hotline decides on a
Twilio code. A code not in the table is judged by its HTTP status: 429 slow down, any other 4xx
(but 408/409) never works as it is, anything else may have reached Twilio.
"""

from __future__ import annotations

import requests
from twilio.base.exceptions import TwilioRestException

from notifications.providers.base import (
    PermanentFailure,
    ProviderError,
    RecipientOptedOut,
    Throttled,
    TransientFailure,
)

THROTTLED = "throttled"
OPTED_OUT = "opted_out"
PERMANENT = "permanent"
TRANSIENT = "transient"  # Twilio may have acted: reconcile, never resend blindly

# Code -> (class, what it means), from Twilio's error dictionary.
CODES: dict[int, tuple[str, str]] = {
    20429: (THROTTLED, "too many requests"),
    14107: (THROTTLED, "SMS send rate limit exceeded"),
    21610: (OPTED_OUT, "the recipient unsubscribed (replied STOP to this sender)"),
    21211: (PERMANENT, "invalid 'To' phone number"),
    21212: (PERMANENT, "invalid 'From' phone number"),
    21214: (PERMANENT, "'To' phone number cannot be reached"),
    21217: (PERMANENT, "phone number does not appear to be valid"),
    21408: (PERMANENT, "sending to this region is not enabled on the account"),
    21606: (PERMANENT, "'From' number cannot send messages to this destination"),
    21612: (PERMANENT, "'To' number is not reachable by SMS from this sender"),
    21614: (PERMANENT, "'To' number is not a valid mobile number"),
    21635: (PERMANENT, "'To' number is a landline"),
    # Delivery failures reported in status callbacks (never worth sending again as it is).
    30003: (PERMANENT, "unreachable destination handset"),
    30005: (PERMANENT, "unknown destination handset"),
    30006: (PERMANENT, "landline or unreachable carrier"),
}
ERROR_CLASS: dict[str, type[ProviderError]] = {
    THROTTLED: Throttled, OPTED_OUT: RecipientOptedOut, PERMANENT: PermanentFailure,
    TRANSIENT: TransientFailure,
}


def classify(code: int | None, http_status: int | None = None) -> str:
    """The class of a Twilio error: by its code when the table has it, else by HTTP status."""
    if http_status == 429:
        return THROTTLED
    if code in CODES:
        return CODES[code][0]
    if http_status is not None and 400 <= http_status < 500 and http_status not in (408, 409):
        return PERMANENT
    return TRANSIENT


def from_code(code: int | None, http_status: int | None = None, text: str = ""
              ) -> ProviderError:
    """The typed error for a Twilio code (and the HTTP status it came with, if any)."""
    kind = classify(code, http_status)
    text = text or (CODES[code][1] if code in CODES else f"Twilio error {code}")
    return ERROR_CLASS[kind](text, code)


def opted_out(code: int | None) -> bool:
    """True when a status callback's ErrorCode says the recipient unsubscribed at Twilio."""
    return code is not None and classify(code) == OPTED_OUT


def from_exception(exc: Exception) -> ProviderError:
    """Turn a Twilio or network exception into one of the typed provider errors."""
    if isinstance(exc, requests.RequestException):
        # Only a refused or timed-out *connection* proves nothing reached Twilio.
        not_sent = isinstance(exc, requests.ConnectTimeout) or (
            isinstance(exc, requests.ConnectionError) and "NewConnectionError" in repr(exc))
        return TransientFailure(f"network error talking to Twilio: {exc}",
                                maybe_sent=not not_sent)
    if not isinstance(exc, TwilioRestException):
        # Paging (list) raises the bare TwilioException("Unable to fetch page", response).
        return TransientFailure(f"Twilio: {exc}", maybe_sent=False)
    return from_code(exc.code, exc.status, str(exc.msg))
