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


def load_state(instance_path: str) -> dict[str, Any]:
    """Settings written by a running `hotline demo` (empty if none is running)."""
    path = Path(instance_path) / "demo.json"
    return json.loads(path.read_text()) if path.exists() else {}


def wait_for_offer(database_url: str, message_id_sid: str, timeout: float) -> list[str]:
    """Lines describing the offers sent for the case this message landed on."""
    from sqlalchemy import select

    from hotline.db import Database
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
