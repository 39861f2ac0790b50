"""The intake flow as an SMS conversation: one state per worker, expiring after 24 hours.

A first text opens a case and asks the first question (with the case number); each reply
answers the waiting question; a thread left quiet for 24 hours ends (its case is routed with
what it has), and the next text carries on at the question it was waiting on, answers kept.
Once the flow is done, later texts are plain follow-ups.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hotline.outbox import route_finished_flow
from hotline.replies import say
from ivr_flows.engine import (
    Context,
    FlowState,
    Reply,
    Turn,
    advance,
    start,
)
from ivr_flows.fields import known_answers
from ivr_flows.listen import heard_more
from ivr_flows.loader import default_flow
from ivr_flows.model import Flow
from ivr_flows.sms import render_sms
from ivr_flows.store import FlowOutcome, apply_turn, end_flow, save_state, state_of
from ivr_flows.understand import read_message
from models import (
    Case,
    CaseStatus,
    Channel,
    Contact,
    EventKind,
    FlowSession,
    FlowStatus,
    utcnow,
)

SESSION_TTL = timedelta(hours=24)
# A case still waiting for a volunteer may restart its intake; once someone has it, texts
# are conversation with that volunteer and must never be taken as menu answers.
RESTARTABLE = frozenset({CaseStatus.NEW, CaseStatus.OFFERED, CaseStatus.ESCALATED})


class Unread(enum.Enum):
    """A value not read yet in this request (None is an answer: no session)."""

    UNREAD = "unread"


UNREAD = Unread.UNREAD


@dataclass
class ConversationReply:
    """What the conversation answers (None: not in a flow, a plain follow-up), and what the
    text did in the intake: answered its waiting question, or confirmed it all (`confirmed`:
    the confirmation's node and the answers it read back)."""

    reply: str | None
    answered: bool = False
    confirmed: tuple[str, dict[str, Any]] | None = None


def active_session(session: Session, contact: Contact) -> FlowSession | None:
    """The worker's SMS flow session that is still ACTIVE (expired or not), locked."""
    return session.scalar(_ACTIVE_SMS_SESSION, {"contact_id": contact.id})


# Built once: every text on a case runs it.
_ACTIVE_SMS_SESSION = (select(FlowSession).where(
    FlowSession.contact_id == bindparam("contact_id"), FlowSession.channel == Channel.SMS,
    FlowSession.status == FlowStatus.ACTIVE).order_by(FlowSession.id.desc()).limit(1)
    .with_for_update())


def intake_done(session: Session, case: Case) -> bool:
    """True once some flow on any channel reached its end for this case."""
    return session.scalar(select(FlowSession.id).where(
        FlowSession.case_id == case.id, FlowSession.status == FlowStatus.DONE).limit(1)) is not None


def converse(session: Session, contact: Contact, case: Case, text: str, language: str, *,
             opened: bool, has_media: bool = False, switch_to: str | None = None,
             known: dict[str, Any] | None = None,
             running: FlowSession | None | Unread = UNREAD) -> ConversationReply:
    """Feed one worker text to their flow on `case` and return the reply to send.

    `known`: what this text itself already says (ivr_flows.understand's Reading.answers);
    a flow starting with it does not ask those questions (the confirmation reads them back).
    `running`: the worker's active SMS session when the caller has read it already.
    """
    result = ConversationReply(reply=None)
    row = active_session(session, contact) if running is UNREAD else running
    quiet: FlowSession | None = None  # the same case's thread that went quiet: resume it
    if row is not None and (row.expires_at < utcnow() or row.case_id != case.id):
        old_case = session.get(Case, row.case_id) if row.case_id else None
        route_finished_flow(session, end_flow(row, old_case, FlowStatus.ABANDONED,
                                              "SMS intake ended unfinished (no reply for 24 h)"))
        quiet = row if row.case_id == case.id else None
        row = None
    if row is None:
        if not opened and (case.status not in RESTARTABLE or intake_done(session, case)):
            return result
        if quiet is not None and resumable(quiet):
            result.reply = resume(session, quiet, case)
            return result
        key = "flow_welcome" if opened else "flow_start_again"
        result.reply = begin(session, contact, case, language,
                             say(key, language, number=case.number), known)
        return result
    asked = row.node
    result.reply, outcome, result.answered = answer(session, row, case, text, has_media,
                                                    switch_to)
    route_finished_flow(session, outcome)
    if row.status == FlowStatus.DONE:
        result.confirmed = (asked, dict(row.answers or {}))
    return result


def sms_context(case: Case) -> Context:
    """The engine's context for SMS (live transfer and office hours are voice-only)."""
    return Context(channel="sms", now=utcnow(), home_known=bool(case.contact.home_province))


def begin(session: Session, contact: Contact, case: Case, language: str, prefix: str,
          known: dict[str, Any] | None = None) -> str:
    """Start the flow for this case and return its first question (skipping those the first
    text answered already)."""
    flow = default_flow()
    state, turn = start(flow, sms_context(case), language, known_answers(known))
    # Written with the caller's next flush (the worker's message with its reply, one go).
    row = FlowSession(channel=Channel.SMS, flow=flow.name, contact_id=contact.id,
                      case_id=case.id, node=state.node, language=state.language,
                      status=FlowStatus.ACTIVE, expires_at=utcnow() + SESSION_TTL)
    session.add(row)
    save_state(row, state)
    route_finished_flow(session, apply_turn(case, row, turn))  # urgent: routed at once
    return render_sms(flow, state, turn, case.number, prefix)


def resumable(row: FlowSession) -> bool:
    """True when a quiet thread stopped at a question the flow still asks on SMS."""
    node = default_flow().nodes.get(row.node)
    return node is not None and node.waits and node.applies_to("sms")


def resume(session: Session, quiet: FlowSession, case: Case) -> str:
    """Carry on a quiet thread: a new session at the question it was waiting on, with the
    answers given so far (the text that woke it is not taken as the answer)."""
    flow = default_flow()
    row = FlowSession(channel=Channel.SMS, flow=flow.name, contact_id=quiet.contact_id,
                      case_id=case.id, node=quiet.node, language=quiet.language,
                      answers=dict(quiet.answers or {}), expires_at=utcnow() + SESSION_TTL)
    session.add(row)
    session.flush()
    state = state_of(row)
    case.log(EventKind.NOTE, f"SMS intake resumed at '{row.node}'",
             data={"flow": row.flow, "node": row.node})
    return render_sms(flow, state, waiting_turn(flow, state), case.number,
                      say("flow_restart", state.language, number=case.number))


def answer(session: Session, row: FlowSession, case: Case, text: str, has_media: bool,
           switch_to: str | None) -> tuple[str, FlowOutcome | None, bool]:
    """Apply one reply to the waiting question; return the next text, any routing to do, and
    whether the reply answered the question (not asked again)."""
    flow = default_flow()
    state = state_of(row)
    row.expires_at = utcnow() + SESSION_TTL
    prefix = ""
    if switch_to in flow.languages:
        state.language = case.language = case.contact.language = switch_to
        prefix = say("flow_language", switch_to)
    if switch_to or not text.strip():
        # A language switch, a picture or an empty text: ask the same question again,
        # without counting it as a failed answer.
        if has_media and not switch_to:
            prefix = say("flow_media", state.language)
        return ask_again(row, state, case, prefix), None, False
    before = replace(state, answers=dict(state.answers))
    polite = not read_message(text).opens_case
    if polite and flow.node(state.node).type in ("text", "record"):
        # A free-text question takes any words, so "谢谢" would become the employer or the
        # place: politeness is never an answer, ask again without counting a failed try.
        return ask_again(row, before, case), None, False
    context = sms_context(case)
    turn = advance(flow, state, Reply(text=text), context)
    if (not turn.understood or turn.fell_back) and polite:
        # "谢谢" or "👍" mid-intake is politeness, not a wrong answer: ask the same question
        # again without counting it as a failed try (hotline.intake's front-door rule).
        return ask_again(row, before, case), None, False
    # What the reply says beyond its question ("已经离职了" asked the amount) is kept.
    state, turn = heard_more(flow, before, state, turn, text, context)
    if not turn.understood and case.volunteer_reads:
        # "腿很疼，能快点吗" to a volunteer who already has the case: those words are passed on
        # to them (hotline.routing), not a wrong answer; the same question waits, uncounted.
        return ask_again(row, before, case, say("flow_passed_on", before.language)), None, False
    save_state(row, state)
    route_finished_flow(session, apply_turn(case, row, turn))  # urgent: routed at once
    outcome = end_flow(row, case, FlowStatus.DONE, "intake finished by SMS") if state.done else None
    answered = turn.understood and not turn.fell_back
    return render_sms(flow, state, turn, case.number), outcome, answered


def ask_again(row: FlowSession, state: FlowState, case: Case, prefix: str = "") -> str:
    """Keep `state` (no failed try counted) and ask its waiting question again after `prefix`."""
    save_state(row, state)
    flow = default_flow()
    return render_sms(flow, state, waiting_turn(flow, state), case.number, prefix)


def waiting_turn(flow: Flow, state: FlowState) -> Turn:
    """A turn that only re-asks the current question."""
    return Turn(waiting=flow.node(state.node))
