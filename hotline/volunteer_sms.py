"""Commands volunteers send by SMS from their own phones (Y1024 / N1024 for now)."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.intake import InboundSms, IntakeResult, store_inbound
from hotline.replies import say
from hotline.routing import Answer, answer_offer, offer_reply
from models import Volunteer

OFFER_ANSWER = re.compile(r"^\s*(Y|N|YES|NO|是|否|接受|拒绝)\s*#?\s*(\d{1,9})\s*$", re.IGNORECASE)
ACCEPT_WORDS = {"y", "yes", "是", "接受"}


def parse_offer_answer(body: str) -> tuple[bool, int] | None:
    """(accept?, case number) from 'Y 1024', 'n1024', 'Ｙ１０２４', '接受 #1024'; else None."""
    # NFKC folds full-width letters and digits (common on Chinese phone keyboards) to ASCII.
    match = OFFER_ANSWER.match(unicodedata.normalize("NFKC", body or ""))
    if match is None:
        return None
    return match.group(1).lower() in ACCEPT_WORDS, int(match.group(2))


def find_volunteer(session: Session, phone: str) -> Volunteer | None:
    """The volunteer who owns this number, if any."""
    return session.scalar(select(Volunteer).where(Volunteer.phone == phone))


def handle_volunteer_sms(session: Session, volunteer: Volunteer, sms: InboundSms, phone: str
                         ) -> IntakeResult:
    """Store a volunteer's SMS and act on it; the reply says what happened."""
    lang = "en" if (volunteer.languages or ["zh"])[0] == "en" else "zh"
    msg = store_inbound(session, sms, phone=phone, volunteer_id=volunteer.id)
    parsed = parse_offer_answer(sms.body)
    result = IntakeResult(message_id=msg.id, reply=None)
    if parsed is None:
        msg.reply_body = say("volunteer_help", lang)
    else:
        accept, number = parsed
        answer, case = answer_offer(session, volunteer, number, accept)
        msg.reply_body = offer_reply(answer, number, lang)
        if case is not None:
            msg.case_id = result.case_id = case.id
            result.case_number = case.number
            if answer == Answer.DECLINED and case.status.value == "new":
                result.reroute_case_ids.append(case.id)
    result.reply = msg.reply_body
    return result
