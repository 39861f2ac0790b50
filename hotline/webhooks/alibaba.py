"""Alibaba Cloud SMS pushes: delivery reports (SmsReport) and replies (SmsUp).

Alibaba pushes a JSON array to the URLs set in its console, with no signature of its own: the
URL carries ALIBABA_PUSH_SECRET (/alibaba/<secret>/report and /up), compared in constant time;
a wrong secret gets 403 and nothing is read. Each item is applied once (a webhook receipt per
item, in the item's own transaction), so a push Alibaba repeats changes nothing. Each reply is
kept unread like a Twilio text (hotline.arrivals.keep_arrived) with the office whose extend
code it came back on (dest_code), and read by a worker through the same front door, so a
worker known to two offices lands on the case of the office they answered; what the hotline
answers is texted back as an ordinary outbound message, since Alibaba cannot answer inline
(with Redis down the push reads its replies itself; SMS_READ_IN_WEBHOOK=1 always does).
Reports move the message or campaign recipient with the same transitions Twilio's callbacks
use.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.arrivals import READ_ARRIVED, keep_arrived, read_arrived_now, text_back
from hotline.infra.db import get_db
from hotline.infra.queues import INTAKE, enqueue
from hotline.intake import InboundSms, IntakeResult
from hotline.optout import offers_r, provider_words
from hotline.webhooks.receipts import seen_before
from hotline.webhooks.twilio_sms import record_sms
from models import (
    Direction,
    Message,
    Organisation,
    Recipient,
    RecipientStatus,
)
from notifications.campaigns.counts import move
from notifications.providers.alibaba.batch import report_target as batch_report_target
from notifications.providers.alibaba.push import (
    PUSH_ANSWER,
    SYNTHETIC,
    BadPush,
    Reply,
    Report,
    parse_replies,
    parse_reports,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
bp = Blueprint("alibaba", __name__, url_prefix="/alibaba")
MAX_PUSH_BYTES = 2 * 1024 * 1024


def secret_ok(given: str) -> bool:
    """True when the path secret is the configured one (never when none is configured)."""
    expected = current_app.config.get("ALIBABA_PUSH_SECRET") or ""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def answer() -> Response:
    """What Alibaba expects back from a push it may stop retrying."""
    return jsonify(PUSH_ANSWER)


def refuse(status: int, why: str) -> Response:
    """A refused push; Alibaba retries anything but HTTP 200."""
    return Response(why, status=status, mimetype="text/plain")


def _body() -> bytes | None:
    if (request.content_length or 0) > MAX_PUSH_BYTES:
        return None
    return request.get_data(cache=False)


def _take_push(secret: str, parse: Callable[[bytes], list[T]],
               apply: Callable[[T], object]) -> Response:
    """The shared shape of both pushes: the path secret, a size cap, the whole push parsed
    before anything is written, then each item applied."""
    if not secret_ok(secret):
        return refuse(403, "forbidden")
    raw = _body()
    if raw is None:
        return refuse(413, "push too large")
    try:
        items = parse(raw)
    except BadPush as exc:
        return refuse(400, str(exc))
    for item in items:
        apply(item)
    return answer()


def _report_once(report: Report) -> None:
    """Apply one delivery report; a repeated push that raced the first changes nothing."""
    with contextlib.suppress(IntegrityError):  # the first push applied it
        apply_report(report)


@bp.post("/<secret>/report")
def report_push(secret: str) -> Response:
    """SmsReport: each item settles the message or campaign recipient it reports on."""
    return _take_push(secret, parse_reports, _report_once)


@bp.post("/<secret>/up")
def up_push(secret: str) -> Response:
    """SmsUp: each reply enters the front door like a Twilio text; answers are texted back."""
    return _take_push(secret, parse_replies, receive)


def receive(reply: Reply) -> None:
    """Keep one reply unread (one commit) and queue its reading; its answer is texted back
    once it is read. A push seen before keeps nothing. With Redis down it is read here."""
    token = "alibaba-up:" + reply.key
    with get_db().begin() as session:
        office = office_by_extend_code(session, reply.dest_code)
    sms = InboundSms(sid=reply.key, from_raw=reply.phone,
                     to=current_app.config["HOTLINE_NUMBER"], body=reply.content,
                     office_id=office)
    if current_app.config.get("SMS_READ_IN_WEBHOOK"):
        read_in_push(sms, token)
        return
    message_id = keep_arrived(sms, token)
    if message_id is not None and not enqueue(READ_ARRIVED, message_id, queue=INTAKE):
        read_arrived_now(message_id)  # Alibaba cannot answer inline: texted back either way


def read_in_push(sms: InboundSms, token: str) -> IntakeResult:
    """Read one reply inside its push (SMS_READ_IN_WEBHOOK), then text back the answer."""
    with get_db().begin() as session:
        # "R" is an opt-out only as the answer to a promotional text that offered it.
        offered = offers_r(session, sms.from_raw, sms.body)
    with provider_words(offered):
        try:
            result = record_sms(sms, token)
        except IntegrityError:  # the same push, twice at once: answer from what won
            result = record_sms(sms, token, sid_first=True)
    if result.duplicate:
        # Pushed again because our answer never reached Alibaba: the answer may be what was
        # lost (a crash between the two commits), so it is queued if it is not there.
        if result.reply and result.message_id:
            text_back(result, again=True)
        return result
    if result.reply:
        text_back(result)
    return result


def office_by_extend_code(session: Session, dest_code: str) -> int | None:
    """The office whose extend code the reply came back on (SmsUp dest_code), or None when
    there is none or no office has it: the reply is then matched by number alone."""
    code = dest_code.strip()
    if not code:
        return None
    return session.scalar(select(Organisation.id).where(Organisation.sms_extend_code == code))


def apply_report(report: Report) -> None:
    """Apply one delivery report in its own transaction; a report seen before does nothing."""
    with get_db().begin() as session:
        if seen_before(session, report.key, "alibaba-report"):
            return
        if report.kind != "r" and _apply_to_message(session, report):
            return
        if report.kind != "m" and _apply_to_recipient(session, report):
            return
        log.info("Alibaba report for unknown BizId %s ignored", report.biz_id)


def _apply_to_message(session: Session, report: Report) -> bool:
    msg = session.scalar(select(Message).where(Message.provider_sid == report.biz_id)
                         .with_for_update())
    if msg is None and report.kind == "m" and report.our_id is not None:
        # A send whose answer was lost (or was adopted from a lookup): OutId names the row.
        msg = session.get(Message, report.our_id, with_for_update=True)
        # (The send's own answer may have stored the BizId while we waited for the row.)
        if msg is None or msg.direction != Direction.OUTBOUND or not (
                msg.provider_sid in (None, report.biz_id)
                or msg.provider_sid.startswith(SYNTHETIC)):
            return False
        msg.provider_sid = report.biz_id
    if msg is None:
        return False
    msg.advance(report.status, error_message=report.error_message)
    return True


def _apply_to_recipient(session: Session, report: Report) -> bool:
    where: ColumnElement[bool]
    sid = report.biz_id
    if report.kind == "c" and report.our_id is not None:  # SendBatchSms: one BizId per call
        where, sid = batch_report_target(report)
    elif report.kind == "r" and report.our_id is not None:
        # Matching the BizId, or a row whose BizId was never stored, guards against an OutId
        # pointing at somebody else's row.
        where = (Recipient.id == report.our_id) & or_(
            Recipient.provider_sid.is_(None), Recipient.provider_sid == report.biz_id,
            Recipient.provider_sid.startswith(SYNTHETIC))
    else:
        where = Recipient.provider_sid == report.biz_id
    where = where & (Recipient.status != RecipientStatus.PENDING)  # never sent: no report
    values: dict[str, object] = {"provider_sid": sid}
    if report.error_message:
        values["error_message"] = report.error_message
    if move(session, report.recipient_status, where, **values):
        return True
    # Already final (a report after reconciliation settled it): known, nothing to change.
    return session.scalar(select(Recipient.id).where(
        Recipient.provider_sid == sid)) is not None


def register(app: Flask) -> None:
    """Attach the Alibaba push endpoints to the app."""
    app.register_blueprint(bp)
