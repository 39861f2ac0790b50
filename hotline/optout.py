"""The one opt-out rule (issue 3): STOP ends bulk messages; case messages need a later text.

A worker who texted STOP (or whose carrier reported them opted out) gets no campaign SMS.
Case messages (relays from their volunteer or staff, the closing survey, confirmations) still
reach them only if they have texted us something other than STOP since opting out: the
worker who keeps writing about their case wants the answers; one who only phoned, or only
said STOP, hears nothing more by SMS. START clears the opt-out altogether.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.sms_commands import Command, parse_command
from models import Contact, Direction, Message, Purpose

OPTED_OUT = "recipient opted out"
NOT_TEXTED_SINCE = "recipient opted out and has not texted since"


def texted_since_opt_out(session: Session, contact: Contact) -> bool:
    """True when the worker sent us an SMS other than an opt-out command after opting out."""
    if contact.opted_out_at is None:
        return True
    bodies = session.scalars(select(Message.body).where(
        Message.contact_id == contact.id, Message.direction == Direction.INBOUND,
        Message.created_at >= contact.opted_out_at))
    for body in bodies:
        parsed = parse_command(body or "")
        if parsed is None or parsed.command != Command.STOP:
            return True
    return False


def refusal(session: Session, contact: Contact | None, purpose: Purpose) -> str | None:
    """Why a message of `purpose` must not go to this worker, or None when it may."""
    if contact is None or contact.opted_out_at is None:
        return None
    if purpose == Purpose.CAMPAIGN:
        return OPTED_OUT
    return None if texted_since_opt_out(session, contact) else NOT_TEXTED_SINCE
