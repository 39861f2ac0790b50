"""The periodic sweeper: whatever the queue lost, the database still knows, and re-enqueues.

Every grace period and expiry here is measured with the database's clock (hotline.infra.clock):
the rows were written by other hosts, whose own clocks may disagree with this one's."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from flask import current_app
from sqlalchemy import func, select

from hotline.arrivals import READ_ARRIVED, claim_unread
from hotline.deadline_reminders import remind_legal_deadlines
from hotline.deadlines import check_deadlines
from hotline.infra.clock import database_now, db_now
from hotline.infra.db import get_db
from hotline.infra.queues import INTAKE, SEND, URGENT, enqueue
from hotline.offers import expire_due_offers
from hotline.routing import route_case
from models import (
    Case,
    CaseStatus,
    Direction,
    Message,
    MessageStatus,
    Purpose,
    Urgency,
)
from notifications.reconcile import reconcile_messages, refresh_messages
from notifications.send import send_message

log = logging.getLogger(__name__)
BATCH = 500
# A send stuck in SENDING this long crashed mid-call: mark it UNKNOWN, never resend blindly.
STUCK_SENDING = timedelta(minutes=10)


def expire_offers() -> list[int]:
    """Expire unanswered offers; their cases are re-routed after commit (hotline.routing)."""
    return expire_due_offers(database_now())


def claim_unrouted_cases() -> list[tuple[int, bool]]:
    """NEW cases nobody enqueued within the grace period, as (id, urgent), marked enqueued.

    A case in staff triage is left out: routing already found it has no known problem
    (hotline.cases.send_to_triage), and sorting it routes it again."""
    with get_db().begin() as session:
        now = db_now(session)
        grace = now - timedelta(seconds=current_app.config["SWEEP_GRACE_SECONDS"])
        cases = session.scalars(select(Case).where(
            Case.status == CaseStatus.NEW,
            Case.collective_case_id.is_(None),  # worked with its collective case
            Case.triage_at.is_(None),  # waits for staff to sort it, never for volunteers
            func.coalesce(Case.last_enqueued_at, Case.created_at) < grace)
            .order_by(Case.id).limit(BATCH).with_for_update(skip_locked=True)).all()
        for case in cases:
            case.last_enqueued_at = now
        return [(c.id, c.urgency == Urgency.URGENT) for c in cases]


def claim_unsent_messages() -> list[int]:
    """Non-campaign messages QUEUED past the grace period; stale SENDING becomes UNKNOWN."""
    with get_db().begin() as session:
        now = db_now(session)
        grace = now - timedelta(seconds=current_app.config["SWEEP_GRACE_SECONDS"])
        out = (Message.direction == Direction.OUTBOUND) & (Message.purpose != Purpose.CAMPAIGN)
        stuck = session.scalars(select(Message).where(
            out, Message.status == MessageStatus.SENDING, Message.updated_at < now - STUCK_SENDING)
            .limit(BATCH).with_for_update(skip_locked=True)).all()
        for msg in stuck:
            msg.advance(MessageStatus.UNKNOWN, error_message="send interrupted; reconcile")
        queued = session.scalars(select(Message).where(
            out, Message.status == MessageStatus.QUEUED, Message.updated_at < grace)
            .order_by(Message.id).limit(BATCH).with_for_update(skip_locked=True)).all()
        for msg in queued:
            msg.updated_at = now  # pushes it out of the next sweep's window
        return [m.id for m in queued]


def sweep_now() -> dict[str, int]:
    """One sweep: read texts whose reading was never queued, expire offers, re-enqueue
    unrouted cases and unsent messages, settle lost send outcomes with the provider, remind
    and escalate idle cases."""
    unread = claim_unread()
    for message_id in unread:
        enqueue(READ_ARRIVED, message_id, queue=INTAKE)
    reroute = expire_offers()
    cases = claim_unrouted_cases()
    messages = claim_unsent_messages()
    for case_id, urgent in cases:
        enqueue(route_case, case_id, queue=URGENT if urgent else INTAKE)
    for message_id in messages:
        enqueue(send_message, message_id, queue=SEND)
    counts = {"texts_unread": len(unread), "offers_expired": len(reroute), "cases": len(cases),
              "messages": len(messages)}
    counts.update({f"reconcile_{k}": v for k, v in reconcile_messages(database_now()).items()})
    counts["outcomes_refreshed"] = refresh_messages(database_now())
    counts.update(check_deadlines())  # routing: reminders and escalation of idle cases
    counts.update(remind_legal_deadlines())  # limitation periods: reminders before they end
    if any(counts.values()):
        log.info("sweep: %s", counts)
    return counts


@shared_task(name="hotline.sweeper.sweep")
def sweep() -> dict[str, int]:
    """Celery beat task wrapper around sweep_now."""
    return sweep_now()
