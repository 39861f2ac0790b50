"""What the hotline does whatever carries its texts, on Twilio and on Alibaba Cloud SMS alike
(tests/provider_support.py): a first text opens a case and is answered, thanks opens none,
STOP/退订 opts out, a volunteer answers an offer with Y or N, a delivery report settles the
row, a relay reaches the worker (on Alibaba as the templated notice), and a whole wages intake
in Chinese runs by SMS — on Alibaba with only the templates `hotline templates draft` wrote —
and a case's whole loop (offer, Y, relay, the worker's answer, DONE, survey) runs in-process."""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

from sqlalchemy import func, select

from hotline.infra.db import get_db
from models import (
    Case,
    CaseCategory,
    CaseStatus,
    Contact,
    Direction,
    Message,
    MessageStatus,
    Offer,
    Purpose,
    Volunteer,
)
from tests.provider_support import World, fake_alibaba, on_provider  # noqa: F401
from tests.test_e2e import INTAKE_ANSWERS
from tests.test_routing_support import AMOUNT, add_case

WORKER = "+8613800138000"
VOLUNTEER = "+8613900000001"


def cases() -> list[Case]:
    """Every case, oldest first."""
    with get_db().begin() as s:
        return list(s.scalars(select(Case).order_by(Case.id)))


def outbound(purpose: Purpose, to: str) -> list[Message]:
    """Outbound messages of one purpose to one number, oldest first."""
    with get_db().begin() as s:
        return list(s.scalars(select(Message).where(
            Message.direction == Direction.OUTBOUND, Message.purpose == purpose,
            Message.to_number == to).order_by(Message.id)))


def failed_sends() -> list[tuple[str, str | None]]:
    """(body, reason) of every outbound text that could not be sent."""
    with get_db().begin() as s:
        return [(b, e) for b, e in s.execute(select(Message.body, Message.error_message).where(
            Message.direction == Direction.OUTBOUND, Message.status == MessageStatus.FAILED))]


def add_volunteer(phone: str = VOLUNTEER) -> None:
    """An on-duty volunteer who speaks Mandarin."""
    with get_db().begin() as s:
        s.add(Volunteer(name=f"志愿者{phone[-2:]}", phone=phone, languages=["zh"], on_duty=True))


def test_a_first_text_opens_a_case_and_is_answered(on_provider: World) -> None:
    got = on_provider.text(WORKER, "老板拖欠我三个月工资，一共一万二")
    [case] = cases()
    assert case.category == CaseCategory.WAGES and case.number is not None
    [answer] = got
    assert answer.startswith(f"工友热线：已收到，案件编号{case.number}。")
    assert "哪个省市打工" in answer  # the intake's first question it does not know yet
    assert failed_sends() == []


# Thanks, acknowledgements, emoji, festival wishes: each from a number never heard before.
THANKS = ["谢谢", "收到，谢谢", "👍", "新年快乐"]


def test_thanks_opens_no_case(on_provider: World) -> None:
    for i, words in enumerate(THANKS):
        got = on_provider.text(f"+861380013810{i}", words)
        assert got == ["您好，这里是工友热线。遇到欠薪、工伤等问题，请直接发短信说明情况，"
                       "例如：老板欠我三个月工资。"], words
    assert cases() == []
    assert failed_sends() == []


STOPS = ["STOP", "退订", "TD", "【退订】"]


def test_stop_opts_the_worker_out(on_provider: World) -> None:
    unanswered = []
    for i, word in enumerate(STOPS):
        phone = f"+861380013820{i}"
        got = on_provider.text(phone, word)
        with get_db().begin() as s:
            contact = s.scalar(select(Contact).where(Contact.phone == phone))
            assert contact is not None and contact.opted_out_at is not None, word
        if not got:
            unanswered.append(word)
        else:
            assert len(got) == 1 and ("START" in got[0] or "订阅" in got[0]), got
    assert cases() == []
    # Twilio answers inline; on Alibaba the confirmation is an outbound text of its own, which
    # the opt-out rule lets through (it answers the STOP itself).
    assert unanswered == [] and failed_sends() == []


SECOND = "+8613900000002"


def urgent_case_offered_to_two(world: World) -> Case:
    """A work injury (urgent: offered to several volunteers at once) offered to two."""
    add_volunteer()
    add_volunteer(SECOND)
    world.text(WORKER, "我在工地摔伤了，老板不管")
    [case] = cases()
    world.route(case.id)
    return case


def test_volunteers_answer_the_offer_n_then_y(on_provider: World) -> None:
    case = urgent_case_offered_to_two(on_provider)
    for phone in (VOLUNTEER, SECOND):
        [offer] = on_provider.got(phone)
        assert offer.startswith(f"新案件 #{case.number}") and f"Y{case.number}" in offer
        assert WORKER[3:] not in offer
    [declined] = on_provider.text(VOLUNTEER, f"N{case.number}")
    assert declined == f"已拒绝案件#{case.number}，谢谢告知。"
    [accepted] = on_provider.text(SECOND, f"Y {case.number}")
    assert accepted == f"案件#{case.number}已分配给您，请尽快联系当事人。"
    with get_db().begin() as s:
        states = {phone: status for phone, status in s.execute(select(
            Volunteer.phone, Offer.status).join(Offer, Offer.volunteer_id == Volunteer.id))}
        owner = s.scalar(select(Volunteer.phone).join(
            Case, Case.assigned_volunteer_id == Volunteer.id))
    assert {p: str(v) for p, v in states.items()} == {VOLUNTEER: "declined",
                                                      SECOND: "accepted"}
    assert owner == SECOND and cases()[0].status == CaseStatus.ASSIGNED
    assert failed_sends() == []


# Not delivered: Twilio says "undelivered" (the handset), Alibaba success=false.
NOT_DELIVERED = {MessageStatus.UNDELIVERED, MessageStatus.FAILED}


def test_delivery_reports_settle_their_rows(on_provider: World) -> None:
    urgent_case_offered_to_two(on_provider)
    [first] = outbound(Purpose.OFFER, VOLUNTEER)
    [second] = outbound(Purpose.OFFER, SECOND)
    assert first.status == second.status == MessageStatus.ACCEPTED and first.provider_sid
    assert on_provider.report(first.id, delivered=True) in (200, 204)
    assert on_provider.report(second.id, delivered=False) in (200, 204)
    [first] = outbound(Purpose.OFFER, VOLUNTEER)
    [second] = outbound(Purpose.OFFER, SECOND)
    assert first.status == MessageStatus.DELIVERED and second.status in NOT_DELIVERED
    # A late or repeated report never moves a row back.
    on_provider.report(first.id, delivered=False)
    on_provider.report(second.id, delivered=True)
    assert outbound(Purpose.OFFER, VOLUNTEER)[0].status == MessageStatus.DELIVERED
    assert outbound(Purpose.OFFER, SECOND)[0].status == second.status


def test_a_relay_reaches_the_worker(on_provider: World) -> None:
    add_volunteer()
    on_provider.text(WORKER, "老板欠我两个月工资")
    [case] = cases()
    on_provider.route(case.id)
    on_provider.text(VOLUNTEER, f"Y{case.number}")
    before = len(on_provider.got(WORKER))
    [told] = on_provider.text(VOLUNTEER, f"R{case.number} 明天上午十点给您打电话")
    got = on_provider.got(WORKER)[before:]
    if on_provider.provider == "twilio":
        assert told == f"已转告#{case.number}工友。"
        assert len(got) == 1 and got[0].endswith("明天上午十点给您打电话")
    else:  # the carrier approved no template carrying a volunteer's own words
        assert told.startswith("短信平台只能发送审核过的固定内容") and f"#{case.number}" in told
        assert got == [f"工友热线：您有一条关于案件#{case.number}的新消息，"
                       f"请致电热线10086000000。"]
    assert failed_sends() == []


def test_a_whole_wages_intake_in_chinese(on_provider: World) -> None:
    answers = [on_provider.text(WORKER, "我需要帮助")]
    answers += [on_provider.text(WORKER, answer) for answer in INTAKE_ANSWERS]
    [case] = cases()
    # Every step answered with exactly one text, none refused for want of a template.
    assert [len(a) for a in answers] == [1] * (len(INTAKE_ANSWERS) + 1), answers
    assert failed_sends() == []
    assert answers[0][0].startswith(f"工友热线：已收到，案件编号{case.number}。您遇到什么问题")
    assert answers[-2][0].startswith("您说的是：欠薪，广东深圳，某某厂，欠12000元，3个月")
    assert answers[-1][0] == (f"已登记。您的案件编号是{case.number}。"
                              "志愿者会尽快联系您。请保留手头的证据，如工资条、合同、病历或聊天记录。")
    assert (case.category, case.work_province, case.employer) == (
        CaseCategory.WAGES, "广东", "某某厂")
    with get_db().begin() as s:
        replies = s.scalar(select(func.count()).select_from(Message).where(
            Message.direction == Direction.OUTBOUND, Message.to_number == WORKER))
    fake = on_provider.fake_alibaba
    if fake is not None:  # each answer went out as an approved template of its own
        assert replies == len(INTAKE_ANSWERS) + 1
        assert all(m["sign_name"] == "工友热线" and m["template_code"] for m in fake.sent)


def test_offer_accept_relay_worker_reply_close_survey(on_provider: World) -> None:
    """The loop tests/test_routing_e2e.py runs through a real Celery worker on Twilio, here
    in-process on both: offer → Y → relay → the worker answers → DONE → survey → score."""
    add_volunteer()
    add_case(WORKER, people_affected=3, amount_owed=AMOUNT)  # its intake done
    [case] = cases()
    on_provider.route(case.id)
    [offer] = on_provider.got(VOLUNTEER)
    assert offer.startswith(f"新案件 #{case.number} 欠薪 深圳 3人 约¥12000"), offer
    assert WORKER[3:] not in offer
    assert "已分配给您" in (on_provider.reply(VOLUNTEER, f"Y {case.number}") or "")
    on_provider.text(VOLUNTEER, f"R{case.number} 明天上午十点给您打电话")
    [relay] = on_provider.got(WORKER)[-1:]
    assert VOLUNTEER[3:] not in relay
    if on_provider.provider == "twilio":
        assert relay.endswith("明天上午十点给您打电话")
    else:  # no carrier approves a volunteer's own words: the templated notice
        assert f"案件#{case.number}的新消息" in relay
    before = len(on_provider.got(VOLUNTEER))
    on_provider.text(WORKER, "好的 我等您电话")
    forwarded = on_provider.got(VOLUNTEER)[before:]
    assert forwarded == [f"#{case.number}工友：好的 我等您电话"]
    assert "已办结" in (on_provider.reply(VOLUNTEER, f"DONE {case.number} 12000") or "")
    [survey] = on_provider.got(WORKER)[-1:]
    assert "1-5" in survey, survey
    assert "谢谢" in (on_provider.reply(WORKER, "5") or "")
    [case] = cases()
    assert (case.status, case.amount_recovered, case.satisfaction) == (
        CaseStatus.RESOLVED, 12000, 5)
    assert failed_sends() == []
