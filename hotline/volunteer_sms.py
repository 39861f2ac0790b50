"""Commands volunteers send by SMS from a plain phone, and workers' survey answers.

    Y1024 / N1024        accept / decline an offer   (also yes, 接受, 拒绝; any width or case)
    R1024 text           text the worker through the hotline number
    CALL 1024            the hotline rings you, then connects you to the worker
    DONE 1024 12000      resolved, ¥12000 recovered;  REFER 1024 note;  CLOSE 1024 note
    REOPEN 1024 / 重开1024  take up again a case of yours that was finished
    ON / OFF, 上线/下线   go on or off duty (staff too: on-duty staff are texted escalations)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hotline.assignment import answer_offer, offer_reply, only_pending_offer
from hotline.bridge import relay_to_worker, request_call
from hotline.cases import reopen_case
from hotline.deadlines import (
    BadAmount,
    case_awaiting_survey,
    finish_for_volunteer,
    outcome_name,
    parse_amount,
    parse_survey_answer,
    record_survey_answer,
)
from hotline.intake import InboundSms, IntakeResult, Worker, heard_from, store_inbound
from hotline.replies import say
from models import Case, EventKind, InvalidTransition, Role, User, Volunteer, utcnow
from notifications.templates import relay_reply

VERBS = {
    "y": "accept", "yes": "accept", "是": "accept", "接受": "accept", "接": "accept",
    "接了": "accept", "接单": "accept",
    "n": "decline", "no": "decline", "否": "decline", "拒绝": "decline", "不接": "decline",
    "r": "relay", "转告": "relay", "转达": "relay", "回复": "relay",
    "call": "call", "通话": "call", "呼叫": "call", "打电话": "call",
    "done": "resolved", "结案": "resolved", "办结": "resolved", "完成": "resolved",
    "refer": "referred", "转介": "referred", "close": "closed", "关闭": "closed",
    "on": "on", "上线": "on", "off": "off", "下线": "off",
    "reopen": "reopen", "重开": "reopen",
}
NEEDS_NUMBER = {"accept", "decline", "relay", "call", "resolved", "referred", "closed",
                "reopen"}
# The Chinese verbs longest first, so "打电话1024" and "上线了" find their verb.
HAN_VERBS = "|".join(sorted((v for v in VERBS if not v.isascii()), key=len, reverse=True))
COMMAND = re.compile(rf"^\s*(?P<verb>[a-z]+|{HAN_VERBS})\s*#?\s*(?P<number>\d{{1,9}})?"
                     r"[\s:,，、]*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
QUESTION = re.compile(r"^\s*(吗|么|嘛|没|没有|呢|[?？])")  # "1024结案了吗": asked, not done
# Going on or off duty as people text it: "我上线了", "下线啦", "我要下线".
DUTY = re.compile(r"^(?:我|我要|我先|现在|今天)?\s*(上线|下线)\s*(?:了|啦|喽|咯)?[。.!！~]*$")
# A case finished, its number first: "1024结案", "1024 已解决", "1024完成了 追回12000".
FINISHED_FIRST = re.compile(r"^#?(\d{1,9})\s*(?:已经?|已)?\s*(结案|办结|完成|解决)了?"
                            r"[\s:,，、。]*(.*)$", re.DOTALL)
# An answer to an offer as people text it: "好的，我接1001" and "1001我接了" are "接1001".
OFFER_LEAD = re.compile(r"^(?:(?:好的|好|行|可以|嗯+|收到|ok)\s*[，,。.!！]?\s*)?我\s*(?=接|不接)",
                        re.IGNORECASE)
NUMBER_FIRST = re.compile(r"^#?(\d{1,9})\s*我?\s*(接了|接受|接|不接)\s*[了。.!！~]*$")
# Words for a case's worker, its number first as the offer wrote it: "#1024 您好，我是李律师".
# Only with the #: a bare number first ("12000 已追回") is too often a sum.
HASH_FIRST = re.compile(r"^#\s*(\d{1,9})(?!\d)[\s:,，、]*(?=\S)", re.DOTALL)

# An answer to an offer sent alone, with no case number (see handle_volunteer_sms).
BARE_ANSWERS = {"y", "yes", "接", "接受", "接了", "接单", "n", "no", "不接", "拒绝"}


def unfolded_rest(body: str, head: int) -> str:
    """What follows the command's first `head` folded characters, as the volunteer typed it:
    the text relayed to a worker keeps its Chinese punctuation (，！？ stay full-width)."""
    original = body.strip()
    for i in range(len(original) + 1):
        if len(unicodedata.normalize("NFKC", original[:i])) >= head:
            return original[i:].strip()
    return ""


@dataclass(frozen=True)
class VolunteerCommand:
    """One parsed volunteer SMS."""

    action: str
    number: int | None = None
    rest: str = ""


def parse_volunteer_command(body: str) -> VolunteerCommand | None:
    """Read 'Y1024', 'ｙ １０２４', 'R1024 明天来', 'DONE 1024 12000', '上线'; None if unknown."""
    # NFKC folds full-width letters and digits (common on Chinese phone keyboards) to ASCII.
    text = unicodedata.normalize("NFKC", body or "").strip()
    if number_first := NUMBER_FIRST.match(text):
        verb = "接" if number_first[2].startswith("接") else "不接"
        return VolunteerCommand(VERBS[verb], int(number_first[1]))
    if duty := DUTY.match(text):
        return VolunteerCommand(VERBS[duty[1]])
    if (finished := FINISHED_FIRST.match(text)) and not QUESTION.match(finished[3]):
        return VolunteerCommand("resolved", int(finished[1]), finished[3].strip())
    if hash_first := HASH_FIRST.match(text):
        return VolunteerCommand("relay", int(hash_first[1]),
                                unfolded_rest(body or "", hash_first.end()))
    if lead := OFFER_LEAD.match(text):
        text = text[lead.end():]
        body = text  # nothing of the lead is relayed: accept and decline carry no words
    match = COMMAND.match(text)
    if match is None:
        return None
    action = VERBS.get(match["verb"].lower())
    if action is None:
        return None
    number = int(match["number"]) if match["number"] else None
    rest = unfolded_rest(body or "", len(text) - len(match["rest"]))
    if action in ("accept", "decline", "on", "off", "call") and rest.strip(".。!！~") and not (
            number is not None and _only_said_in_passing(action, rest)):
        return None  # "Yes please call me" is chat, not a command
    return VolunteerCommand(action, number, rest)


# What a volunteer adds in passing to a numbered answer, which needs no one's reply: "Y1024
# 好的", "N1024 没空，抱歉". Anything else after the number ("接1024，马上打电话") gets the help
# text, so that words meant for the worker are never dropped silently.
SAID_IN_PASSING = {
    "accept": {"好", "好的", "好滴", "收到", "ok", "okay", "没问题", "可以", "行", "嗯", "嗯嗯",
               "谢谢", "thanks", "thx", "sure"},
    "decline": {"没空", "在忙", "忙", "太忙", "没时间", "抱歉", "不好意思", "对不起", "sorry",
                "busy", "不方便", "有事", "这周没空", "今天没空", "谢谢", "thanks"},
}
PASSING_SPLIT = re.compile(r"[\s,，。.!！~、;；]+")


def _only_said_in_passing(action: str, rest: str) -> bool:
    words = [w for w in PASSING_SPLIT.split(unicodedata.normalize("NFKC", rest).lower()) if w]
    return bool(words) and all(w in SAID_IN_PASSING.get(action, set()) for w in words)


def parse_offer_answer(body: str) -> tuple[bool, int] | None:
    """(accept?, case number) from 'Y 1024', 'n1024', 'Ｙ１０２４', '接受 #1024'; else None."""
    cmd = parse_volunteer_command(body)
    if cmd is None or cmd.action not in ("accept", "decline") or cmd.number is None:
        return None
    return cmd.action == "accept", cmd.number


def find_volunteer(session: Session, phone: str) -> Volunteer | None:
    """The volunteer who owns this number, if any."""
    return session.scalar(_VOLUNTEER_BY_PHONE, {"phone": phone})


# Built once: every inbound text asks it.
_VOLUNTEER_BY_PHONE = select(Volunteer).where(Volunteer.phone == bindparam("phone"))


@dataclass(frozen=True)
class Sender:
    """Who wrote a text, and the volunteer's command it reads as (read once per text)."""

    worker: Worker | None  # a known worker, found, locked and marked as heard from
    volunteer: Volunteer | None
    command: VolunteerCommand | None


def identify_sender(session: Session, phone: str, body: str) -> Sender:
    """Who wrote: the known worker with this number (found, locked and marked as heard from
    by intake.heard_from) or the volunteer; neither for someone new.

    A text that reads as a volunteer's command ("Y1024", "R1024 …", "上线") asks for the
    volunteer first; any other text for the worker first, which every worker's text needs and
    a volunteer's number never matches. Either way most texts cost one lookup."""
    command = parse_volunteer_command(body)
    if command is not None:
        volunteer = find_volunteer(session, phone)
        if volunteer is not None:
            return Sender(None, volunteer, command)
        return Sender(heard_from(session, phone), None, command)
    worker = heard_from(session, phone)
    if worker is not None:
        return Sender(worker, None, command)
    return Sender(None, find_volunteer(session, phone), command)


def dispatch_sms(session: Session, sms: InboundSms, phone: str, sender: Sender
                 ) -> IntakeResult | None:
    """Handle SMS that are not intake: a volunteer's command, a staff member's ON/OFF, or a
    worker's survey answer (`identify_sender` says who wrote)."""
    if sender.volunteer is not None:
        return handle_volunteer_sms(session, sender.volunteer, sms, phone, sender.command)
    staff = handle_staff_duty(session, sms, phone, sender.command)
    if staff is not None:
        return staff
    return handle_survey_answer(session, sms, phone, sender.worker)


def handle_staff_duty(session: Session, sms: InboundSms, phone: str,
                      cmd: VolunteerCommand | None) -> IntakeResult | None:
    """ON/OFF (上线/下线) from the phone of a staff account: go on or off duty for escalation
    texts (`cmd`: the text read as a command). None when the sender is no staff member or the
    text is something else."""
    if cmd is None or cmd.action not in ("on", "off"):
        return None
    user = session.scalar(select(User).where(User.phone == phone, User.active.is_(True),
                                             User.role.in_((Role.STAFF, Role.ADMIN)))
                          .order_by(User.id).limit(1))
    if user is None:
        return None
    msg = store_inbound(session, sms, phone=phone)
    user.on_duty = cmd.action == "on"
    msg.reply_body = say("staff_duty_on" if user.on_duty else "staff_duty_off",
                         user.language or "zh")
    return IntakeResult(message_id=msg.id, reply=msg.reply_body)


def handle_volunteer_sms(session: Session, volunteer: Volunteer, sms: InboundSms, phone: str,
                         cmd: VolunteerCommand | None) -> IntakeResult:
    """Store a volunteer's SMS and act on `cmd` (the text read as a command, None when it is
    none); the reply says what happened."""
    # Written once, with its reply and case, at the flush below (not INSERT, then UPDATE).
    msg = store_inbound(session, sms, phone=phone, volunteer_id=volunteer.id, flush=False)
    lang = volunteer.reply_language
    case: Case | None = None
    # "Y" alone with one offer waiting answers that offer, as the volunteer means ("是" alone
    # may answer something else: it still needs the number).
    if (cmd is not None and cmd.action in ("accept", "decline") and cmd.number is None
            and unicodedata.normalize("NFKC", sms.body).strip(" .。!！~").lower() in BARE_ANSWERS
            and (waiting := only_pending_offer(session, volunteer)) is not None):
        cmd = VolunteerCommand(cmd.action, waiting)
    if cmd is None:
        reply = say("volunteer_commands", lang)
    elif cmd.action in NEEDS_NUMBER and cmd.number is None:
        reply = say("need_number", lang, verb=sms.body.strip()[:6] or "Y")
    elif cmd.action in ("on", "off"):
        reply = set_duty(volunteer, cmd.action == "on", lang)
    elif cmd.action == "reopen":
        reply, case = reopen_own_case(session, volunteer, cmd, lang)
    elif cmd.action in ("accept", "decline"):
        assert cmd.number is not None
        answer, case = answer_offer(session, volunteer, cmd.number, cmd.action == "accept")
        reply = offer_reply(answer, cmd.number, lang)
    else:
        reply, case = work_on_case(session, volunteer, cmd, lang)
    msg.reply_body = reply
    if case is not None:
        msg.case_id = case.id
        case.log(EventKind.MESSAGE_IN, sms.body[:200], actor=f"volunteer:{volunteer.id}",
                 data={"command": cmd.action if cmd else None}).message = msg
    session.flush()
    return IntakeResult(message_id=msg.id, reply=reply, case_id=case.id if case else None,
                        case_number=case.number if case else None)


def set_duty(volunteer: Volunteer, on: bool, lang: str) -> str:
    """ON/OFF by SMS; the reply says whether offers come now or only during shifts."""
    volunteer.on_duty = on
    if not on:
        return say("duty_off", lang)
    return say("duty_on" if volunteer.in_shift(utcnow()) else "duty_on_outside_shift", lang)


def work_on_case(session: Session, volunteer: Volunteer, cmd: VolunteerCommand,
                 lang: str) -> tuple[str, Case | None]:
    """Relay, call or finish a case the volunteer owns; anything else changes nothing."""
    assert cmd.number is not None
    case = session.scalar(select(Case).where(Case.number == cmd.number).with_for_update())
    if case is None or case.assigned_volunteer_id != volunteer.id or not case.is_open:
        return say("not_assigned", lang, number=cmd.number), None
    now = utcnow()
    if cmd.action == "relay":
        if not cmd.rest:
            return say("relay_empty", lang, number=case.number), None
        reply, can_send = relay_reply(session, case, cmd.rest, lang)  # carrier's templates
        if can_send:
            relay_to_worker(session, case, volunteer, cmd.rest, now)
        return reply, case
    if cmd.action == "call":
        if request_call(session, case, volunteer, now) is None:
            return say("call_unavailable", lang), case
        return say("call_started", lang, number=case.number), case
    return finish_by_sms(session, case, volunteer, cmd, lang)


def reopen_own_case(session: Session, volunteer: Volunteer, cmd: VolunteerCommand,
                    lang: str) -> tuple[str, Case | None]:
    """REOPEN 1024: the volunteer takes up again a finished case of theirs (hotline.cases)."""
    assert cmd.number is not None
    case = session.scalar(select(Case).where(Case.number == cmd.number).with_for_update())
    if case is None or case.assigned_volunteer_id != volunteer.id:
        return say("not_assigned", lang, number=cmd.number), None
    if case.is_open:
        return say("not_finished", lang, number=case.number), None
    reopen_case(session, case, f"volunteer:{volunteer.id}")
    return say("case_reopened", lang, number=case.number), case


# What a volunteer writes before the sum recovered: "追回12000", "要回了一万二".
RECOVERED_LEAD = re.compile(r"^(追回|收回|拿回|要回|讨回|追到|拿到|要到|回款)了?(了|共|一共)?")


def finish_by_sms(session: Session, case: Case, volunteer: Volunteer, cmd: VolunteerCommand,
                  lang: str) -> tuple[str, Case | None]:
    """DONE/REFER/CLOSE: store the outcome (and money recovered) and survey the worker."""
    amount, note = None, cmd.rest
    if cmd.action == "resolved" and cmd.rest:
        first, _, remainder = cmd.rest.partition(" ")
        first = RECOVERED_LEAD.sub("", first)  # "追回12000": the sum recovered
        try:
            amount, note = parse_amount(first), remainder.strip()
        except BadAmount:
            if any(ch.isdigit() for ch in first):
                return say("bad_amount", lang, text=first, number=case.number), None
    try:
        finish_for_volunteer(session, case, volunteer, cmd.action, amount, note, utcnow())
    except InvalidTransition:
        return say("cannot_change", lang, number=case.number, status=case.status), None
    return say("outcome_recorded", lang, number=case.number,
               outcome=outcome_name(cmd.action, lang)), case


def handle_survey_answer(session: Session, sms: InboundSms, phone: str, worker: Worker | None
                         ) -> IntakeResult | None:
    """A worker's '1'-'5' after the closing survey: store it; None if it is not one."""
    score = parse_survey_answer(sms.body)
    if score is None or worker is None:  # someone new has no survey out
        return None
    contact = worker.contact  # their last contact is written already
    case = case_awaiting_survey(session, contact, utcnow())
    if case is None:
        return None
    msg = store_inbound(session, sms, phone=phone, contact=contact, case=case)
    case.log(EventKind.MESSAGE_IN, sms.body, actor="worker", message_id=msg.id)
    msg.reply_body = record_survey_answer(session, case, score, msg.id)
    return IntakeResult(message_id=msg.id, reply=msg.reply_body, case_id=case.id,
                        case_number=case.number)
