"""Volunteer and worker talk through the hotline number; neither sees the other's phone.

SMS: "R1024 text" goes to the worker from the hotline number; the worker's replies thread
into the case and are forwarded to the volunteer. Voice: "CALL 1024" makes the hotline call
the volunteer, whose answered call fetches TwiML that <Dial>s the worker with the hotline as
caller ID. Every step is written on the case timeline.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from celery import shared_task
from flask import Blueprint, Flask, Response, current_app, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from hotline.collective import crosses
from hotline.disputes import members_of
from hotline.infra.db import get_db
from hotline.infra.queues import URGENT
from hotline.outbox import after_commit, queue_sms, send_after_commit
from hotline.replies import say
from hotline.webhooks.twiml import first_delivery, public_url, twiml_response
from ivr_flows.engine import read_back
from ivr_flows.loader import default_flow
from ivr_flows.voice import say as speak
from models import (
    Call,
    CallStatus,
    Case,
    CaseStatus,
    Contact,
    Direction,
    EventKind,
    Message,
    Purpose,
    Urgency,
    Volunteer,
)
from notifications.providers import ProviderError, get_provider
from notifications.providers.twilio.signature import require_twilio_signature
from notifications.templates import relay_body  # a carrier may carry only approved templates
from notifications.worker_words import forward_text

log = logging.getLogger(__name__)
bp = Blueprint("bridge", __name__, url_prefix="/twilio/bridge")
PENDING, DIALING = "pending-", "dialing-"


def touch(case: Case, now: datetime, *, contacted_worker: bool = False) -> None:
    """The volunteer did something on the case: reset its deadline clock."""
    case.last_activity_at, case.reminded_at = now, None
    if contacted_worker:
        case.worker_contacted_at = now
    if case.status == CaseStatus.ASSIGNED:
        case.move_to(CaseStatus.IN_PROGRESS, note="volunteer contacted the worker")


def worker_contacts(session: Session, case: Case) -> list[Contact]:
    """Who a relay reaches: the case's worker, plus the linked workers of a collective case
    in the same office (another office's workers are that office's to text)."""
    ids = [case.contact_id, *(m.contact_id for m in members_of(session, case)
                              if not crosses(case, m))]
    return [c for c in (session.get(Contact, i) for i in dict.fromkeys(ids)) if c is not None]


def relay_to_worker(session: Session, case: Case, volunteer: Volunteer, text: str,
                    now: datetime) -> list[int]:
    """Send the volunteer's text to the worker(s) from the hotline number; return message ids."""
    return text_workers(session, case, relay_body(session, case, say(
        "relay_to_worker", case.language, number=case.number, text=text)).body,
                        f"volunteer → worker: {text}", f"volunteer:{volunteer.id}", now)


def staff_to_worker(session: Session, case: Case, actor: str, text: str, now: datetime
                    ) -> list[int]:
    """Send a staff member's text to the worker(s) from the hotline number (escalated cases
    wait in the staff queue, and staff answer them); return message ids."""
    return text_workers(session, case, relay_body(session, case, say(
        "staff_to_worker", case.language, number=case.number, text=text)).body,
                        f"staff → worker: {text}", actor, now)


def text_workers(session: Session, case: Case, body: str, note: str, actor: str,
                 now: datetime) -> list[int]:
    """Queue `body` to the case's worker(s), log it, count it as contact; send after commit."""
    ids = [queue_sms(session, to=c.phone, body=body, purpose=Purpose.RELAY, case=case,
                     contact_id=c.id).id for c in worker_contacts(session, case)]
    case.log(EventKind.MESSAGE_OUT, note, actor=actor, data={"message_ids": ids})
    touch(case, now, contacted_worker=True)
    send_after_commit(session, ids, urgent=case.urgency == Urgency.URGENT)
    return ids


def forward_worker_message(session: Session, case: Case, message: Message, *,
                           confirmed: tuple[str, dict[str, Any]] | None = None
                           ) -> Message | None:
    """Forward a worker's text on an assigned case to its volunteer (or, for the text that
    confirmed the intake, the answers it confirmed: `confirmed` is the confirmation's node
    and the answers); return the queued text (not flushed yet: its id comes with the
    caller's commit)."""
    if not case.volunteer_reads or not message.body:
        return None
    volunteer = session.get(Volunteer, case.assigned_volunteer_id)
    if volunteer is None:
        return None
    words = message.body[:300]
    if confirmed is not None:
        answers = read_back(default_flow(), *confirmed, volunteer.reply_language)
        if answers is not None:
            words = say("intake_answers_to_volunteer", volunteer.reply_language,
                        answers=answers)
    body = forward_text(session, case, volunteer, words)  # carrier's templates
    if body is None:
        return None
    # Written with the worker's text at commit, in one flush (the timeline names it through
    # the relationship, the send task by the id its INSERT gets).
    fwd = queue_sms(session, to=volunteer.phone, body=body, purpose=Purpose.RELAY, case=case,
                    volunteer_id=volunteer.id, flush=False)
    case.log(EventKind.MESSAGE_OUT, f"forwarded to volunteer {volunteer.name}").message = fwd
    send_after_commit(session, [fwd], urgent=case.urgency == Urgency.URGENT)
    return fwd


def voicemail_to_volunteer(session: Session, case: Case) -> int | None:
    """Tell the case's volunteer that the worker left a voicemail; return the message id."""
    if not case.volunteer_reads:
        return None  # nobody has the case yet: routing will offer it with its voicemail
    volunteer = session.get(Volunteer, case.assigned_volunteer_id)
    if volunteer is None:
        return None
    note = queue_sms(session, to=volunteer.phone, purpose=Purpose.RELAY, case=case,
                     volunteer_id=volunteer.id, body=say("voicemail_to_volunteer",
                                                         volunteer.reply_language,
                                                         number=case.number))
    case.log(EventKind.MESSAGE_OUT, f"voicemail announced to volunteer {volunteer.name}",
             message_id=note.id)
    send_after_commit(session, [note.id], urgent=case.urgency == Urgency.URGENT)
    return note.id


def request_call(session: Session, case: Case, volunteer: Volunteer, now: datetime
                 ) -> Call | None:
    """Record a bridge call to place after commit; None when no public URL is configured."""
    if not current_app.config.get("PUBLIC_URL"):
        return None
    call = Call(sid=PENDING + secrets.token_hex(12), direction=Direction.OUTBOUND,
                from_number=current_app.config["HOTLINE_NUMBER"], to_number=volunteer.phone,
                contact_id=case.contact_id, case_id=case.id)
    session.add(call)
    session.flush()
    case.log(EventKind.CALL, f"{volunteer.name} asked for a call to the worker",
             actor=f"volunteer:{volunteer.id}", call_id=call.id)
    touch(case, now, contacted_worker=True)
    after_commit(session, start_bridge_call, call.id, queue=URGENT)
    return call


def bridge_url(case_id: int, suffix: str = "") -> str:
    """Absolute URL of the bridge TwiML (Twilio signs and fetches exactly this)."""
    return public_url(f"/twilio/bridge/{case_id}{suffix}")


def claim_call(call_id: int) -> Call | None:
    """Mark a pending call as dialing and commit, so a re-run task never dials twice."""
    with get_db().begin() as session:
        call = session.get(Call, call_id, with_for_update=True)
        if call is None or not call.sid.startswith(PENDING):
            return None
        call.sid = DIALING + call.sid[len(PENDING):]
        return call


@shared_task(name="hotline.bridge.start_bridge_call")
def start_bridge_call(call_id: int) -> str:
    """Celery task: ring the volunteer; the answered call fetches the bridge TwiML."""
    call = claim_call(call_id)
    if call is None or call.case_id is None:
        return "skipped"
    try:
        result = get_provider().start_call(
            call.to_number, from_=call.from_number, url=bridge_url(call.case_id),
            status_callback=bridge_url(call.case_id, "/status"))
    except ProviderError as exc:
        log.warning("bridge call %s failed: %s", call_id, exc)
        return finish_claim(call_id, None, str(exc))
    return finish_claim(call_id, result.sid, None)


def finish_claim(call_id: int, sid: str | None, error: str | None) -> str:
    """Store the provider's call SID (or the failure) and note it on the timeline."""
    with get_db().begin() as session:
        call = session.get(Call, call_id, with_for_update=True)
        case = session.get(Case, call.case_id) if call and call.case_id else None
        if call is None or case is None:
            return "gone"
        if sid is None:
            call.advance(CallStatus.FAILED)
            case.log(EventKind.CALL, f"bridge call failed: {error}", call_id=call.id)
            return "failed"
        call.sid = sid
        case.log(EventKind.CALL, "hotline is ringing the volunteer", call_id=call.id,
                 data={"sid": sid})
        return sid


def _volunteer_for(session: Session, case: Case | None, to: str) -> Volunteer | None:
    """The case's assigned volunteer if the call went to their phone."""
    if case is None or not case.volunteer_reads:
        return None
    volunteer = session.get(Volunteer, case.assigned_volunteer_id)
    return volunteer if volunteer is not None and volunteer.phone == to else None


def once_per_delivery(kind: str, write: Callable[[Session], None]) -> None:
    """Run `write` in one transaction unless Twilio delivered this webhook before: a retry,
    or its twin racing it, writes nothing."""
    # IntegrityError: the twin delivery committed the same token first, and it wrote this.
    with contextlib.suppress(IntegrityError), get_db().begin() as session:
        if first_delivery(session, kind):
            write(session)


def log_call(session: Session, case_id: int, note: str, data: dict[str, Any]) -> None:
    """A call entry on the case's timeline (when the case still exists)."""
    case = session.get(Case, case_id)
    if case is not None:
        case.log(EventKind.CALL, note, data=data)


@bp.post("/<int:case_id>")
@require_twilio_signature
def bridge_twiml(case_id: int) -> Response:
    """The volunteer answered: <Dial> the worker with the hotline number as caller ID."""
    resp = VoiceResponse()
    with get_db().begin() as session:
        case = session.get(Case, case_id)
        volunteer = _volunteer_for(session, case, request.form.get("To", ""))
        contact = (session.get(Contact, case.contact_id)
                   if case is not None and volunteer is not None else None)
        if case is None or contact is None:
            speak(resp, say("bridge_refused", "zh"), "zh")
            resp.hangup()
            return twiml_response(resp)
        number, phone = case.number, contact.phone
    once_per_delivery("bridge", lambda session: log_call(
        session, case_id, "volunteer answered; dialling the worker",
        {"call_sid": request.form.get("CallSid")}))
    speak(resp, say("bridge_connecting", "zh", number=number), "zh")
    dial = resp.dial(caller_id=current_app.config["HOTLINE_NUMBER"], timeout=30,
                     action=bridge_url(case_id, "/dialed"))
    dial.number(phone)
    return twiml_response(resp)


@bp.post("/<int:case_id>/dialed")
@require_twilio_signature
def bridge_dialed(case_id: int) -> Response:
    """The <Dial> ended: write how it went on the timeline, then hang up."""
    status = request.form.get("DialCallStatus", "unknown")
    duration = request.form.get("DialCallDuration")
    once_per_delivery("bridge", lambda session: log_call(
        session, case_id, f"worker call {status}" + (f", {duration}s" if duration else ""),
        {"dial_status": status, "duration_s": duration}))
    resp = VoiceResponse()
    resp.hangup()
    return twiml_response(resp)


@bp.post("/<int:case_id>/status")
@require_twilio_signature
def bridge_status(case_id: int) -> Response:
    """Status callback of the call to the volunteer: advance the Call row."""
    sid = request.form.get("CallSid", "")
    try:
        new = CallStatus(request.form.get("CallStatus", ""))
    except ValueError:
        return Response("", status=204)

    def advance(session: Session) -> None:
        call = session.scalar(select(Call).where(Call.sid == sid, Call.case_id == case_id)
                              .with_for_update())
        if call is not None and call.advance(new):
            duration = request.form.get("CallDuration")
            if duration and duration.isdigit():
                call.duration_s = int(duration)

    once_per_delivery("bridge-status", advance)
    return Response("", status=204)


def register(app: Flask) -> None:
    """Attach the bridge TwiML routes."""
    app.register_blueprint(bp)
