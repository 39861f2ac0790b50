"""Routing: where a new case goes (staff triage, a collective dispute, or offers to volunteers),
and where a worker's text on an open case goes (to its volunteer; into a collective dispute).

The route task runs after the intake's commit (`hotline.outbox`); offers are `hotline.offers`,
accepting one is `hotline.assignment`.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from sqlalchemy.orm import Session

from hotline.bridge import forward_worker_message
from hotline.cases import needs_triage, send_to_triage
from hotline.collective import check_collective, worked_with_lead
from hotline.infra.clock import db_now
from hotline.infra.db import get_db
from hotline.infra.queues import INTAKE, SEND, URGENT, enqueue
from hotline.offers import offer_case
from hotline.organisations import queue_facts, settle_organisation
from hotline.outbox import ROUTE_CASE, SEND_INLINE, SEND_MESSAGE
from models import Case, CaseStatus, Message, Urgency
from notifications.send import deliver

log = logging.getLogger(__name__)


@shared_task(name=ROUTE_CASE)
def route_case(case_id: int) -> str:
    """Celery task: offer a NEW case to volunteers; does nothing for a case already routed.

    The first offer's text is sent by this task once its transaction has committed (one hop
    from the case to the volunteer's phone), through the send task's own claim: the row is
    QUEUED until claimed, so a crash before the send leaves it to the sweeper, and a send
    that fails here is handed to the send task."""
    inline: list[int] = []
    with get_db().begin() as session:
        session.info[SEND_INLINE] = inline
        outcome = _route(session, case_id)
        urgent = bool(inline) and _is_urgent(session, case_id)
    for message_id in inline:
        _send_now(message_id, urgent)
    return outcome


def _is_urgent(session: Session, case_id: int) -> bool:
    case = session.get(Case, case_id)  # in the session already: no statement
    return case is not None and case.urgency == Urgency.URGENT


def _route(session: Session, case_id: int) -> str:
    case = session.get(Case, case_id, with_for_update=True)
    if case is None or case.status != CaseStatus.NEW:
        return "skipped"
    if worked_with_lead(session, case):  # another office's linked cases are routed here
        return "part of a collective case"
    # One reading of the database's clock for the whole step: the offer's expiry is set by
    # it, as the sweeper comparing it with the database's now may run on a host whose own
    # clock disagrees with this one's.
    now = db_now(session)
    facts = queue_facts(session, case)
    settle_organisation(session, case, facts)
    lead = check_collective(session, case, now)  # held: worked_with_lead finds it loaded
    if lead is not None and worked_with_lead(session, case):
        return "joined a collective case"
    if needs_triage(case):  # no known problem: staff sort it; no volunteer is asked
        send_to_triage(session, case)
        return "waiting for staff triage"
    return f"queued {len(offer_case(session, case, now, last=facts[1]))} message(s)"


def _send_now(message_id: int, urgent: bool) -> None:
    """Send one committed offer text here, as the send task would; on a provider's "busy"
    or any failure the send task takes over (its claim makes a second attempt harmless)."""
    try:
        retry_in = deliver(message_id)
    except Exception:  # the database or the network: the send task and sweeper recover
        log.exception("offer text %s: sending it from the route task failed", message_id)
        enqueue(SEND_MESSAGE, message_id, queue=URGENT if urgent else INTAKE)
        return
    if retry_in is not None:
        enqueue(SEND_MESSAGE, message_id, queue=SEND, countdown=retry_in)


def after_worker_message(session: Session, case: Case, message: Message, *,
                         answered: bool = False,
                         confirmed: tuple[str, dict[str, Any]] | None = None) -> None:
    """Intake hook: tell the case's volunteer what the worker wrote; detect collective disputes.

    An answer to an intake question (`answered`) is not forwarded by itself: the volunteer
    who took an urgent case while the questions went on gets them all, as the worker
    confirmed them (`confirmed`: the confirmation's node and the answers), in one text."""
    if confirmed is not None:
        forward_worker_message(session, case, message, confirmed=confirmed)
    elif not answered:
        forward_worker_message(session, case, message)
    check_collective(session, case, db_now(session))
