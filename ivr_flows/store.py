"""Keeping a flow run in the database: its state, the answers written onto the case, its end.

Shared by the voice webhooks and the SMS conversation; nothing here commits or enqueues.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ivr_flows.engine import FlowState, Turn, is_urgent
from ivr_flows.fields import apply_answer
from models import Case, CaseStatus, Channel, EventKind, FlowSession, FlowStatus, Urgency, utcnow

# How long routing waits for a worker still answering the intake before the sweeper routes
# what they gave (they may have walked away). Urgent cases (injury, many unpaid) are not held:
# a text that makes a case urgent hands it to routing at once (apply_turn), and the intake
# goes on filling in the case the volunteer already sees; a call is routed when it ends.
ROUTING_HOLD = {"voice": timedelta(minutes=10), "sms": timedelta(minutes=15)}


@dataclass
class FlowOutcome:
    """What a step left to do after commit."""

    route_case_id: int | None = None
    urgent: bool = False


def state_of(row: FlowSession) -> FlowState:
    """The engine's view of a stored session."""
    return FlowState(node=row.node, language=row.language, answers=dict(row.answers or {}),
                     retries=row.retries, done=not row.active)


def save_state(row: FlowSession, state: FlowState) -> None:
    """Copy the engine's state back onto the stored session."""
    row.node = state.node or row.node
    row.language = state.language
    row.answers = dict(state.answers)  # a new dict, so the JSON column is marked changed
    row.retries = state.retries


def apply_turn(case: Case | None, row: FlowSession, turn: Turn, actor: str = "worker"
               ) -> FlowOutcome:
    """Write a step's answers onto the case and, once each, on its timeline; hold routing
    while the worker is still answering, except for an urgent case texted in: that is routed
    at once (the outcome says so, once per run) while the questions go on. A call is not: it
    ends within minutes and is routed then, or put through to a volunteer live."""
    outcome = FlowOutcome()
    if case is None:
        return outcome
    for name, value in {**turn.known, **turn.answered}.items():
        apply_answer(case, name, value)
    if turn.answered.get("urgent") or is_urgent(row.answers or {}):
        case.urgency = Urgency.URGENT
    if turn.known:
        case.log(EventKind.NOTE, f"understood from the first text: {answer_words(row, turn.known)}",
                 actor=actor, data={"flow": row.flow, "node": row.node,
                                    "answers": _jsonable(turn.known)})
    # A recording of an answer is logged where it is kept (hotline.webhooks.twilio_voice),
    # playable there.
    answered = {k: v for k, v in turn.answered.items()
                if k not in NOT_LOGGED and not k.endswith("_recording")}
    if answered:
        case.log(EventKind.NOTE, f"intake ({row.channel}) {answer_words(row, answered)}",
                 actor=actor, data={"flow": row.flow, "node": row.node,
                                    "answers": _jsonable(turn.answered)})
    if turn.unknown:
        # Written like an answer, so the console folds the worker's "不记得了" into the intake.
        case.log(EventKind.NOTE, f"intake ({row.channel}) "
                 + ", ".join(f"{name}={NOT_KNOWN}" for name in turn.unknown),
                 actor=actor, data={"flow": row.flow, "node": row.node,
                                    "unknown": list(turn.unknown)})
    if turn.fell_back:
        case.log(EventKind.NOTE, f"intake ({row.channel}): no usable answer, fallback",
                 data={"flow": row.flow, "node": row.node})
    if row.active and case.status == CaseStatus.NEW:
        urgent = case.urgency == Urgency.URGENT
        hold = timedelta() if urgent else ROUTING_HOLD.get(str(row.channel), timedelta())
        case.last_enqueued_at = utcnow() + hold  # the sweeper's fallback if routing is lost
        if urgent and row.channel == Channel.SMS and case.id is not None \
                and row.routed_at is None:
            row.routed_at = utcnow()
            case.log(EventKind.NOTE, "urgent: routed while the intake goes on",
                     data={"flow": row.flow, "node": row.node})
            outcome.route_case_id, outcome.urgent = case.id, True
    return outcome


# What the timeline says of a question the worker could not answer ("不记得了").
NOT_KNOWN = "not known"
# Bookkeeping, not something the worker said: kept in the note's data only.
NOT_LOGGED = frozenset({"redo", "people_approximate", "work_province", "work_city"})


def answer_words(row: FlowSession, answers: dict[str, Any]) -> str:
    """'category=wages, people_affected=about 12, work_place=广东深圳' for the timeline (the
    Chinese console shows each name in words; hotline.web.event_text)."""
    shown = []
    for name, value in answers.items():
        if name in NOT_LOGGED:
            continue
        if name == "people_affected" and answers.get("people_approximate"):
            value = f"about {value}"
        elif name == "work_place" and answers.get("work_province"):
            place = " ".join(p for p in (answers.get("work_province"), answers.get("work_city"))
                             if p)
            value = f"{value} ({place})" if place.replace(" ", "") != value else value
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        shown.append(f"{name}={_shown(row, value)}")
    return ", ".join(shown)


def _shown(row: FlowSession, value: object) -> object:
    # A recording's address stays out of the timeline text: staff play it through the app,
    # which audits the listen (hotline.web.casework.play_recording).
    if row.channel == Channel.VOICE and isinstance(value, str) and value.startswith("http"):
        return "(recording)"
    return value


def end_flow(row: FlowSession, case: Case | None, status: FlowStatus, note: str
             ) -> FlowOutcome:
    """Mark the run DONE or ABANDONED and say whether its case must be routed (once: an
    urgent case was routed while the run went on)."""
    was_active = row.active
    row.finish(status)
    outcome = FlowOutcome()
    if case is None or not was_active:
        return outcome
    case.log(EventKind.NOTE, note, data={"flow": row.flow, "node": row.node,
                                         "status": str(row.status)})
    if row.routed_at is not None:
        return outcome
    row.routed_at = utcnow()
    if case.status == CaseStatus.NEW:
        case.last_enqueued_at = utcnow()
        outcome.route_case_id = case.id
        outcome.urgent = case.urgency == Urgency.URGENT
    return outcome


def _jsonable(answers: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, (str, int, float, bool)) or v is None else str(v)
            for k, v in answers.items()}
