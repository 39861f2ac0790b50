"""Twilio's status callbacks read into the hotline's own words.

A status callback is a signed form POST (signature.py checks it first) with Twilio's field names;
the webhooks hand the form here and get back what happened, in `MessageStatus` or
`RecipientStatus`, and whether the carrier says the recipient unsubscribed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from models import MessageStatus, RecipientStatus
from models.campaign import RECIPIENT_STATUS_OF
from notifications.providers.twilio import errors, statuses


@dataclass(frozen=True)
class StatusReport:
    """One delivery report: which message, its new status, and the carrier's error if any."""

    sid: str
    status: MessageStatus
    error_code: int | None
    opted_out: bool  # the carrier says the recipient unsubscribed: send them nothing more

    @property
    def recipient_status(self) -> RecipientStatus | None:
        """The same report for a campaign recipient (None: it changes nothing there)."""
        return RECIPIENT_STATUS_OF.get(self.status)


def error_code(raw: str | None) -> int | None:
    """Twilio's ErrorCode as int: ASCII digits, at most 9 ('²' and 10**20 are no codes)."""
    if not raw or len(raw) > 9 or not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw)


def status_report(form: Mapping[str, str]) -> StatusReport | None:
    """The report a status callback carries; None when it names no message or no state of
    one the hotline sent (an inbound or unknown status word): such a callback changes nothing.
    """
    # MessageSid alone: the signature runs keys and values together, so a re-cut form could
    # carry a second id in a legacy field (SmsSid) that a fallback would believe.
    sid = form.get("MessageSid") or ""
    status = statuses.message_status(form.get("MessageStatus"))
    if not sid or status is None:
        return None
    code = error_code(form.get("ErrorCode"))
    return StatusReport(sid=sid, status=status, error_code=code,
                        opted_out=errors.opted_out(code))
