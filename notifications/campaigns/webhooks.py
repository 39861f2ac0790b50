"""Delivery reports for campaign messages: one signed POST, one row locked and moved by
primary key, and its campaign's counter (notifications.campaigns.counts).

Each message can bring three callbacks (queued/sent/delivered), so 400,000 messages mean over a
million of these: no ORM load, no lock wait beyond the single row and its campaign's counter
(taken just before commit), never a step backwards, never counted twice.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, request
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError

from hotline.consent import CARRIER_OPT_OUT, withdraw_many
from hotline.infra.db import get_db
from hotline.webhooks.receipts import idempotency_token, seen_before
from models import Recipient, RecipientStatus
from notifications.campaigns.counts import move
from notifications.providers.twilio.callbacks import status_report
from notifications.providers.twilio.signature import require_twilio_signature

log = logging.getLogger(__name__)
bp = Blueprint("campaign_webhooks", __name__, url_prefix="/twilio/status")


@bp.post("/campaign")
@require_twilio_signature
def campaign_status() -> Response:
    """Status callback for a campaign recipient (?r=<recipient id>); unknown SIDs are ignored."""
    report = status_report(request.form)
    new = report.recipient_status if report is not None else None
    raw_id = request.args.get("r", "")
    if report is None or new is None:
        return Response("", status=204)
    sid = report.sid
    values: dict[str, object] = {"provider_sid": sid}
    if report.error_code is not None:
        values["error_code"] = report.error_code
    # Matching the SID (or a row whose SID was never stored, found by our id) guards
    # against a forged or stale r= pointing at somebody else's row.
    where: ColumnElement[bool]
    if raw_id.isdigit():
        where = (Recipient.id == int(raw_id)) & or_(Recipient.provider_sid.is_(None),
                                                     Recipient.provider_sid == sid)
    else:
        where = Recipient.provider_sid == sid
    where = where & (Recipient.status != RecipientStatus.PENDING)  # never sent: no report
    try:
        with get_db().begin() as session:
            if seen_before(session, idempotency_token(), "campaign"):
                return Response("", status=204)
            moved = move(session, new, where, **values)
            if report.opted_out:
                # The carrier says they unsubscribed (as a refusal at send time does): opt out.
                withdraw_many(session, select(Recipient.contact_id).where(
                    Recipient.provider_sid == sid), CARRIER_OPT_OUT, "campaign status callback")
    except IntegrityError:  # a retry raced the first delivery of this token: it applied it
        return Response("", status=204)
    if not moved:
        log.debug("campaign status %s for %s (r=%s) changed nothing", new, sid, raw_id)
    return Response("", status=204)


def register(app: Flask) -> None:
    """Attach the campaign status callback to the app."""
    app.register_blueprint(bp)
