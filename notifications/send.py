"""The send task: one outbound Message row in, exactly one provider call out.

The row's status is committed before and after the provider call, so a task that runs twice
(redelivery after a crash) sees SENDING or later and does not send again.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import cast

from celery import shared_task
from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import Table, func, insert, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from hotline.consent import CARRIER_OPT_OUT, withdraw
from hotline.infra.db import get_db
from hotline.infra.queues import SEND, enqueue
from hotline.phones import mask_numbers_in
from models import Case, CaseEvent, Contact, EventKind, Message, MessageStatus, Purpose
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


@dataclass(frozen=True)
class Claimed:
    """A message this process now holds in SENDING: what the provider call needs."""

    id: int
    from_number: str
    to_number: str
    body: str


def claim_for_sending(message_id: int) -> Claimed | None:
    """Move a QUEUED message to SENDING and commit; None if it is not ours to send.

    Statements, not ORM objects: every offer, reply and alert passes here on its way out
    while a campaign may be sharing the cores (one locked read, one write)."""
    table = _messages()
    with get_db().begin() as session:
        row = session.execute(select(
            table.c.status, table.c.contact_id, table.c.case_id, table.c.purpose,
            table.c.body, table.c.from_number, table.c.to_number)
            .where(table.c.id == message_id).with_for_update()).one_or_none()
        if row is None or row.status != MessageStatus.QUEUED:
            return None
        if row.contact_id is not None:
            # The opt-out rule (campaigns never; case messages only after a later text).
            from hotline.optout import refusal

            reason = refusal(session, session.get(Contact, row.contact_id),
                             Purpose(row.purpose), row.body)
            if reason is not None:
                _refuse(session, message_id, row.case_id, Purpose(row.purpose), reason)
                return None
        session.execute(update(table).where(table.c.id == message_id)
                        .values(status=MessageStatus.SENDING))
        return Claimed(message_id, row.from_number, row.to_number, row.body)


def _refuse(session: Session, message_id: int, case_id: int | None, purpose: Purpose,
            reason: str) -> None:
    msg = session.get(Message, message_id)
    assert msg is not None
    msg.advance(MessageStatus.FAILED, error_message=reason)
    case = session.get(Case, case_id) if case_id else None
    if case is not None:
        case.log(EventKind.MESSAGE_OUT, f"not sent: {reason}", message_id=message_id,
                 data={"purpose": str(purpose), "status": "failed"})


def record_send_result(message_id: int, result: SendResult | None,
                       error: ProviderError | None) -> float | None:
    """Write what the provider said; return a retry delay in seconds, or None when done."""
    if result is not None:
        _record_accepted(message_id, result)
        return None
    assert error is not None
    with get_db().begin() as session:
        msg = session.get(Message, message_id, with_for_update=True)
        assert msg is not None
        note, retry_in = _record_error(session, msg, error)
        if msg.case_id is not None:
            _log_sent(session, msg.case_id, message_id, note, msg.purpose, msg.status)
    return retry_in


def _record_accepted(message_id: int, result: SendResult) -> None:
    """The provider took the message: its SID, parts and status in one UPDATE, and the
    timeline line in one INSERT (the hot path of every offer and reply)."""
    table = _messages()
    # A provider may answer with a later state than "accepted" (the console says "sent");
    # the status only ever moves forward, as Message.advance does it.
    new = max(MessageStatus.ACCEPTED, result.status, key=STATUS_RANK.__getitem__)
    lower = [s for s, rank in STATUS_RANK.items() if rank < STATUS_RANK[new]]
    with get_db().begin() as session:
        row = session.execute(
            update(table).where(table.c.id == message_id).values(
                provider_sid=func.coalesce(table.c.provider_sid, result.sid),
                segments=result.segments,
                status=sql_case((table.c.status.in_(lower), new), else_=table.c.status))
            .returning(table.c.case_id, table.c.purpose, table.c.to_number, table.c.status)
        ).one()
        if row.case_id is not None:
            note = f"sent to {row.to_number} ({result.segments} segment(s), {result.sid})"
            _log_sent(session, row.case_id, message_id, note, Purpose(row.purpose),
                      MessageStatus(row.status))


def _log_sent(session: Session, case_id: int, message_id: int, note: str, purpose: Purpose,
              status: MessageStatus) -> None:
    # The timeline is read by volunteers: no full phone number in it, ever.
    session.execute(insert(CaseEvent), [{
        "case_id": case_id, "kind": EventKind.MESSAGE_OUT, "text": mask_numbers_in(note),
        "message_id": message_id, "data": {"purpose": str(purpose), "status": str(status)}}])


def _messages() -> Table:
    return cast(Table, Message.__table__)


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
