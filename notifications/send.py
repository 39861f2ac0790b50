"""The send task: one outbound Message row in, exactly one provider call out.

The row's status is committed before and after the provider call, so a task that runs twice
(redelivery after a crash) sees SENDING or later and does not send again.
"""

from __future__ import annotations

import logging
import random

from celery import shared_task
from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from hotline.consent import CARRIER_OPT_OUT, withdraw
from hotline.infra.db import get_db
from hotline.infra.queues import SEND, enqueue
from hotline.phones import mask_numbers_in
from models import Case, Contact, EventKind, Message, MessageStatus
from models.message import STATUS_RANK
from notifications.providers import (
    ErrorOutcome,
    ProviderError,
    SendResult,
    error_outcome,
    get_provider,
)
from notifications.segments import count_segments
from notifications.throttle import sender_bucket

log = logging.getLogger(__name__)


def status_callback_url(message_id: int) -> str | None:
    """Where the provider posts delivery reports; carries our id to reconcile lost SIDs."""
    base = current_app.config.get("PUBLIC_URL")
    return f"{base.rstrip('/')}/twilio/status?m={message_id}" if base else None


def claim_for_sending(message_id: int) -> Message | None:
    """Move a QUEUED message to SENDING and commit; None if it is not ours to send."""
    with get_db().begin() as session:
        msg = session.get(Message, message_id, with_for_update=True)
        if msg is None or msg.status != MessageStatus.QUEUED:
            return None
        if msg.contact_id is not None:
            # The opt-out rule (campaigns never; case messages only after a later text).
            from hotline.optout import refusal
            from models import Case, Contact

            reason = refusal(session, session.get(Contact, msg.contact_id), msg.purpose,
                             msg.body)
            if reason is not None:
                msg.advance(MessageStatus.FAILED, error_message=reason)
                case = session.get(Case, msg.case_id) if msg.case_id else None
                if case is not None:
                    case.log(EventKind.MESSAGE_OUT, f"not sent: {reason}", message_id=msg.id,
                             data={"purpose": str(msg.purpose), "status": "failed"})
                return None
        msg.advance(MessageStatus.SENDING)
        return msg


def record_send_result(message_id: int, result: SendResult | None,
                       error: ProviderError | None) -> float | None:
    """Write what the provider said; return a retry delay in seconds, or None when done."""
    retry_in: float | None = None
    with get_db().begin() as session:
        msg = session.get(Message, message_id, with_for_update=True)
        assert msg is not None
        if result is not None:
            msg.provider_sid = msg.provider_sid or result.sid
            msg.segments = result.segments
            # A provider may answer with a later state than "accepted" (the console says "sent").
            msg.advance(max(MessageStatus.ACCEPTED, result.status, key=STATUS_RANK.__getitem__))
            note = f"sent to {msg.to_number} ({result.segments} segment(s), {result.sid})"
        else:
            assert error is not None
            note, retry_in = _record_error(session, msg, error)
        if msg.case_id is not None:
            case = session.get(Case, msg.case_id)
            if case is not None:
                # The timeline is read by volunteers: no full phone number in it, ever.
                case.log(EventKind.MESSAGE_OUT, mask_numbers_in(note), message_id=msg.id,
                         data={"purpose": str(msg.purpose), "status": str(msg.status)})
    return retry_in


def _record_error(session: Session, msg: Message, error: ProviderError
                  ) -> tuple[str, float | None]:
    """Apply the shared decision on a provider error; (timeline note, retry delay)."""
    outcome = error_outcome(error)
    retry_in: float | None = None
    if outcome == ErrorOutcome.RETRY:
        msg.requeue()
        retry_in = 1.0 + random.random() * 4  # jitter so throttled chunks do not stampede
        note = f"provider busy ({error}); retrying in {retry_in:.0f}s"
    elif outcome == ErrorOutcome.UNKNOWN:
        msg.advance(MessageStatus.UNKNOWN, error_code=error.code, error_message=str(error))
        note = f"outcome unknown ({error}); will be reconciled, not resent"
    else:
        msg.advance(MessageStatus.FAILED, error_code=error.code, error_message=str(error))
        note = f"send failed: {error}"
        if outcome == ErrorOutcome.OPTED_OUT and msg.contact_id is not None:
            contact = session.get(Contact, msg.contact_id)
            if contact is not None:
                withdraw(session, contact, CARRIER_OPT_OUT, f"message {msg.id} refused")
    return note, retry_in


def debit_sender(sender: str, body: str) -> None:
    """Count an ordinary send against its sender's campaign bucket, without waiting.

    Replies and offers share the hotline number with campaigns: they go at once, and the
    campaign's next chunk is granted that much less. Redis down never stops a reply.
    """
    try:
        sender_bucket(sender).debit(count_segments(body).segments)
    except RedisError as exc:
        log.warning("throttle debit for %s skipped: %s", sender, exc)


def deliver(message_id: int) -> float | None:
    """Send one queued message through the provider; return a retry delay if it must wait."""
    msg = claim_for_sending(message_id)
    if msg is None:
        return None
    debit_sender(msg.from_number, msg.body)
    try:
        result = get_provider().send_sms(
            msg.to_number, msg.body, from_=msg.from_number,
            status_callback=status_callback_url(msg.id))
    except ProviderError as exc:
        log.warning("message %s: %s", message_id, exc)
        return record_send_result(message_id, None, exc)
    return record_send_result(message_id, result, None)


@shared_task(name="notifications.send.send_message", bind=True, max_retries=None)
def send_message(self: object, message_id: int) -> None:
    """Celery task: deliver one message, re-scheduling itself (never sleeping) when throttled."""
    retry_in = deliver(message_id)
    if retry_in is not None:
        enqueue(send_message, message_id, queue=SEND, countdown=retry_in)
