"""Voice webhooks: the intake flow as a phone menu. Signature first, one transaction per step.

POST /twilio/voice                   a call comes in: contact, call, case, session; step 0
POST /twilio/voice/step?n=K          the caller's answer to step K (or silence=1)
POST /twilio/voice/status            call status callback: a hang-up ends the flow, routes
POST /twilio/voice/recording?node=X  recording status callback: the voicemail URL

Every step is idempotent on (CallSid, step): the TwiML answered for step K is stored, so a
Twilio retry of step K gets the same answer and never advances the flow twice or skips a step.
Every webhook is also idempotent on Twilio's I-Twilio-Idempotency-Token: a delivery seen before
writes nothing and is answered as the first time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import Blueprint, Flask, Response, current_app, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from hotline.assignment import assign
from hotline.bridge import voicemail_to_volunteer
from hotline.cases import open_case, open_case_for
from hotline.conversation import intake_done
from hotline.infra.db import get_db
from hotline.intake import BadWebhook, find_or_create_contact
from hotline.matching import may_keep, rank_candidates, same_office
from hotline.organisations import settle_organisation
from hotline.outbox import route_finished_flow
from hotline.phones import InvalidPhone, normalize_phone
from hotline.webhooks.twiml import first_delivery, public_path
from ivr_flows.engine import Context, FlowState, Reply, Turn, advance, start
from ivr_flows.listen import heard_more
from ivr_flows.loader import default_flow
from ivr_flows.store import FlowOutcome, apply_turn, end_flow, save_state, state_of
from ivr_flows.voice import VoiceLinks, render_voice
from models import (
    Call,
    CallStatus,
    Case,
    CaseEvent,
    CaseStatus,
    Channel,
    Direction,
    EventKind,
    FlowSession,
    FlowStatus,
    FlowStep,
    Volunteer,
    utcnow,
)
from notifications.providers.twilio.signature import require_twilio_signature

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__, url_prefix="/twilio/voice")
ENDED = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
SESSION_TTL = timedelta(hours=4)  # longer than any call


@dataclass(frozen=True)
class InboundCall:
    """The fields of Twilio's voice webhook that the flow uses."""

    sid: str
    from_raw: str
    to: str
    status: str

    @classmethod
    def from_form(cls) -> InboundCall:
        """Read the webhook form; raise BadWebhook when CallSid is missing."""
        sid = (request.form.get("CallSid") or "").strip()
        if not sid or len(sid) > 64:
            raise BadWebhook("CallSid missing or malformed")
        return cls(sid=sid, from_raw=request.form.get("From", ""),
                   to=request.form.get("To", ""),
                   status=(request.form.get("CallStatus") or "ringing").lower())


def now() -> datetime:
    """The current time; tests may set FLOW_CLOCK to a callable for office-hours checks."""
    clock: Callable[[], datetime] = current_app.config.get("FLOW_CLOCK") or utcnow
    return clock()


def available_volunteer(session: Session, language: str, case: Case) -> Volunteer | None:
    """Who a live transfer rings: the case's own volunteer while they may still take it, else
    the volunteer routing would offer the case to first (`matching.rank_candidates`: same
    organisation, speaks the language, on duty and in shift, below capacity)."""
    # The work place answered during this call decides the office whose volunteers may
    # take it, exactly as routing will decide it after the call.
    settle_organisation(session, case)
    moment = now()
    own = session.get(Volunteer, case.assigned_volunteer_id) if (
        case.assigned_volunteer_id) else None
    if own is not None and may_keep(session, own, case, moment):
        return own
    ranked = rank_candidates(session, case, moment, language=language)
    return session.get(Volunteer, ranked[0].volunteer_id) if ranked else None


def context(session: Session, case: Case, language: str, *, returning: bool) -> Context:
    """The engine's context for a voice step of a call about `case`."""
    return Context(channel="voice", now=now(), returning=returning,
                   office_hours=current_app.config.get("OFFICE_HOURS"),
                   home_known=bool(case.contact.home_province),
                   volunteer_available=lambda: available_volunteer(
                       session, language, case) is not None)


def links(n: int, node: str, dial_to: str | None = None) -> VoiceLinks:
    """Step URLs for step n, root-relative (Twilio resolves them against the URL it called)
    under PUBLIC_URL's path prefix, so a hotline served at https://host/hotline keeps the call."""
    return VoiceLinks(step_url=public_path(f"/twilio/voice/step?n={n}"),
                      silence_url=public_path(f"/twilio/voice/step?n={n}&silence=1"),
                      recording_callback=public_path(f"/twilio/voice/recording?node={node}"),
                      caller_id=current_app.config["HOTLINE_NUMBER"], dial_to=dial_to)


def run_step(work: Callable[[Session], tuple[str, FlowOutcome]]) -> Response:
    """Run one step in one transaction (retried once on a racing duplicate); a finished
    intake is routed once it commits."""
    try:
        with get_db().begin() as session:
            xml, outcome = work(session)
            route_finished_flow(session, outcome)
    except IntegrityError:
        # A Twilio retry raced the first delivery; the unique keys caught it: replay.
        with get_db().begin() as session:
            xml, outcome = work(session)
            route_finished_flow(session, outcome)
    return Response(xml, mimetype="text/xml")


def stored_step(session: Session, sid: str, n: int) -> str | None:
    """The TwiML already answered for step n of this call."""
    return session.scalar(select(FlowStep.response).where(FlowStep.call_sid == sid,
                                                          FlowStep.step == n))


def once(kind: str, replay: Callable[[Session], str],
         work: Callable[[Session], tuple[str, FlowOutcome]]
         ) -> Callable[[Session], tuple[str, FlowOutcome]]:
    """`work` for a first delivery of this webhook; for a repeated one, `replay`'s answer
    with nothing written (a re-cut CallSid would otherwise open a second call)."""

    def guarded(session: Session) -> tuple[str, FlowOutcome]:
        if not first_delivery(session, kind):
            return replay(session), FlowOutcome()
        return work(session)

    return guarded


def replay_step(session: Session, sid: str, n: int) -> str:
    """Step n's answer read again, writing nothing: its TwiML, else the last question asked (a
    step from the future), else a hang-up (a re-cut CallSid, a call already ended or erased)."""
    answer = stored_step(session, sid, n)
    row = session.scalar(select(FlowSession).where(FlowSession.call_sid == sid))
    if answer is None and row is not None and row.active:
        answer = session.scalar(select(FlowStep.response).where(
            FlowStep.call_sid == sid, FlowStep.step < n).order_by(FlowStep.step.desc()).limit(1))
    return answer or hangup_xml()


def case_for_call(session: Session, call: InboundCall) -> tuple[Case, bool]:
    """The caller's open case from the last 30 days, or a new voice case; locked contact."""
    try:
        phone = normalize_phone(call.from_raw)
    except InvalidPhone:
        # Caller ID withheld: still keep what they say, on a contact of its own.
        phone = "anon:" + call.sid[-15:]
    contact = find_or_create_contact(session, phone, "zh")
    contact.last_contact_at = utcnow()
    case = open_case_for(session, contact)
    if case is not None:
        case.updated_at = utcnow()  # the 30-day window runs from the worker's last contact
        return case, False
    return open_case(session, contact, Channel.VOICE, contact.language), True


def begin_call(session: Session, call: InboundCall) -> tuple[str, FlowOutcome]:
    """Step 0: record the call, its case and a flow session; answer the first question."""
    replay = stored_step(session, call.sid, 0)
    if replay is not None:
        return replay, FlowOutcome()
    case, opened = case_for_call(session, call)
    row = Call(sid=call.sid, direction=Direction.INBOUND, status=CallStatus.RINGING,
               from_number=call.from_raw[:40], to_number=call.to[:40],
               contact_id=case.contact_id, case_id=case.id)
    row.advance(CallStatus.IN_PROGRESS)
    session.add(row)
    session.flush()
    case.log(EventKind.CALL, "incoming call" + ("" if opened else " (continues this case)"),
             actor="worker", call_id=row.id, data={"call_sid": call.sid})
    flow = default_flow()
    # A worker calling back about a case whose intake is done is asked what they want,
    # rather than made to answer (and overwrite) every question again.
    returning = not opened and intake_done(session, case)
    state, turn = start(flow, context(session, case, case.language, returning=returning),
                        case.language)
    flow_row = FlowSession(channel=Channel.VOICE, flow=flow.name, contact_id=case.contact_id,
                           case_id=case.id, call_sid=call.sid, node=state.node,
                           language=state.language, expires_at=utcnow() + SESSION_TTL)
    session.add(flow_row)
    session.flush()
    return finish_step(session, flow_row, case, state, turn, 0), FlowOutcome()


def second_case(session: Session, row: FlowSession, first: Case, sid: str) -> Case:
    """A worker calling back with a new problem: the rest of the call fills a new case."""
    case = open_case(session, first.contact, Channel.VOICE, first.language, like=first)
    first.log(EventKind.CALL, f"the worker called about a new problem: case #{case.number}",
              actor="worker", data={"call_sid": sid, "new_case": case.number})
    row.case_id = case.id
    call = session.scalar(select(Call).where(Call.sid == sid))
    if call is not None:  # its voicemail belongs to the new problem
        call.case_id = case.id
    return case


def finish_step(session: Session, row: FlowSession, case: Case, state: FlowState,
                turn: Turn, n: int) -> str:
    """Save state and answers, render the TwiML, store it as step n."""
    save_state(row, state)
    apply_turn(case, row, turn)  # a call routes at its end (or is put through live)
    flow = default_flow()
    dial_to = None
    if turn.waiting is not None and turn.waiting.type == "transfer":
        volunteer = available_volunteer(session, state.language, case)
        if volunteer is not None:
            dial_to = volunteer.phone
            row.answers = {**row.answers, "transfer_volunteer_id": volunteer.id}
    xml = str(render_voice(flow, state, turn, links(n + 1, state.node, dial_to), case.number))
    session.add(FlowStep(call_sid=row.call_sid or "", step=n, node=state.node, response=xml))
    row.seq = n + 1
    session.flush()
    return xml


def reply_from_form(silence: bool) -> Reply:
    """The caller's answer as Twilio posted it (nothing at all on silence)."""
    if silence:
        return Reply(dial_status=request.values.get("DialCallStatus", ""))
    form = request.form
    return Reply(digits=form.get("Digits", ""), speech=form.get("SpeechResult", ""),
                 recording_url=form.get("RecordingUrl", ""),
                 dial_status=form.get("DialCallStatus", ""))


def continue_call(session: Session, call: InboundCall, n: int, silence: bool
                  ) -> tuple[str, FlowOutcome]:
    """Step n: apply the caller's answer (or silence) and answer the next question."""
    row = session.scalar(select(FlowSession).where(FlowSession.call_sid == call.sid)
                         .with_for_update())
    if row is None:  # we never saw this call start (e.g. a restored database): start it now
        return begin_call(session, call)
    if n != row.seq:  # a retry of an answered step, or a step from the future: replay
        replay = stored_step(session, call.sid, min(n, row.seq - 1))
        return replay or hangup_xml(), FlowOutcome()
    case = session.get(Case, row.case_id, with_for_update=True) if row.case_id else None
    if case is None or not row.active:
        return hangup_xml(), FlowOutcome()
    flow = default_flow()
    state = state_of(row)
    before = replace(state, answers=dict(state.answers))
    reply = reply_from_form(silence)
    ctx = context(session, case, state.language, returning=intake_done(session, case))
    turn = advance(flow, state, reply, ctx)
    # What the caller said beyond the question ("宏达电子厂，欠了我一万二") is kept, as on SMS.
    state, turn = heard_more(flow, before, state, turn, reply.speech, ctx)
    if turn.answered.get("returning") == "new":
        case = second_case(session, row, case, call.sid)
    if turn.answered.get("transfer") in ("completed", "answered"):
        talked_live(session, case, row)
    for name, value in turn.answered.items():
        if name.endswith("_recording"):  # an answer kept in the worker's own voice
            keep_answer_recording(session, case, call.sid, str(value), name[:-10])
    xml = finish_step(session, row, case, state, turn, n)
    outcome = FlowOutcome()
    if state.done:
        outcome = end_flow(row, case, FlowStatus.DONE, "intake finished by phone")
    return xml, outcome


def talked_live(session: Session, case: Case, row: FlowSession) -> None:
    """The volunteer rung by a live transfer answered: an unowned case is theirs, if the
    matching rule still lets them take it (same organisation; the queue may have moved)."""
    volunteer = session.get(Volunteer, row.answers.get("transfer_volunteer_id") or 0)
    if volunteer is None:
        return
    case.log(EventKind.CALL, f"live transfer answered by {volunteer.name}",
             actor=f"volunteer:{volunteer.id}", data={"volunteer_id": volunteer.id})
    if case.status == CaseStatus.NEW and same_office(volunteer, case):
        assign(session, case, volunteer, now(), actor=f"volunteer:{volunteer.id}")


def hangup_xml() -> str:
    """A bare hang-up, for steps of a call whose flow already ended."""
    resp = VoiceResponse()
    resp.hangup()
    return str(resp)


@bp.post("")
@require_twilio_signature
def incoming_call() -> Response:
    """Twilio's 'A call comes in' webhook: open (or continue) the case, ask the first question."""
    try:
        call = InboundCall.from_form()
    except BadWebhook as exc:
        return Response(str(exc), status=400, mimetype="text/plain")
    return run_step(once("voice", lambda session: replay_step(session, call.sid, 0),
                         lambda session: begin_call(session, call)))


@bp.post("/step")
@require_twilio_signature
def call_step() -> Response:
    """The caller's answer to step n (keys, speech, a recording, a dial result, or silence)."""
    try:
        call = InboundCall.from_form()
        n = int(request.args.get("n", ""))
    except (BadWebhook, ValueError):
        return Response("CallSid and step number n are required", status=400,
                        mimetype="text/plain")
    silence = request.args.get("silence") == "1"
    return run_step(once("voice", lambda session: replay_step(session, call.sid, n),
                         lambda session: continue_call(session, call, n, silence)))


@bp.post("/status")
@require_twilio_signature
def call_status() -> Response:
    """Call status callback: keep the call's state; a hang-up mid-flow still routes the case."""
    sid = request.form.get("CallSid", "")
    status = (request.form.get("CallStatus") or "").lower()
    if not sid or status not in {s.value for s in CallStatus}:
        return Response("", status=204)

    def update(session: Session) -> tuple[str, FlowOutcome]:
        call = session.scalar(select(Call).where(Call.sid == sid).with_for_update())
        if call is not None:
            call.advance(CallStatus(status))
            duration = request.form.get("CallDuration", "")
            call.duration_s = int(duration) if duration.isdigit() else call.duration_s
        return "", call_ended(session, sid, status) if status in ENDED else FlowOutcome()

    run_step(once("voice-status", lambda session: "", update))
    return Response("", status=204)


def call_ended(session: Session, sid: str, status: str) -> FlowOutcome:
    """End the call's flow: a caller who hung up half way keeps a case with what they gave."""
    row = session.scalar(select(FlowSession).where(FlowSession.call_sid == sid)
                         .with_for_update())
    if row is None:
        return FlowOutcome()
    case = session.get(Case, row.case_id, with_for_update=True) if row.case_id else None
    if row.active and case is not None:
        case.log(EventKind.CALL, f"call ended ({status}) at step '{row.node}'", actor="worker",
                 data={"call_sid": sid, "node": row.node})
    return end_flow(row, case, FlowStatus.ABANDONED if row.active else row.status,
                    f"intake by phone ended: {status}")


@bp.post("/recording")
@require_twilio_signature
def recording_status() -> Response:
    """Recording status callback: keep the recording URL on the case (voicemail) and timeline."""
    sid = request.form.get("CallSid", "")
    url = request.form.get("RecordingUrl", "")
    if not sid or not url or (request.form.get("RecordingStatus") or "completed") != "completed":
        return Response("", status=204)
    node = request.args.get("node", "")
    run_step(once("recording", lambda session: "",
                  lambda session: (keep_recording(session, sid, url, node), FlowOutcome())))
    return Response("", status=204)


def keep_recording(session: Session, sid: str, url: str, node: str) -> str:
    """Store a finished recording once: voicemail on the case and call, others on the timeline."""
    call = session.scalar(select(Call).where(Call.sid == sid).with_for_update())
    if call is None or call.case_id is None:
        return ""
    case = session.get(Case, call.case_id, with_for_update=True)
    assert case is not None
    flow_node = default_flow().nodes.get(node)
    if flow_node is not None and flow_node.field == "voicemail":
        if call.recording_url == url:  # Twilio sent this callback twice
            return ""
        # The <Record> action may have stored it on the case already; the call (and the
        # volunteer's notice) are this callback's, once.
        call.recording_url = case.voicemail_url = url
        voicemail_to_volunteer(session, case)
    elif recording_logged(session, case, url):  # kept at the step, or a repeated callback
        return ""
    case.log(EventKind.CALL, f"recording ready ({node or 'call'})", call_id=call.id,
             data={"recording_url": url, "node": node,
                   "duration_s": request.form.get("RecordingDuration")})
    return ""


def recording_logged(session: Session, case: Case, url: str) -> bool:
    """True when the case's timeline already holds this recording."""
    events = session.scalars(case.events.select().where(CaseEvent.kind == EventKind.CALL,
                                                        CaseEvent.call_id.is_not(None)))
    return any((e.data or {}).get("recording_url") == url for e in events)


def keep_answer_recording(session: Session, case: Case, sid: str, url: str, field: str) -> None:
    """An answer given as a recording (speech not recognised) stays on the case's timeline,
    playable by staff like a voicemail; the case field itself stays empty (nobody typed it)."""
    call = session.scalar(select(Call).where(Call.sid == sid))
    if call is None or recording_logged(session, case, url):
        return
    case.log(EventKind.CALL, f"{field}: said on a recording, not understood by speech "
             "recognition; play it on the case page", actor="worker", call_id=call.id,
             data={"recording_url": url, "node": field, "field": field,
                   "duration_s": request.form.get("RecordingDuration")})


def register(app: Flask) -> None:
    """Attach the voice webhooks to the app."""
    app.register_blueprint(bp)
