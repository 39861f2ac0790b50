"""What opens a case: a person's problem or a request for help, never "谢谢", "好的", "👍" or
"新年快乐". Real texts through each carrier's front door (a signed Twilio webhook, an Alibaba
SmsUp push: tests/provider_support.py), on SQLite and PostgreSQL."""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from hotline.cases import inbox_messages
from hotline.infra.db import get_db
from hotline.matching import current_load
from hotline.routing import route_case
from hotline.sweeper import claim_unrouted_cases
from ivr_flows.model import OfficeHours
from models import (
    Case,
    CaseCategory,
    CaseStatus,
    Contact,
    FlowSession,
    Message,
    Offer,
    Urgency,
    utcnow,
)
from tests.provider_support import World, fake_alibaba, on_provider  # noqa: F401
from tests.test_campaign_send import add_contacts, phone
from tests.test_routing_support import add_case, add_volunteer

# Thanks, acknowledgements, greetings, festival wishes and emoji: no case, the staff inbox.
PLEASANTRIES = [
    "谢谢", "谢谢！", "多谢多谢", "收到", "收到，谢谢", "好的", "好", "嗯嗯", "知道了", "了解",
    "辛苦了", "好的，谢谢您", "【谢谢】", "ＯＫ", "OK", "ok thanks", "OK thanks", "Thanks!",
    "thank you", "👍", "🙏🙏", "😊", "👍👍👍", "新年快乐", "新年快乐！恭喜发财🧧", "中秋节快乐",
    "春节快乐", "Happy new year", "你好", "您好", "hello", "Hi", "早上好", "在吗", "在吗？",
    "哈哈", "祝你们工作顺利",
]
# A problem (with facts) or a request for help: a case, answered with its number.
OPENERS = [
    "老板欠我三个月工资", "我在工地摔伤了", "公司不给我交社保", "被辞退了没有补偿",
    "工资一万二没发", "【求助】老板拖欠工资两个月", "我需要帮助", "请帮帮我", "有事想咨询",
    "My boss owes me 3 months wages", "I got hurt at work", "please help me", "求助",
    "你好，老板欠我工资", "在吗？工资被拖欠了", "新年快乐，老板还欠我一万块",
    "我们十几个人都没拿到工资", "１２０００元没给", "谢谢，我还有个问题",
]
ENGLISH = {"OK", "ok thanks", "OK thanks", "Thanks!", "thank you", "Happy new year", "hello",
           "Hi"}
# Questions about the hotline itself: no case, a reply that says who we are, that it is free and
# what to text, and the staff inbox (staff see who doubts us).
ABOUT_US = [
    "你们是骗子吧", "这是诈骗短信吗？", "真的假的？？？", "你好，请问你们是干什么的？", "你们是谁",
    "靠谱吗", "收费吗", "要钱吗", "【你们是骗子吗】", "你们是骗子吧😂", "恁是弄啥嘞",
    "ＨＥＬＬＯ，你们是谁？", "is this a scam", "Who are you?", "Is this for real?", "is it free?",
]
ABOUT_US_ENGLISH = {"is this a scam", "Who are you?", "Is this for real?", "is it free?"}
# A fraud the worker suffered, or a doubt said beside a problem: a case of that problem.
FRAUD_PROBLEMS = [
    ("老板骗我签了假合同", CaseCategory.CONTRACT), ("中介骗了我三千块押金", CaseCategory.CONTRACT),
    ("被黑中介骗了", CaseCategory.OTHER_LEGAL),
    ("你们是不是骗子？我被欠了三个月工资", CaseCategory.WAGES),
]


def about_us_reply(body: str, reply: str) -> bool:
    """Whether `reply` says who the hotline is, that it is free and what to text."""
    words = (("workers' hotline", "all free", "Text us what happened") if body in ABOUT_US_ENGLISH
             else ("工友热线", "不收一分钱", "发短信说说情况"))
    return all(word in reply for word in words)


def count(model: Any) -> int:
    with get_db().begin() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def texts(world: World, phone_number: str, body: str) -> str:
    """What `phone_number` got back for one text, its parts joined by " / "."""
    return " / ".join(world.text(phone_number, body))


def inbound(phone_number: str) -> Message:
    with get_db().begin() as s:
        return s.scalars(select(Message).where(Message.from_number == phone_number)
                         .order_by(Message.id.desc()).limit(1)).one()


def test_the_table_of_texts_from_new_numbers(on_provider: World) -> None:
    assert len(PLEASANTRIES) + len(OPENERS) >= 40
    wrong: list[str] = []
    for i, body in enumerate(PLEASANTRIES):
        number = f"+861380000{i:04d}"
        reply = texts(on_provider, number, body)
        msg = inbound(number)
        if count(Case) != 0 or (msg.case_id, msg.inbox_state) != (None, "open"):
            wrong.append(f"{body!r} opened a case or missed the inbox")
        hint = "text us what happened" if body in ENGLISH else "请直接发短信说明情况"
        if hint not in reply or msg.reply_body != reply:
            wrong.append(f"{body!r} got {reply!r}")
    assert wrong == []
    with get_db().begin() as s:
        assert len(inbox_messages(s, None)) == len(PLEASANTRIES)
        assert s.scalar(select(func.count()).select_from(Contact)) == len(PLEASANTRIES)
    for i, body in enumerate(OPENERS):
        number = f"+861390000{i:04d}"
        reply = texts(on_provider, number, body)
        msg = inbound(number)
        expected = 1001 + i
        if msg.case_id is None or msg.inbox_state is not None or str(expected) not in reply:
            wrong.append(f"{body!r} did not open case {expected}: {reply!r}")
    assert wrong == []
    assert count(Case) == len(OPENERS)


def test_pleasantries_from_a_known_worker_with_nothing_open(on_provider: World) -> None:
    worker = "+8613800138222"
    add_case(worker, status=CaseStatus.CLOSED, closed_at=utcnow() - timedelta(days=90))
    for body in ["谢谢", "新年快乐🧧", "👍", "Thanks!", "收到"]:
        reply = texts(on_provider, worker, body)
        assert ("thank you for your message" if body == "Thanks!" else "谢谢您的消息") in reply
        msg = inbound(worker)
        assert (msg.case_id, msg.inbox_state) == (None, "open")
    assert count(Case) == 1


def test_a_text_joins_the_open_case_and_thanks_mid_intake_burns_no_retry(
        on_provider: World) -> None:
    worker = "+8613800138333"
    first = texts(on_provider, worker, "我需要帮助")  # a request: the flow asks the problem
    assert "1001" in first
    question = first.split("1001", 1)[1][-20:]

    def flow() -> FlowSession:
        with get_db().begin() as s:
            return s.scalars(select(FlowSession).order_by(FlowSession.id.desc())).first()  # type: ignore[return-value]

    start = flow()
    for body in ["谢谢", "👍", "好的", "谢谢", "收到", "嗯嗯"]:  # more than the retries allowed
        reply = texts(on_provider, worker, body)
        assert question in reply, (body, reply)
        row = flow()
        assert (row.node, row.retries, row.id) == (start.node, 0, start.id)
        msg = inbound(worker)
        assert msg.case_id is not None and msg.inbox_state is None  # on the case, as today
    assert count(Case) == 1
    reply = texts(on_provider, worker, "1")  # a real answer moves on
    assert flow().node != start.node


def test_thanks_never_becomes_a_free_text_answer(on_provider: World) -> None:
    worker = "+8613800138334"
    assert "打工" in texts(on_provider, worker, "老板拖欠我三个月工资")  # asks the place
    for body in ["谢谢", "好的👍", "OK thanks", "收到"]:  # the place is asked again each time
        assert "打工" in texts(on_provider, worker, body), body
    with get_db().begin() as s:
        case = s.scalars(select(Case)).one()
        assert case.work_city is None and case.place_said is None
    assert "老家" in texts(on_provider, worker, "广东东莞")  # a real place moves on
    with get_db().begin() as s:
        assert s.scalars(select(Case.work_city)).one() == "东莞"


def test_a_pleasantry_reply_to_a_campaign_goes_to_the_inbox(on_provider: World) -> None:
    add_contacts(3)
    on_provider.campaign("{name}您好，周六有维权培训，回复1报名", rsvp_keywords=["1"])
    signup = texts(on_provider, phone(0), "1")
    assert signup == "已报名，谢谢！"
    for i, body in [(1, "收到，谢谢"), (2, "👍")]:
        texts(on_provider, phone(i), body)
        msg = inbound(phone(i))
        assert (msg.case_id, msg.inbox_state) == (None, "open")
    assert count(Case) == 0
    assert "案件编号" in texts(on_provider, phone(1), "老板欠我工资")
    assert count(Case) == 1


def test_thanks_cannot_fill_volunteers_so_an_urgent_case_reaches_one(on_provider: World) -> None:
    """The incident: a dozen thank-you texts filled every volunteer, an urgent case found
    nobody. Now they open nothing; the injury is offered at once."""
    vols = [add_volunteer(capacity=1, skills=["injury"]) for _ in range(2)]
    for i, body in enumerate(["谢谢", "收到", "好的", "👍", "新年快乐", "OK thanks", "辛苦了",
                              "您好", "🙏", "哈哈", "谢谢！", "好"]):
        texts(on_provider, f"+861370000{i:04d}", body)
    with get_db().begin() as s:
        for msg in s.scalars(select(Message)):
            msg.created_at = utcnow() - timedelta(hours=1)  # long past the quiet period
    assert claim_unrouted_cases() == [] and count(Case) == 0
    reply = texts(on_provider, "+8613700009999", "我在工地摔伤了，老板不管")
    assert "1001" in reply
    with get_db().begin() as s:
        case = s.scalars(select(Case)).one()
        assert case.urgency == Urgency.URGENT
        case_id = case.id
    assert "queued" in route_case(case_id)
    with get_db().begin() as s:
        assert {o.volunteer_id for o in s.scalars(select(Offer))} == set(vols)
        assert current_load(s) == {v: 1 for v in vols}


def test_replayed_pleasantry_is_answered_the_same_and_stored_once(on_provider: World) -> None:
    first = on_provider.text("+8613800138444", "谢谢", key=7)
    again = on_provider.text("+8613800138444", "谢谢", key=7)
    # Twilio answers the replayed webhook with the same TwiML; Alibaba queues no second answer.
    assert first and again in ([], first)
    with get_db().begin() as s:
        assert s.scalar(select(func.count()).select_from(Message).where(
            Message.from_number == "+8613800138444")) == 1
    assert count(Case) == 0


def test_a_language_switch_with_nothing_open_opens_no_case(on_provider: World) -> None:
    worker = "+8613800138555"
    reply = texts(on_provider, worker, "EN")
    assert "text us what happened" in reply and count(Case) == 0
    msg = inbound(worker)
    assert (msg.case_id, msg.inbox_state) == (None, None)  # nothing for staff to read
    assert "1001" in texts(on_provider, worker, "my boss has not paid me")
    with get_db().begin() as s:
        assert s.scalars(select(Case)).one().language == "en"


def test_questions_about_the_hotline_are_answered_without_a_case(on_provider: World) -> None:
    wrong: list[str] = []
    for i, body in enumerate(ABOUT_US):
        number = f"+861360000{i:04d}"
        reply = texts(on_provider, number, body)
        msg = inbound(number)
        if count(Case) != 0 or (msg.case_id, msg.inbox_state) != (None, "open"):
            wrong.append(f"{body!r} opened a case or missed the inbox")
        if not about_us_reply(body, reply) or msg.reply_body != reply:
            wrong.append(f"{body!r} got {reply!r}")
    assert wrong == []
    with get_db().begin() as s:
        assert sorted(m.body for m in inbox_messages(s, None)) == sorted(ABOUT_US)
    for i, (body, category) in enumerate(FRAUD_PROBLEMS):
        number = f"+861360100{i:04d}"
        reply = texts(on_provider, number, body)
        msg = inbound(number)
        assert str(1001 + i) in reply and msg.inbox_state is None, (body, reply)
        with get_db().begin() as s:
            case = s.get(Case, msg.case_id)
            assert case is not None and case.category == category, body
    assert count(Case) == len(FRAUD_PROBLEMS)


# Asked when someone is there: the same answer, with when volunteers answer the phone.
ASKS_WHEN = ["请问你们周末上班吗", "你们几点上班？", "晚上有人吗？", "节假日上班吗", "过年上班吗😊",
             "【什么时候能打电话】", "What are your hours?", "are you open on the weekend"]


def test_asked_when_we_are_there_the_answer_gives_the_office_hours(on_provider: World) -> None:
    app = on_provider.app
    app.config["OFFICE_HOURS"] = OfficeHours.parse("mon-fri 08:30-20:00")
    for i, body in enumerate(ASKS_WHEN):
        reply = texts(on_provider, f"+861360200{i:04d}", body)
        if body.isascii():
            assert "workers' hotline" in reply and "Text us any time" in reply, reply
            assert "phone Mon-Fri 08:30-20:00" in reply, reply
        else:
            assert "工友热线" in reply and "短信随时可以发" in reply, reply
            assert "电话值班时间是周一至周五 08:30-20:00" in reply, reply
    assert count(Case) == 0
    app.config["OFFICE_HOURS"] = None  # the call flow's own hours
    assert "周一至周六 09:00-21:00" in texts(on_provider, "+8613602009999", "周末上班吗")
    # A question of who we are is not told the hours.
    assert "值班时间" not in texts(on_provider, "+8613602009998", "你们是骗子吧")


def test_a_known_worker_with_nothing_open_is_told_who_we_are(on_provider: World) -> None:
    worker = "+8613800138666"
    add_case(worker, status=CaseStatus.CLOSED, closed_at=utcnow() - timedelta(days=90))
    for body in ["你们是骗子吧", "Who are you?"]:
        assert about_us_reply(body, texts(on_provider, worker, body)), body
        assert (inbound(worker).case_id, inbound(worker).inbox_state) == (None, "open")
    assert count(Case) == 1


def test_a_doubt_from_a_worker_with_an_open_case_lands_on_it(on_provider: World) -> None:
    worker = "+8613800138777"
    assert "打工" in texts(on_provider, worker, "老板拖欠我三个月工资")  # asks the place
    for body in ["你们是骗子吧", "收费吗？", "is this real"]:
        reply = texts(on_provider, worker, body)
        assert "打工" in reply or "work" in reply, (body, reply)  # the same question again
        msg = inbound(worker)
        assert msg.case_id is not None and msg.inbox_state is None, body  # on the case
    with get_db().begin() as s:
        case = s.scalars(select(Case)).one()
        assert case.work_city is None and case.place_said is None  # a doubt is no place
        assert case.category == CaseCategory.WAGES


def test_a_doubt_soon_after_a_finished_case_lands_on_it(on_provider: World) -> None:
    worker = "+8613800138888"
    case_id, number = add_case(worker, status=CaseStatus.CLOSED,
                               closed_at=utcnow() - timedelta(days=2))
    reply = texts(on_provider, worker, "你们是骗子吧")
    assert f"已记入案件{number}" in reply, reply  # noted on it, not "you are welcome"
    assert inbound(worker).case_id == case_id and count(Case) == 1
