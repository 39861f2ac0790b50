"""Settling sends whose outcome was lost: ask the provider what it has, adopt it or send again.

A send that timed out (UNKNOWN) may or may not have reached the provider. Its status callback
settles it when it comes; when none comes, the sweeper asks the provider for recent messages to
the same number and adopts one with the same body that no other row owns. Only when the
provider has nothing is the message sent again, so nobody gets the same text twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.infra.db import get_db
from hotline.infra.queues import SEND, enqueue
from models import Case, Direction, EventKind, Message, MessageStatus, Purpose
from notifications.providers import MessageLookup, ProviderError, ProviderMessage, get_provider
from notifications.send import send_message

log = logging.getLogger(__name__)
BATCH = 100
OUTCOME_HORIZON = timedelta(days=3)  # after this, what we know of a send stands


def find_unclaimed(provider: MessageLookup, to: str, sender: str, body: str | None,
                   claimed: Callable[[Iterable[str]], set[str]]) -> ProviderMessage | None:
    """The provider's message to `to` with this body whose SID no other row owns, if any."""
    found = provider.find_sms(to, from_=sender)
    taken = claimed([m.sid for m in found]) if found else set()
    matches = [m for m in found if m.body == (body or "") and m.sid not in taken]
    if len(matches) > 1:
        log.error("%d identical unclaimed sends to %s found at the provider", len(matches), to)
    return matches[0] if matches else None


def reconcile_messages(now: datetime) -> dict[str, int]:
    """Settle non-campaign UNKNOWN messages older than MESSAGE_RECONCILE_AFTER_SECONDS."""
    after = timedelta(seconds=current_app.config["MESSAGE_RECONCILE_AFTER_SECONDS"])
    counts = {"adopted": 0, "resent": 0, "dropped": 0, "unresolved": 0, "settled_meanwhile": 0}
    provider = get_provider()
    with get_db().begin() as session:
        ids = list(session.scalars(select(Message.id).where(
            Message.direction == Direction.OUTBOUND, Message.purpose != Purpose.CAMPAIGN,
            Message.status == MessageStatus.UNKNOWN, Message.updated_at < now - after)
            .order_by(Message.id).limit(BATCH)))
    resend: list[int] = []
    # One short transaction per message, none held across a provider call: on SQLite a
    # transaction is the database's write lock, and the webhooks must not wait on Twilio.
    for message_id in ids:
        outcome = _settle(provider, message_id, now)
        counts[outcome] += 1
        if outcome == "resent":
            resend.append(message_id)
        if outcome == "unresolved":
            break  # the provider cannot answer now; the next sweep goes on
    if resend:
        for message_id in resend:
            enqueue(send_message, message_id, queue=SEND)
    if any(counts.values()):
        log.info("messages reconciled: %s", counts)
    return counts


def _settle(provider: object, message_id: int, now: datetime) -> str:
    with get_db().begin() as session:
        msg = session.get(Message, message_id)
        if msg is None or msg.status != MessageStatus.UNKNOWN:
            return "settled_meanwhile"
        to, sender, body = msg.to_number, msg.from_number, msg.body
    found: ProviderMessage | None = None
    failed = not isinstance(provider, MessageLookup)
    if isinstance(provider, MessageLookup):
        try:
            found = find_unclaimed(provider, to, sender, body,
                                   lambda sids: _sids_owned_by_others(message_id, sids))
        except ProviderError as exc:
            log.warning("message %s: provider lookup failed: %s", message_id, exc)
            failed = True
    with get_db().begin() as session:
        msg = session.get(Message, message_id, with_for_update=True)
        if msg is None or msg.status != MessageStatus.UNKNOWN:
            return "settled_meanwhile"  # a status callback came while we asked
        if failed:
            msg.updated_at = now  # ask again after another window, not every sweep
            return "unresolved"
        return _apply(session, msg, found)


def _apply(session: Session, msg: Message, found: ProviderMessage | None) -> str:
    if found is not None:
        msg.provider_sid = found.sid
        msg.segments = found.segments
        msg.advance(found.status, error_code=found.error_code,
                    error_message="reconciled from the provider")
        _log(session, msg, f"send confirmed by the provider ({found.sid}, {found.status})")
        return "adopted"
    if msg.purpose == Purpose.OFFER:
        # An offer's clock has run on (the offer timeout re-routes the case); a late copy
        # would offer a case that may already be someone else's.
        msg.advance(MessageStatus.FAILED, error_message="never reached the provider")
        _log(session, msg, "offer SMS never reached the provider; not sent late")
        return "dropped"
    msg.resend()
    _log(session, msg, "the provider never received this message; sending it again")
    return "resent"


def refresh_messages(now: datetime) -> int:
    """Fetch the final status of non-campaign sends still ACCEPTED long after sending.

    Twilio does not retry status callbacks: after an outage of our webhook an offer or relay
    would show "accepted" for good. Only ACCEPTED is asked about ("sent" is final where
    carriers return no receipt), each row once per OUTCOME_REFRESH_SECONDS, for 3 days.
    """
    provider = get_provider()
    if not isinstance(provider, MessageLookup):
        return 0
    quiet_since = now - timedelta(seconds=current_app.config["OUTCOME_REFRESH_SECONDS"])
    with get_db().begin() as session:
        rows = session.execute(select(Message.id, Message.provider_sid).where(
            Message.direction == Direction.OUTBOUND, Message.purpose != Purpose.CAMPAIGN,
            Message.status == MessageStatus.ACCEPTED, Message.provider_sid.is_not(None),
            Message.updated_at < quiet_since, Message.created_at > now - OUTCOME_HORIZON)
            .order_by(Message.id).limit(BATCH)).all()
    settled = 0
    for message_id, sid in rows:  # no transaction is held across a provider call
        try:
            found = provider.fetch_sms(str(sid))
        except ProviderError as exc:
            log.warning("refresh message %s: provider lookup failed: %s", message_id, exc)
            break
        with get_db().begin() as session:
            msg = session.get(Message, message_id, with_for_update=True)
            if msg is None or msg.status != MessageStatus.ACCEPTED:
                continue  # a callback came meanwhile
            if found is not None and msg.advance(found.status, error_code=found.error_code):
                settled += 1
            else:  # still on its way there: ask again after another quiet spell
                msg.updated_at = now
    return settled


def _sids_owned_by_others(message_id: int, sids: Iterable[str]) -> set[str]:
    with get_db().begin() as session:
        return {sid for sid in session.scalars(select(Message.provider_sid).where(
            Message.provider_sid.in_(list(sids)), Message.id != message_id)) if sid}


def _log(session: Session, msg: Message, note: str) -> None:
    if msg.case_id is None:
        return
    case = session.get(Case, msg.case_id)
    if case is not None:
        case.log(EventKind.MESSAGE_OUT, note, message_id=msg.id,
                 data={"purpose": str(msg.purpose), "status": str(msg.status)})
