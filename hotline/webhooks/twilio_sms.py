"""Twilio webhooks: inbound SMS and delivery status callbacks. Signature first, then one commit.

A text is stored unread with its receipt and its reading enqueued (hotline.arrivals reads it
and texts the answer back); with Redis down it is read here and answered in the response.
SMS_READ_IN_WEBHOOK=1 reads every text here, in the transaction that stores it (`record_sms`,
which Alibaba's pushed replies use too)."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import cast

from flask import Blueprint, Flask, Response, current_app, request
from sqlalchemy import (
    Executable,
    Integer,
    String,
    Table,
    Update,
    bindparam,
    exists,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.arrivals import READ_ARRIVED, keep_arrived, read_arrived_now, read_sms
from hotline.infra.clock import pin_db_now
from hotline.infra.db import get_db, row_id
from hotline.infra.queues import INTAKE, enqueue
from hotline.intake import BadWebhook, InboundSms, IntakeResult, find_duplicate
from hotline.optout import opt_out_by_carrier
from hotline.webhooks.receipts import idempotency_token, receipt_statement, seen_before
from hotline.webhooks.twiml import sms_reply
from ivr_flows.understand import read_message
from models import Contact, Message, MessageStatus, WebhookReceipt
from models.base import DbNow
from models.message import STATUS_RANK
from notifications.providers.twilio.callbacks import StatusReport, status_report
from notifications.providers.twilio.signature import require_twilio_signature

log = logging.getLogger(__name__)
bp = Blueprint("twilio", __name__, url_prefix="/twilio")


def record_sms(sms: InboundSms, token: str | None = None, *, sid_first: bool = False
               ) -> IntakeResult:
    """Record one inbound SMS in a single transaction; a replay returns the first result.

    A delivery with a fresh idempotency token is not looked up by its MessageSid first: the
    unique SID still refuses a second copy at the INSERT, and the caller then runs this again
    with `sid_first`, answering from the copy already stored."""
    database = get_db()
    if database.is_sqlite:
        # SQLite lets one writer in at a time and the transaction below holds that turn from
        # its first statement: the words are read before it (read_message remembers the
        # last few, so the intake finds them read). Elsewhere nothing waits on this, and a
        # text on an assigned case is never read, so it is read only if the intake needs it.
        read_message(sms.body)
    with database.begin() as session:
        pin_db_now(session)  # every rule this text meets uses one "now", read once
        if sid_first or token is None:
            duplicate = find_duplicate(session, sms.sid)
            if duplicate is not None:
                return duplicate
        if seen_before(session, token, "sms"):
            # A retry that raced the first delivery waited for it on the receipt's key: the
            # first one's message is visible now, and its answer is this one's too.
            raced = find_duplicate(session, sms.sid)
            if raced is not None:
                return raced
            # The same delivery under another MessageSid (a re-cut form): write nothing.
            return IntakeResult(message_id=0, reply=None, duplicate=True)
        return read_sms(session, sms)


@bp.post("/sms")
@require_twilio_signature
def inbound_sms() -> Response:
    """Twilio's 'A message comes in' webhook: the text kept (one commit) and its reading
    queued; the answer is texted back once it is read."""
    try:
        sms = InboundSms.from_form(request.form)
    except BadWebhook as exc:
        return Response(str(exc), status=400, mimetype="text/plain")
    token = idempotency_token()
    if current_app.config.get("SMS_READ_IN_WEBHOOK"):
        return sms_reply(*_read_in_webhook(sms, token))
    message_id = keep_arrived(sms, token)
    if message_id is None:  # a retry or a replay: the first delivery's text is answered
        return sms_reply()
    if enqueue(READ_ARRIVED, message_id, queue=INTAKE):
        return sms_reply()
    # Redis is down: read it here and answer in this response rather than leave the worker
    # waiting for the sweeper.
    result = read_arrived_now(message_id, in_response=True)
    return sms_reply(*([result.reply] if result is not None and result.reply else []))


def _read_in_webhook(sms: InboundSms, token: str | None) -> list[str]:
    try:
        result = record_sms(sms, token)
    except IntegrityError:
        # Twilio retried while the first delivery was still committing, or the same text
        # came again under another token: the unique MessageSid, idempotency token (or
        # phone) constraint caught it; answer from what the winner wrote.
        result = record_sms(sms, token, sid_first=True)
    return [result.reply] if result.reply else []


@bp.post("/status")
@require_twilio_signature
def message_status() -> Response:
    """Delivery report for an outbound message; never moves a status backwards."""
    report = status_report(request.form)
    if report is None:
        return Response("", status=204)
    if len(report.sid) > 64 or not report.sid.isprintable():
        return Response("MessageSid malformed", status=400, mimetype="text/plain")
    try:
        return _apply_status(report)
    except IntegrityError:  # a retry raced the first delivery: that one applied it
        return Response("", status=204)


def _apply_status(report: StatusReport) -> Response:
    token = idempotency_token()
    if not report.opted_out and _advance_in_one_transaction(report, token):
        return Response("", status=204)
    sid = report.sid
    with get_db().begin() as session:
        if seen_before(session, token, "status"):
            return Response("", status=204)
        if not report.opted_out and _advance_by_sid(session, report):
            return Response("", status=204)
        # Not moved: an unknown SID (our id in ?m= may find it), a report that would move the
        # status backwards, or a carrier opt-out that must reach the contact.
        msg = session.scalar(select(Message).where(Message.provider_sid == sid).with_for_update())
        if msg is None:
            msg = _by_our_id(session, request.args.get("m"), sid)
        if msg is None:
            log.info("status callback for unknown SID %s ignored", sid)
            return Response("", status=204)
        msg.advance(report.status, error_code=report.error_code)
        if report.opted_out and msg.contact_id is not None:
            # Unsubscribed at the carrier, as a refusal at send time says: no more SMS to them.
            opt_out_by_carrier(session.get(Contact, msg.contact_id))
    return Response("", status=204)


def _advance_in_one_transaction(report: StatusReport, token: str | None) -> bool:
    """The common callback on a bare connection, no ORM session: the receipt and the status
    moved forward, committed together; False (nothing written) when the report needs more
    than that (a replay, an unknown SID, a status that would go backwards)."""
    statement = _advance_statement(report.status, report.error_code is not None)
    if statement is None:
        return False
    engine = get_db().engine
    params = {"sid": report.sid, "reported_error": report.error_code, "token": token,
              "kind": "status"}
    if engine.dialect.name == "postgresql":
        # One statement in autocommit: one round trip instead of BEGIN, two and COMMIT.
        both = _advance_with_receipt(report.status, report.error_code is not None,
                                     token is not None)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return conn.execute(both, params).first() is not None
    with engine.connect() as conn, conn.begin() as transaction:
        if token is not None and conn.execute(receipt_statement(engine.dialect.name),
                                              params).first() is None:
            transaction.rollback()  # a replay: the session path answers it
            return False
        moved = conn.execute(statement, params)
        if moved.rowcount != 1:
            transaction.rollback()
            return False
    return True


@lru_cache(maxsize=128)
def _advance_with_receipt(status: MessageStatus, with_error: bool, with_token: bool
                          ) -> Executable:
    """PostgreSQL: the status UPDATE (unless this token's receipt exists) and the receipt
    INSERT for the row it moved, in one statement returning a row only when both were done.

    A row moves only forward, so a replay racing the first delivery waits on the row's lock,
    finds the status already moved, and writes nothing; nothing returned means nothing was
    written, and the session path decides (replay, unknown SID, backwards)."""
    statement = _advance_statement(status, with_error)
    assert statement is not None
    table = cast(Table, Message.__table__)
    if not with_token:
        return statement.returning(table.c.id)
    receipts = cast(Table, WebhookReceipt.__table__)
    moved = statement.where(~exists().where(receipts.c.token == bindparam("token"))
                            ).returning(table.c.id).cte("moved")
    return (postgresql.insert(receipts)
            .from_select(["token", "kind", "received_at"],
                         select(bindparam("token", type_=String), bindparam("kind", type_=String),
                                DbNow()).select_from(moved))
            .on_conflict_do_nothing().returning(receipts.c.token))


@lru_cache(maxsize=64)
def _advance_statement(status: MessageStatus, with_error: bool) -> Update | None:
    """UPDATE moving the message with SID :sid to `status` if that ranks higher, as
    `Message.advance` would; built once per status (statement building costs more than
    running it). None for a status nothing ranks below."""
    lower = [old for old, rank in STATUS_RANK.items() if rank < STATUS_RANK[status]]
    if not lower:
        return None
    table = cast(Table, Message.__table__)
    values: dict[str, object] = {"status": status}
    if with_error:
        # Not named as the column: inside a WITH, SQLAlchemy renames such a parameter.
        values["error_code"] = bindparam("reported_error", type_=Integer)
    return (update(table).where(table.c.provider_sid == bindparam("sid"),
                                table.c.status.in_(lower)).values(values))


def _advance_by_sid(session: Session, report: StatusReport) -> bool:
    """The common case in one conditional UPDATE (no row loaded), inside a session."""
    statement = _advance_statement(report.status, report.error_code is not None)
    if statement is None:
        return False
    moved = session.execute(statement, {"sid": report.sid, "reported_error": report.error_code})
    return moved.rowcount == 1  # type: ignore[attr-defined]


def _by_our_id(session: Session, raw_id: str | None, sid: str) -> Message | None:
    # A send that crashed before storing its SID is reconciled here from the callback URL.
    our_id = row_id(raw_id)
    if our_id is None:
        return None
    msg = session.get(Message, our_id, with_for_update=True)
    if msg is None or msg.provider_sid not in (None, sid):
        return None
    msg.provider_sid = sid
    return msg


def register(app: Flask) -> None:
    """Attach the Twilio webhooks to the app."""
    app.register_blueprint(bp)
