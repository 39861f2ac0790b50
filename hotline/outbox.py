"""The outbox: work that must happen only once the transaction asking for it has committed.

Every path schedules its after-commit work here: an outbound SMS is a QUEUED message row plus
its send task; routing a case is the route task. Tasks are published by name, so the modules
that ask for routing (cases, offices, collective disputes, flows) need not import the router,
and nothing is published if the transaction rolls back. A publish lost to a dead Redis is found
again by the sweeper, which reads QUEUED messages and NEW cases from the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from celery import Task
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from hotline.infra.queues import INTAKE, SEND, URGENT, enqueue
from ivr_flows.store import FlowOutcome
from models import Case, Direction, Message, MessageStatus, Purpose, Urgency
from notifications.segments import count_segments

# The tasks other modules ask for by name (their modules register them with Celery).
ROUTE_CASE = "hotline.routing.route_case"
EXPIRE_CASE_OFFERS = "hotline.routing.expire_case_offers"
SEND_MESSAGE = "notifications.send.send_message"

PENDING = "outbox"  # session.info key: what this transaction publishes when it commits
# session.info key: a list where the route task collects the offer texts it sends itself
# once it has committed (instead of a send task each); absent, every text gets its task.
SEND_INLINE = "send_inline"


def after_commit(session: Session, task: Task | str, *args: Any, queue: str | None = None,
                 countdown: float | None = None) -> None:
    """Publish `task` (a task or its name) once this session commits; never if it rolls back."""
    pending: list[tuple[Task | str, tuple[Any, ...], str | None, float | None]] = (
        session.info.setdefault(PENDING, []))
    if not session.info.get("outbox_hooked"):
        session.info["outbox_hooked"] = True
        event.listen(session, "after_commit", _publish)
        event.listen(session, "after_rollback", _drop)
    pending.append((task, args, queue, countdown))


def pending_tasks(session: Session) -> list[tuple[str, tuple[Any, ...]]]:
    """(task name, args) of what this session will publish when it commits."""
    return [(task if isinstance(task, str) else task.name, args)
            for task, args, _queue, _countdown in session.info.get(PENDING, [])]


def _publish(session: Session) -> None:
    for task, args, queue, countdown in session.info.pop(PENDING, []):
        # A message added without a flush is named by the id its INSERT got at commit.
        ids = tuple(arg.id if isinstance(arg, Message) else arg for arg in args)
        enqueue(task, *ids, queue=queue, countdown=countdown)


def _drop(session: Session) -> None:
    session.info.pop(PENDING, None)


def route_queue(case: Case) -> str:
    """Urgent cases (injury, collective) go through the priority queue."""
    return URGENT if case.urgency == Urgency.URGENT else INTAKE


def route_after_commit(session: Session, case: Case) -> None:
    """Offer the case to volunteers once this transaction commits (urgent ones first)."""
    after_commit(session, ROUTE_CASE, case.id, queue=route_queue(case))


def route_finished_flow(session: Session, outcome: FlowOutcome | None) -> None:
    """Route the case a flow step handed over: its intake ended, or it became urgent."""
    if outcome is not None and outcome.route_case_id is not None:
        after_commit(session, ROUTE_CASE, outcome.route_case_id,
                     queue=URGENT if outcome.urgent else INTAKE)


def queue_sms(session: Session, *, to: str, body: str, purpose: Purpose, case: Case | None = None,
              volunteer_id: int | None = None, contact_id: int | None = None,
              flush: bool = True) -> Message:
    """Add an outbound message row in QUEUED state; `send_after_commit` delivers it.

    `flush=False` leaves its INSERT to the caller's next flush (its id is unknown until then),
    so several texts are written in one statement."""
    seg = count_segments(body)
    # media_urls given, not left to its default: rows naming the same columns are written in
    # one INSERT (a forward goes in with the worker's text, which names its media).
    msg = Message(direction=Direction.OUTBOUND, purpose=purpose, status=MessageStatus.QUEUED,
                  from_number=current_app.config["HOTLINE_NUMBER"], to_number=to, body=body,
                  media_urls=[], segments=seg.segments, encoding=seg.encoding,
                  case_id=case.id if case else None, volunteer_id=volunteer_id,
                  contact_id=contact_id)
    session.add(msg)
    if flush:
        session.flush()
    return msg


def send_after_commit(session: Session, message_ids: Sequence[int | Message],
                      urgent: bool = False, queue: str = SEND) -> None:
    """Deliver these queued messages (ids, or rows not flushed yet) once the transaction that
    wrote them commits."""
    for mid in message_ids:
        after_commit(session, SEND_MESSAGE, mid, queue=URGENT if urgent else queue)
