"""Realistic case histories for the case page tests, written as the system writes them.

A wages case walked through the SMS intake, routed, offered, accepted and then a long
conversation between the worker and the volunteer (relays, deliveries with provider ids,
notes, status changes); and an injury case with its own intake details.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from hotline.infra.db import get_db
from models import (
    Case,
    CaseCategory,
    CaseEvent,
    CaseStatus,
    Contact,
    Direction,
    EventKind,
    Message,
    MessageStatus,
    Purpose,
    Urgency,
    Volunteer,
    utcnow,
)

HOTLINE = "+8610000000"
# A volunteer's relay with Chinese punctuation of every kind (full-width comma, colon,
# question and exclamation marks, brackets, quotes, ideographic full stop, enumeration comma).
RELAYED = "您好，我是志愿者小李：明天（周五）上午10点能来吗？请带上工资条、考勤记录！“别怕”。"
NEWEST = "好的，我明天上午准时到，谢谢您！"
INTAKE = [  # (worker's answer, intake note, the hotline's next question)
    ("1", "category=wages", "您在哪个省市打工？如：广东深圳"),
    ("广东省深圳市", "work_place=广东省深圳市",
     "您老家是哪个省？可回复省名或回复数字：1河南 2四川 3湖南"),
    ("我是河南人", "home_province=河南", "老板或公司叫什么名字？"),
    ("深圳市宏达电子厂", "employer=深圳市宏达电子厂", "被拖欠多少钱（元）？"),
    ("１２０００元", "amount_owed=12000", "拖欠了几个月？"),
    ("三个月", "months_unpaid=3", "连您在内，共几人受影响？"),
    ("十几个", "people_affected=12",
     "您说的是：欠薪，广东省深圳市，深圳市宏达电子厂，12000元，3个月，约12人。"
     "回复数字：1正确 2重新填写"),
]


@dataclass
class Stories:
    """Case numbers of the stories."""

    wages: int
    injury: int


def sid(prefix: str = "SM") -> str:
    """A provider id shaped like Twilio's."""
    return prefix + os.urandom(16).hex()


class Writer:
    """Appends events a minute apart, as the hotline would have written them."""

    def __init__(self, session: object, case: Case, start_minutes_ago: int) -> None:
        self.s, self.case = session, case
        self.at = utcnow() - timedelta(minutes=start_minutes_ago)

    def log(self, kind: EventKind, text: str, **kw: object) -> CaseEvent:
        self.at += timedelta(minutes=1)
        event = self.case.log(kind, text, **kw)  # type: ignore[arg-type]
        event.at = self.at
        return event

    def worker_says(self, body: str, phone: str) -> Message:
        msg = Message(direction=Direction.INBOUND, status=MessageStatus.RECEIVED,
                      from_number=phone, to_number=HOTLINE, body=body, case_id=self.case.id,
                      provider_sid=sid(), contact_id=self.case.contact_id)
        self.s.add(msg)  # type: ignore[attr-defined]
        self.s.flush()  # type: ignore[attr-defined]
        self.log(EventKind.MESSAGE_IN, body, actor="worker", message_id=msg.id,
                 data={"media_urls": []})
        return msg

    def reply(self, msg: Message, body: str) -> None:
        msg.reply_body = body
        self.log(EventKind.REPLY, body, message_id=msg.id)

    def relay(self, volunteer: Volunteer, text: str, phone: str, status: MessageStatus
              ) -> None:
        out = Message(direction=Direction.OUTBOUND, purpose=Purpose.RELAY, status=status,
                      from_number=HOTLINE, to_number=phone,
                      body=f"工友热线（案件{self.case.number}）：{text}",
                      case_id=self.case.id, provider_sid=sid())
        self.s.add(out)  # type: ignore[attr-defined]
        self.s.flush()  # type: ignore[attr-defined]
        self.log(EventKind.MESSAGE_OUT, f"volunteer → worker: {text}",
                 actor=f"volunteer:{volunteer.id}", data={"message_ids": [out.id]})
        self.log(EventKind.MESSAGE_OUT, f"sent to +86 138****8111 (1 segment(s), "
                 f"{out.provider_sid})", message_id=out.id, data={"status": "sent"})
        self.log(EventKind.MESSAGE_OUT, f"send confirmed by the provider ({out.provider_sid}, "
                 f"{status})", message_id=out.id)


def write_stories(volunteer_id: int, organisation_id: int, rounds: int = 30) -> Stories:
    """Both cases, in the volunteer's organisation, assigned to the volunteer."""
    with get_db().begin() as s:
        volunteer = s.get(Volunteer, volunteer_id)
        assert volunteer is not None
        worker = Contact(phone="+8613800138111", name="王大姐", home_province="河南",
                         work_province="广东", work_city="深圳")
        injured = Contact(phone="+8613800138222", home_province="四川")
        s.add_all([worker, injured])
        s.flush()
        wages = Case(contact_id=worker.id, organisation_id=organisation_id,
                     category=CaseCategory.WAGES, status=CaseStatus.NEW,
                     summary="老板拖欠我们三个月工资，厂里十几个人都没拿到！",
                     employer="深圳市宏达电子厂",
                     work_province="广东", work_city="深圳", place_said="广东省深圳市",
                     amount_owed=12000, months_unpaid=3, people_affected=12,
                     people_approximate=True, details={"still_employed": False,
                                                       "left_on": "2026-10-31"})
        s.add(wages)
        s.flush()
        wages.assign_number()
        w = Writer(s, wages, start_minutes_ago=rounds * 6 + 60)
        w.log(EventKind.STATUS, "case opened by SMS", data={"to": "new"})
        first = w.worker_says(wages.summary or "", worker.phone)
        w.reply(first, f"工友热线：已收到，案件编号{wages.number}。"
                "您遇到什么问题？回复数字：1欠薪 2工伤 3合同或辞退")
        for answer, note, question in INTAKE:
            msg = w.worker_says(answer, worker.phone)
            key, _, value = note.partition("=")
            w.log(EventKind.NOTE, f"intake (sms) {note}", actor="worker",
                  data={"flow": "intake", "node": key, "answers": {key: value}})
            w.reply(msg, question)
        done = w.worker_says("1", worker.phone)
        w.log(EventKind.NOTE, "intake finished by SMS",
              data={"flow": "intake", "node": "confirm", "status": "done"})
        w.reply(done, f"已登记。您的案件编号是{wages.number}。"
                "志愿者会尽快联系您。请保留手头的证据，如工资条、合同、病历或聊天记录。")
        w.log(EventKind.ROUTING, "queue: 固始县服务站 (work province 广东 is in its region 广东)",
              data={"organisation_id": organisation_id})
        w.log(EventKind.ROUTING, "round 1: offered to 1 of 2 eligible", data={"round": 1})
        w.log(EventKind.OFFER, f"offered to {volunteer.name} (#{volunteer.id}), score 85",
              data={"total": 85, "parts": {"skill": 30.0, "dialect": 25.0, "load": 0.0}})
        w.log(EventKind.STATUS, "new → offered", data={"from": "new", "to": "offered"})
        w.log(EventKind.MESSAGE_OUT, f"sent to +86 139****0001 (1 segment(s), {sid()})",
              data={"status": "sent"})
        w.log(EventKind.OFFER_ANSWER, f"accepted by {volunteer.name}",
              actor=f"volunteer:{volunteer.id}")
        w.log(EventKind.STATUS, "offered → assigned", actor=f"volunteer:{volunteer.id}",
              data={"from": "offered", "to": "assigned"})
        wages.status, wages.assigned_volunteer_id = CaseStatus.ASSIGNED, volunteer.id
        w.relay(volunteer, RELAYED, worker.phone, MessageStatus.DELIVERED)
        w.log(EventKind.STATUS, "assigned → in_progress: volunteer contacted the worker",
              actor=f"volunteer:{volunteer.id}",
              data={"from": "assigned", "to": "in_progress"})
        wages.status = CaseStatus.IN_PROGRESS
        for i in range(rounds):
            asked = w.worker_says(f"第{i + 1}次：老板还是不接电话，怎么办？", worker.phone)
            w.reply(asked, f"工友热线：已收到，已记入案件{wages.number}。")
            w.log(EventKind.MESSAGE_OUT, f"forwarded to volunteer {volunteer.name}")
            w.relay(volunteer, f"收到（第{i + 1}次）。我们正在联系劳动监察大队，请耐心等待。",
                    worker.phone, MessageStatus.DELIVERED)
            if i % 7 == 3:
                w.log(EventKind.NOTE, f"给劳动监察大队打了电话，第{i + 1}次跟进：对方说下周处理。",
                      actor=f"volunteer:{volunteer.id}")
        last = w.worker_says(NEWEST, worker.phone)
        w.reply(last, f"工友热线：已收到，已记入案件{wages.number}。")

        injury = Case(contact_id=injured.id, organisation_id=organisation_id,
                      category=CaseCategory.INJURY, status=CaseStatus.ASSIGNED,
                      urgency=Urgency.URGENT, assigned_volunteer_id=volunteer.id,
                      summary="在工地从脚手架上摔下来，腿骨折了，老板不管。",
                      employer="成都某建筑工地",
                      work_province="四川", work_city="成都", place_said="四川成都郫县",
                      amount_owed=0, people_affected=1,
                      details={"injured_on": "2026-11-20", "injury_place": "工地脚手架",
                               "in_hospital": True, "employer_pays_treatment": False,
                               "injury_claim_filed": False})
        s.add(injury)
        s.flush()
        injury.assign_number()
        v = Writer(s, injury, start_minutes_ago=90)
        v.log(EventKind.STATUS, "case opened by SMS", data={"to": "new"})
        msg = v.worker_says(injury.summary or "", injured.phone)
        v.reply(msg, f"工友热线：已收到，案件编号{injury.number}。")
        v.log(EventKind.ROUTING, "urgent: injury", data={"urgent": True})
        v.log(EventKind.OFFER_ANSWER, f"accepted by {volunteer.name}",
              actor=f"volunteer:{volunteer.id}")
        v.log(EventKind.STATUS, "offered → assigned", actor=f"volunteer:{volunteer.id}",
              data={"from": "offered", "to": "assigned"})
        v.relay(volunteer, "您先安心治疗，保留好病历和缴费单据。工伤认定要在受伤后一年内申请。",
                injured.phone, MessageStatus.SENT)
        numbers = Stories(int(wages.number or 0), int(injury.number or 0))
    return numbers


def case_id(number: int) -> int:
    """A case's id by number."""
    with get_db().begin() as s:
        found = s.scalar(select(Case.id).where(Case.number == number))
        assert found is not None
        return int(found)
