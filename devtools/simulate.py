"""`hotline simulate sms`: send a signed webhook to a running hotline, as Twilio would."""

from __future__ import annotations

import json
import secrets
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import requests
from twilio.request_validator import RequestValidator


def signed_sms_post(url: str, auth_token: str, params: dict[str, str],
                    timeout: float = 15.0) -> requests.Response:
    """POST form `params` to `url` with the X-Twilio-Signature Twilio would compute."""
    signature = RequestValidator(auth_token).compute_signature(url, params)
    return requests.post(url, data=params, headers={"X-Twilio-Signature": signature},
                         timeout=timeout)


def sms_params(from_: str, to: str, body: str, account_sid: str) -> dict[str, str]:
    """The form fields of Twilio's inbound-SMS webhook."""
    sid = "SM" + secrets.token_hex(16)
    return {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": account_sid,
            "From": from_, "To": to, "Body": body, "NumMedia": "0", "NumSegments": "1",
            "ApiVersion": "2010-04-01"}


def reply_texts(twiml: str) -> list[str]:
    """The <Message> bodies of a TwiML answer."""
    root = ET.fromstring(twiml)
    return [(m.text or "") for m in root.iter("Message")]


def wait_for_answer(database_url: str, sid: str, timeout: float) -> list[str] | None:
    """The hotline's answer to the text `sid` once a worker has read it ([] when it says
    nothing); None when it is still unread after `timeout` seconds."""
    from sqlalchemy import select

    from hotline.infra.db import Database
    from models import Message, MessageStatus

    db = Database(database_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with db.begin() as session:
                row = session.execute(select(Message.status, Message.reply_body).where(
                    Message.provider_sid == sid)).first()
            if row is not None and row.status != MessageStatus.ARRIVED:
                return [row.reply_body] if row.reply_body else []
            time.sleep(0.1)
        return None
    finally:
        db.engine.dispose()


def load_state(instance_path: str) -> dict[str, Any]:
    """Settings written by a running `hotline demo` (empty if none is running)."""
    path = Path(instance_path) / "demo.json"
    return json.loads(path.read_text()) if path.exists() else {}


def wait_for_offer(database_url: str, message_id_sid: str, timeout: float) -> list[str]:
    """Lines describing the offers sent for the case this message landed on."""
    from sqlalchemy import select

    from hotline.infra.db import Database
    from models import Case, CaseStatus, Message, MessageStatus, Purpose, Volunteer, utcnow

    db = Database(database_url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.begin() as session:
            inbound = session.scalar(select(Message).where(Message.provider_sid == message_id_sid))
            if inbound is None or inbound.case_id is None or inbound.volunteer_id is not None:
                return []
            case = session.get(Case, inbound.case_id)
            held = case is not None and case.last_enqueued_at is not None and (
                case.last_enqueued_at > utcnow())
            if held and case is not None and case.status == CaseStatus.NEW:
                return ["(the case goes to a volunteer once the intake questions are answered;"
                        " text the answers too, e.g. … 1 广东深圳 1 某某厂 12000 3 1 1)"]
            earlier = session.scalar(select(Message.id).where(
                Message.case_id == inbound.case_id, Message.purpose == Purpose.OFFER,
                Message.created_at < inbound.created_at).limit(1))
            if earlier is not None:  # a follow-up on a case already routed: nothing new
                return [f"(case #{case.number if case else '?'} was already offered; "
                        f"status {case.status if case else '?'})"]
            offers = session.scalars(select(Message).where(
                Message.case_id == inbound.case_id, Message.purpose == Purpose.OFFER,
                Message.created_at >= inbound.created_at,
                Message.status.not_in([MessageStatus.QUEUED, MessageStatus.SENDING]))).all()
            if offers:
                lines = []
                for m in offers:
                    v = session.get(Volunteer, m.volunteer_id) if m.volunteer_id else None
                    who = f"{v.name} {m.to_number}" if v else m.to_number
                    lines.append(f"offer to {who} [{m.status}]: {m.body}")
                return lines
        time.sleep(0.3)
    return ["(no offer yet — is a volunteer on duty? is the worker running?)"]


def call_outcome(database_url: str, call_sid: str, timeout: float) -> list[str]:
    """Lines saying which case a simulated call opened (or continued) and where it went:
    the volunteer who has it, the offers sent, or that it waits for staff."""
    from sqlalchemy import select

    from hotline.infra.db import Database
    from models import Call, Case

    db = Database(database_url)
    deadline = time.monotonic() + timeout
    while True:
        with db.begin() as session:
            call = session.scalar(select(Call).where(Call.sid == call_sid))
            if call is None or call.case_id is None:
                return ["(the call opened no case)"]
            case = session.get(Case, call.case_id)
            assert case is not None
            went = where_case_went(session, case)
            if went is not None or time.monotonic() >= deadline:
                return [case_line(case), *(went or [
                    f"(case #{case.number} is not routed yet — is the worker running?)"])]
        time.sleep(0.3)


def case_line(case: Any) -> str:
    """One line naming the case: number, problem, urgency, place, employer."""
    place = f"{case.work_province or ''}{case.work_city or ''}" or "place not given"
    return (f"case #{case.number}: {case.category}, {case.urgency}, {place}, "
            f"employer {case.employer or 'not given'} [{case.status}]")


def where_case_went(session: Any, case: Any) -> list[str] | None:
    """Who has the case or was offered it, or that staff must act; None while still routing."""
    from sqlalchemy import select

    from hotline.collective import crosses
    from models import CaseStatus, Message, MessageStatus, Purpose, Volunteer

    lead = session.get(type(case), case.collective_case_id) if case.collective_case_id else None
    if case.assigned_volunteer_id is not None:
        v = session.get(Volunteer, case.assigned_volunteer_id)
        return [(f"assigned to {v.name} {v.phone}" if v else "assigned")
                + (f" (with collective case #{lead.number})" if lead else "")]
    if lead is not None and case.status == CaseStatus.NEW and not crosses(lead, case):
        return [f"linked to collective case #{lead.number}; worked by its volunteer"]
    if case.status == CaseStatus.OFFERED:
        offers = session.scalars(select(Message).where(
            Message.case_id == case.id, Message.purpose == Purpose.OFFER).order_by(Message.id)
        ).all()
        if any(m.status in (MessageStatus.QUEUED, MessageStatus.SENDING) for m in offers):
            return None
        lines = []
        for m in offers:
            v = session.get(Volunteer, m.volunteer_id) if m.volunteer_id else None
            lines.append(f"offer to {v.name + ' ' if v else ''}{m.to_number} [{m.status}]: "
                         f"{m.body}")
        return lines
    if case.status == CaseStatus.ESCALATED:
        where = "waits for staff"
    elif case.status == CaseStatus.NEW and case.triage_at is not None:
        where = "waits in the staff triage queue (no problem named yet)"
    else:
        return None if case.status == CaseStatus.NEW else []
    alerts = list(dict.fromkeys(session.scalars(select(Message.to_number).where(
        Message.case_id == case.id, Message.purpose == Purpose.ALERT,
        Message.volunteer_id.is_(None))).all()))
    return [f"{where}; " + (f"staff texted: {', '.join(alerts)}" if alerts
                            else "no staff phone was texted")]
