"""Texts the SMS webhook stored unread (ARRIVED): a worker reads each and texts the answer back.

A webhook (Twilio's, or Alibaba's push, item by item) keeps only what arrived — its receipt
and the message, one commit (`keep_arrived`) — and enqueues `read_arrived`, so a burst of texts
costs the web tier a write each and a bug in reading loses no text: the row waits, ARRIVED,
until it is read. Reading (who wrote, their case, the intake flow, routing) runs here, one
sender's texts in the order they came, each in its own transaction, and the hotline's answer
goes back as an outbound text. A publish lost to a dead Redis or a crashed worker is found
again by the sweeper (`claim_unread`).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import lru_cache
from typing import cast

from celery import shared_task
from flask import current_app
from sqlalchemy import Executable, Table, bindparam, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.infra.clock import db_now, offer_db_now, pin_db_now
from hotline.infra.db import get_db
from hotline.intake import InboundSms, IntakeResult, record_inbound_sms, record_unreadable_sender
from hotline.optout import offers_r, provider_words
from hotline.outbox import queue_sms, send_after_commit
from hotline.phones import InvalidPhone, normalize_phone
from hotline.volunteer_sms import dispatch_sms, identify_sender
from hotline.webhooks.receipts import seen_before
from models import Direction, Message, MessageStatus, Purpose, WebhookReceipt
from models.base import DbNow
from notifications.segments import count_segments

log = logging.getLogger(__name__)
READ_ARRIVED = "hotline.arrivals.read_arrived"
BATCH = 500
# How many times one task looks again for the sender's oldest unread text before it gives
# the rest to the sweeper (each turn reads one text; a sender rarely has more than a few).
MAX_TURNS = 50


def read_sms(session: Session, sms: InboundSms) -> IntakeResult:
    """Who wrote and where the text belongs: a volunteer's command, a survey answer, or a
    worker's text for the intake; written in the caller's transaction, nothing committed."""
    try:
        phone = normalize_phone(sms.from_raw)
    except InvalidPhone as exc:
        return record_unreadable_sender(session, sms, exc)
    sender = identify_sender(session, phone, sms.body)
    handled = dispatch_sms(session, sms, phone, sender)
    if handled is not None:
        return handled
    return record_inbound_sms(session, sms, phone, sender.worker)


def keep_arrived(sms: InboundSms, token: str | None) -> int | None:
    """Store the text ARRIVED with its receipt (one commit, one statement on PostgreSQL); its
    id, or None for a delivery stored before (the same idempotency token or MessageSid)."""
    engine = get_db().engine
    seg = count_segments(sms.body)
    params = {"token": token, "kind": "sms", "direction": Direction.INBOUND,
              "purpose": Purpose.INTAKE, "status": MessageStatus.ARRIVED,
              "provider_sid": sms.sid, "from_number": sms.from_raw[:40],
              "to_number": sms.to[:40], "body": sms.body, "media_urls": sms.media_urls,
              "segments": seg.segments, "encoding": seg.encoding,
              "organisation_id": sms.office_id}
    try:
        if engine.dialect.name == "postgresql":
            # One statement in autocommit: the receipt and the text, or neither.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                row = conn.execute(_arrived_statement(token is not None), params).first()
                return row[0] if row is not None else None
        with get_db().begin() as session:
            if seen_before(session, token, "sms"):
                return None
            return int(session.execute(_arrived_statement(False), params).scalar_one())
    except IntegrityError:
        # The same MessageSid under another token (or none) is a copy; anything else the
        # database refused is an error the caller must see (Twilio is answered 500).
        if _stored(sms.sid):
            return None
        raise


def _stored(sid: str) -> bool:
    with get_db().begin() as session:
        return session.scalar(select(Message.id).where(Message.provider_sid == sid)) is not None


# What the webhook knows of a text, by column; every value is a parameter of the statement.
ARRIVED_COLUMNS = ("direction", "purpose", "status", "provider_sid", "from_number", "to_number",
                   "body", "media_urls", "segments", "encoding", "organisation_id")


@lru_cache(maxsize=2)
def _arrived_statement(with_receipt: bool) -> Executable:
    """INSERT of the ARRIVED text returning its id; on PostgreSQL `with_receipt`, only when
    the receipt INSERT before it (in the same statement) added a row."""
    table = cast(Table, Message.__table__)
    values = [bindparam(name, type_=table.c[name].type) for name in ARRIVED_COLUMNS]
    if not with_receipt:
        return insert(table).values(dict(zip(ARRIVED_COLUMNS, values, strict=True))
                                    ).returning(table.c.id)
    receipts = cast(Table, WebhookReceipt.__table__)
    kept = (postgresql.insert(receipts)
            .values(token=bindparam("token"), kind=bindparam("kind"), received_at=DbNow())
            .on_conflict_do_nothing().returning(receipts.c.token).cte("kept"))
    return (insert(table).from_select(list(ARRIVED_COLUMNS), select(*values).select_from(kept))
            .returning(table.c.id))


def arrived_sms(msg: Message) -> InboundSms:
    """The webhook's stored text as the front door reads it (the row is filled in, not copied)."""
    return InboundSms(sid=msg.provider_sid or "", from_raw=msg.from_number, to=msg.to_number,
                      body=msg.body, media_urls=list(msg.media_urls or []),
                      office_id=msg.organisation_id, message_id=msg.id)


def read_next(message_id: int, *, in_response: bool = False
              ) -> tuple[int | None, IntakeResult | None]:
    """Read the sender's oldest unread text up to `message_id`, in one transaction: (the id
    read, what reading it did); (None, None) when `message_id` is read already. Each answer
    is texted back, but `message_id`'s when it goes `in_response` to its webhook."""
    with get_db().begin() as session:
        # The sender's texts are read in the order they came, whoever's task gets there first:
        # the oldest unread one is locked, so a second task for this sender waits, then moves on.
        sender = select(Message.from_number).where(Message.id == message_id).scalar_subquery()
        # The database's clock comes with it: every rule this text meets uses that one "now".
        found = session.execute(select(Message, DbNow()).where(
            Message.status == MessageStatus.ARRIVED, Message.from_number == sender,
            Message.id <= message_id).order_by(Message.id).limit(1).with_for_update()).first()
        if found is None:  # read already, or the oldest was taken meanwhile: look again
            unread = session.scalar(select(Message.id).where(
                Message.id == message_id, Message.status == MessageStatus.ARRIVED))
            return (message_id, None) if unread is not None else (None, None)
        msg, now = found
        pin_db_now(session)
        offer_db_now(session, now)
        # "R" opts out only as the answer to a promotional text sent before this one came.
        with provider_words(offers_r(session, msg.from_number, msg.body, msg.created_at)):
            result = read_sms(session, arrived_sms(msg))
        if result.reply and not (in_response and msg.id == message_id):
            text_back_in(session, msg, result.reply)
        return msg.id, result


def read_arrived_now(message_id: int, *, in_response: bool = False) -> IntakeResult | None:
    """Read every unread text of this sender up to `message_id`, oldest first; what reading
    `message_id` itself did (None when another task read it). `in_response`: its answer goes
    in the webhook's response, not as a text."""
    for _ in range(MAX_TURNS):
        done, result = read_next(message_id, in_response=in_response)
        if done is None:
            return None
        if done == message_id and result is not None:
            return result
    log.warning("text %s still unread after %s turns: left to the sweeper", message_id,
                MAX_TURNS)
    return None


@shared_task(name=READ_ARRIVED)
def read_arrived(message_id: int) -> int | None:
    """Celery task: read a stored text and answer it; the case it landed on, if any."""
    result = read_arrived_now(message_id)
    return result.case_id if result is not None else None


def text_back_in(session: Session, inbound: Message, reply: str) -> Message:
    """Queue the hotline's answer to `inbound` as an outbound text, sent once this commits."""
    # Written with the reading's other rows at commit (one flush), its send named by the id
    # its INSERT gets.
    msg = queue_sms(session, to=inbound.from_number, body=reply, purpose=Purpose.REPLY,
                    volunteer_id=inbound.volunteer_id, contact_id=inbound.contact_id,
                    flush=False)
    msg.case_id = inbound.case_id
    send_after_commit(session, [msg], urgent=True)
    return msg


def text_back(result: IntakeResult, *, again: bool = False) -> None:
    """Queue the answer to a text read in its webhook (Alibaba's replies) as an outbound text;
    for a delivery seen `again`, only when no answer was queued for it (the row is locked)."""
    assert result.reply is not None
    with get_db().begin() as session:
        inbound = session.get(Message, result.message_id, with_for_update=True)
        if inbound is None:
            return
        if again and session.scalar(select(Message.id).where(
                Message.direction == Direction.OUTBOUND, Message.purpose == Purpose.REPLY,
                Message.contact_id == inbound.contact_id,
                Message.volunteer_id == inbound.volunteer_id,
                Message.to_number == inbound.from_number, Message.body == result.reply,
                Message.created_at >= inbound.created_at).limit(1)) is not None:
            return
        text_back_in(session, inbound, result.reply)


def claim_unread() -> list[int]:
    """Texts left ARRIVED past the grace period (their task was lost), oldest first; each is
    pushed out of the next sweep's window."""
    with get_db().begin() as session:
        now = db_now(session)
        grace = now - timedelta(seconds=current_app.config["SWEEP_GRACE_SECONDS"])
        unread = session.scalars(select(Message).where(
            Message.status == MessageStatus.ARRIVED, Message.updated_at < grace)
            .order_by(Message.id).limit(BATCH).with_for_update(skip_locked=True)).all()
        for msg in unread:
            msg.updated_at = now
        return [m.id for m in unread]
