"""Twilio's message status words in the hotline's own statuses, in one table.

Twilio names a message's state with one word (the `status` of a Message resource, the
`MessageStatus` of a status callback). The rest of the hotline only ever sees the
`MessageStatus` (case messages) or `RecipientStatus` (campaign recipients) a word maps to here.
"""

from __future__ import annotations

from models import MessageStatus, RecipientStatus
from models.campaign import RECIPIENT_STATUS_OF

# Every value of Twilio's message_enum_status (API v2010); None: not the state of a message the
# hotline sent, so a callback carrying it changes nothing.
MESSAGE_STATUS: dict[str, MessageStatus | None] = {
    # Twilio has it and has not yet handed it to a carrier.
    "accepted": MessageStatus.ACCEPTED,  # a Messaging Service is choosing the sender
    "scheduled": MessageStatus.ACCEPTED,  # to go at a set time
    "queued": MessageStatus.ACCEPTED,
    "sending": MessageStatus.ACCEPTED,
    "sent": MessageStatus.SENT,  # the carrier has it; final where carriers send no receipt
    # Only some parts of a multi-part text arrived: never shown as delivered.
    "partially_delivered": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,  # WhatsApp and RCS: read implies delivered
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,  # a scheduled message cancelled before it went
    # Inbound words: a message the hotline received, never one it sent.
    "receiving": None,
    "received": None,
}


def message_status(word: str | None) -> MessageStatus | None:
    """The hotline's status for a Twilio status word; None for an inbound or unknown word."""
    return MESSAGE_STATUS.get((word or "").strip().lower())


def recipient_status(word: str | None) -> RecipientStatus | None:
    """A campaign recipient's status for a Twilio status word; None when it changes nothing."""
    status = message_status(word)
    return RECIPIENT_STATUS_OF.get(status) if status is not None else None


def reported_status(word: str | None) -> MessageStatus:
    """What an API answer's status means for a message Twilio has: at least ACCEPTED.

    Twilio holds the message whatever the word, so a word this table does not know (one Twilio
    adds later) reads as ACCEPTED: a later callback or refresh settles it.
    """
    return message_status(word) or MessageStatus.ACCEPTED
