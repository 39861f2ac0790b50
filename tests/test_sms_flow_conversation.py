"""The intake flow by SMS: full walks, commands at any point, expiry, 30-day continuation.

Each runs on Twilio and on Alibaba Cloud SMS (tests/provider_support.py): the worker texts
through the carrier's own front door and reads what their handset got. Only the picture test
stays on Twilio: Alibaba's SmsUp carries text alone (no MMS), so a picture never arrives there.
"""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any, cast

import redis as redis_lib
from flask import Flask
from sqlalchemy import func, select

from hotline.infra.db import get_db
from hotline.infra.queues import broker_keys
from models import Case, CaseStatus, Contact, FlowSession, FlowStatus, Message, Urgency, utcnow
from notifications.campaigns.audience import Audience
from notifications.segments import count_segments
from tests.conftest import sms_form
from tests.provider_support import World, fake_alibaba, on_provider  # noqa: F401

WORKER = "+8613800138000"
OTHER = "+8613700137000"


def text(world: World, body: str, sender: str = WORKER) -> str | None:
    """Send one SMS; return the reply text (None when the hotline says nothing)."""
    got = world.text(sender, body)
    assert len(got) <= 1, got
    return got[0] if got else None


def twilio_text(post_signed: Any, body: str, sender: str = WORKER) -> str | None:
    """Send one SMS as a signed Twilio webhook; return the TwiML reply (None: no answer). For
    the tests that stay on Twilio (the reply's own length, the branches' walks)."""
    return mms(post_signed, body, sender)


def mms(post_signed: Any, body: str, sender: str = WORKER, **extra: str) -> str | None:
    """Send one Twilio MMS; return the TwiML reply text (None when the hotline says nothing)."""
    resp = post_signed("/twilio/sms", sms_form(sender, body, **extra))
    assert resp.status_code == 200, resp.data
    messages = ET.fromstring(resp.data).findall("Message")
    assert len(messages) <= 1
    return (messages[0].text or "") if messages else None


def the_case(number: int = 1001) -> Case:
    with get_db().begin() as s:
        return s.scalars(select(Case).where(Case.number == number)).one()


def routed(redis_client: redis_lib.Redis) -> list[tuple[str, str]]:
    """(queue, args) of the route_case tasks waiting in the real Redis broker."""
    found = []
    for queue in ("urgent", "intake"):
        for raw in (r for key in broker_keys(queue)
                    for r in cast(list[bytes], redis_client.lrange(key, 0, -1))):
            headers = json.loads(raw)["headers"]
            # (On Alibaba the answers to the worker wait in the urgent queue too.)
            if headers["task"] == "hotline.routing.route_case":
                found.append((queue, headers["argsrepr"]))
    return found


def count(model: Any) -> int:
    with get_db().begin() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


# Asks for help without naming the problem: the intake starts at the category question.
HELP_ME = "请帮帮我"
# The first text names the problem and how long: neither is asked, the confirmation reads
# them back.
ZH_WALK = [
    ("老板拖欠我三个月工资", "案件编号1001。您在哪个省市打工"), ("广东省深圳市", "老家"),
    ("我是河南人", "公司"), ("深圳市某某电子有限公司", "多少钱"), ("１２０００元", "几人"),
    ("5", "还在那里做工"),
    ("还在", "欠薪，广东深圳，深圳市某某电子有限公司，欠12000元，3个月，5人"),
    ("对", "1001"),
]


def test_full_walk_in_chinese_ends_with_a_filled_case(on_provider: World,
                                                      redis_client: redis_lib.Redis) -> None:
    for body, expected in ZH_WALK:
        reply = text(on_provider, body)
        assert reply is not None and expected in reply, (body, reply)
        assert count_segments(reply).segments <= 2, reply
        if body != ZH_WALK[-1][0]:
            assert routed(redis_client) == [], "routed only when the intake ends"
    case = the_case()
    assert (case.category, case.work_province, case.work_city) == ("wages", "广东", "深圳")
    assert (case.employer, case.amount_owed, case.months_unpaid, case.people_affected) == (
        "深圳市某某电子有限公司", 12000, 3, 5)
    assert (case.urgency, case.status, case.summary) == (
        Urgency.NORMAL, CaseStatus.NEW, "老板拖欠我三个月工资")
    assert case.dialect == "henan"
    with get_db().begin() as s:
        contact = s.get(Contact, case.contact_id)
        assert contact is not None and contact.home_province == "河南"
        # Where they work is on the contact too, so a campaign to "深圳市" finds them.
        assert (contact.work_province, contact.work_city) == ("广东", "深圳")
        for cities in (["深圳市"], ["深圳"]):
            audience = Audience(cities=cities).contacts().subquery()
            assert s.scalar(select(func.count()).select_from(audience)) == 1
    assert routed(redis_client) == [("intake", f"({case.id},)")]
    assert "已记入" in (text(on_provider, "老板今天说下个月发") or "")  # a follow-up
    assert len(routed(redis_client)) == 1 and count(Case) == 1


def test_english_walk_with_keywords_and_urgent_category(on_provider: World,
                                                        redis_client: redis_lib.Redis) -> None:
    first = text(on_provider, "Hello, I need help")
    assert first is not None and first.startswith("Hotline:") and "1001" in first
    assert "6 many of us unpaid" in first
    replies = [text(on_provider, body) or "" for body in [
        "I was injured at work", "Zhejiang Hangzhou", "Sichuan", "ACME Shoes Ltd", "Nov 5",
        "the workshop", "yes", "no", "8000 yuan", "2", "yes"]]
    assert not [r for r in replies if "Sorry" in r], replies
    assert not [r for r in replies if "owed" in r or "months" in r], replies  # wage questions
    assert "injured 5 Nov 2026 at the workshop" in replies[-2], replies[-2]
    assert "employer won't pay (you paid ¥8000), no claim yet" in replies[-2], replies[-2]
    case = the_case()
    assert (case.category, case.urgency, case.language) == ("injury", Urgency.URGENT, "en")
    assert (case.work_province, case.work_city, case.employer, case.amount_owed) == (
        "浙江", "杭州", "ACME Shoes Ltd", None)  # a known city in pinyin is stored in characters
    assert case.details == {"injured_on": "2026-11-05", "injury_place": "the workshop",
                            "in_hospital": True, "employer_pays_treatment": False,
                            "medical_costs": 8000, "injury_claim_filed": False}
    assert (case.months_unpaid, case.people_affected) == (None, 1)
    assert case.dialect == "sichuan"
    assert routed(redis_client) == [("urgent", f"({case.id},)")]


def test_an_urgent_text_is_routed_at_once_while_the_questions_go_on(
        on_provider: World, redis_client: redis_lib.Redis) -> None:
    """A work injury or many workers unpaid with the boss gone does not wait for the intake
    (nor for the sweeper): the first text that shows it is urgent hands the case to routing,
    once, and the questions go on filling in the case the volunteer already sees."""
    reply = text(on_provider, "【求助】在东莞工地上摔断了腿😭")
    assert reply is not None and "1001" in reply and "老家" in reply
    case = the_case()
    assert routed(redis_client) == [("urgent", f"({case.id},)")]
    for body in ["四川", "宏达建筑公司", "前天", "在住院", "老板不管", "一万二", "没有", "对"]:
        assert "没看懂" not in (text(on_provider, body) or "")
    assert routed(redis_client) == [("urgent", f"({case.id},)")]  # once, not again at the end
    case = the_case()
    assert case.details["medical_costs"] == 12000 and case.urgency == Urgency.URGENT
    with get_db().begin() as s:
        assert s.scalars(select(FlowSession)).one().status == FlowStatus.DONE

    # A wages text is not urgent: it is routed when its intake ends, with the answers in.
    text(on_provider, "老板欠我两个月工资，八千块", sender=OTHER)
    assert routed(redis_client) == [("urgent", f"({case.id},)")]
    # Many workers and the boss gone: urgent from the first text.
    text(on_provider, "老板欠了我们二十几个人半年的工资，一共三十多万，现在人都找不到了",
         sender="+8613700137001")
    many = the_case(1003)
    assert (many.category, many.urgency, many.amount_owed) == ("collective", Urgency.URGENT,
                                                                300000)
    assert sorted(routed(redis_client)) == [("urgent", f"({case.id},)"),
                                            ("urgent", f"({many.id},)")]


def test_unclear_answers_reprompt_then_ask_for_a_description(on_provider: World) -> None:
    text(on_provider, HELP_ME)
    assert (text(on_provider, "不知道") or "").startswith("没看懂您的回复。")
    text(on_provider, "随便你们")
    reply = text(on_provider, "说不清楚")
    assert reply is not None and "没能看懂" in reply and "写一下您的情况" in reply
    done = text(on_provider, "工厂关门了，老板不见了")
    # A text answered by text: never the phone's "we will call you back, goodbye".
    assert done is not None and "发短信或打电话" in done
    assert "回电" not in done and "再见" not in done
    assert "工厂关门了" in (the_case().summary or "")


def test_picture_mid_flow_is_kept_and_the_question_repeated(app: Flask,
                                                            post_signed: Any) -> None:
    """Twilio only: a picture arrives as MMS, which Alibaba's SmsUp never carries."""
    mms(post_signed, HELP_ME)
    reply = mms(post_signed, "", NumMedia="1", MediaUrl0="https://api.twilio.com/m/1.jpg")
    assert reply is not None and "图片" in reply and "回复数字" in reply
    with get_db().begin() as s:
        assert s.scalars(select(FlowSession)).one().retries == 0
        assert ["https://api.twilio.com/m/1.jpg"] in [m.media_urls for m in s.scalars(
            select(Message))]


def test_language_can_be_changed_mid_flow(on_provider: World) -> None:
    text(on_provider, HELP_ME)
    reply = text(on_provider, "English")
    assert reply is not None and reply.startswith("OK, in English.") and "unpaid wages" in reply
    assert the_case().language == "en"


def test_replayed_message_sid_answers_the_same_and_advances_once(on_provider: World) -> None:
    text(on_provider, HELP_ME)
    # The carrier delivers the same text three times (same MessageSid / sequence_id).
    answers = [on_provider.text(WORKER, "1", key=42) for _ in range(3)]
    # Twilio gets the same TwiML each time; Alibaba's answer is queued once and not again.
    assert len({a for got in answers for a in got}) == 1 and answers[0], answers
    with get_db().begin() as s:
        assert s.scalars(select(FlowSession)).one().node == "place"


COMMANDS = [
    # (body, words expected in the reply, opted out after?); Latin words answer in English
    # except TD, the Chinese convention.
    ("HELP", "STATUS 1024", False), ("帮助", "查询", False), ("help", "STATUS 1024", False),
    ("STOP", "no more bulk SMS", True), ("stop", "no more bulk SMS", True),
    ("TD", "已退订", True), ("退订", "已退订", True), ("停止", "已退订", True),
    ("UNSUBSCRIBE", "no more bulk SMS", True), ("ＳＴＯＰ", "已退订", True),
    ("STOPALL", "no more bulk SMS", True), ("CANCEL", "no more bulk SMS", True),
    ("END", "no more bulk SMS", True), ("QUIT", "no more bulk SMS", True),
    ("START", "notices again", False), ("订阅", "恢复订阅", False),
    ("STATUS", "no case yet", False), ("查询 1001", "没有找到", False),
]


def test_commands_for_a_new_worker(on_provider: World) -> None:
    # The table in one test, each command from a number never heard before: on two providers
    # and two databases, 18 tests apiece would cost more than they tell.
    wrong = []
    for i, (body, expected, opted_out) in enumerate(COMMANDS):
        sender = f"+86138001390{i:02d}"
        reply = text(on_provider, body, sender)
        with get_db().begin() as s:
            contact = s.scalars(select(Contact).where(Contact.phone == sender)).one()
            [inbound] = s.scalars(select(Message).where(Message.from_number == sender))
            state = (contact.opted_out, inbound.reply_body)
        if reply is None or expected not in reply or state != (opted_out, reply):
            wrong.append((body, reply, state))
    assert wrong == []
    assert count(Case) == 0, "a command opens no case"


def test_stop_is_confirmed_once_and_the_flow_goes_on(on_provider: World) -> None:
    text(on_provider, HELP_ME)
    assert "已退订" in (text(on_provider, "TD") or "")
    assert text(on_provider, "退订") is None  # confirmed once
    assert "省市" in (text(on_provider, "1") or "")  # the intake continues where it was
    assert "恢复" in (text(on_provider, "订阅") or "")


def test_status_only_for_the_workers_own_case(on_provider: World) -> None:
    text(on_provider, HELP_ME)
    assert text(on_provider, "查询1001") == "案件1001（待分类）：已收到，正在安排志愿者。"
    text(on_provider, "1")
    assert "欠薪" in (text(on_provider, "STATUS 1001") or "")
    assert "没有找到" in (text(on_provider, "查询 1001", sender=OTHER) or "")
    assert count(Case) == 1


def test_quiet_for_24_hours_restarts_gently_on_the_same_case(on_provider: World,
                                                           redis_client: redis_lib.Redis) -> None:
    text(on_provider, HELP_ME)
    text(on_provider, "1")
    with get_db().begin() as s:
        s.scalars(select(FlowSession)).one().expires_at = utcnow() - timedelta(minutes=1)
    reply = text(on_provider, "你好，还在吗")
    assert reply is not None and "上次登记没有完成" in reply and "1001" in reply
    assert "省市" in reply and "您遇到什么问题" not in reply  # the question it was waiting on
    assert "老家" in (text(on_provider, "广东深圳") or "")  # and it goes on from there
    with get_db().begin() as s:
        statuses = sorted(str(r.status) for r in s.scalars(select(FlowSession)))
    assert statuses == [FlowStatus.ABANDONED, FlowStatus.ACTIVE]
    assert routed(redis_client) == [("intake", f"({the_case().id},)")]  # the quiet one
    assert count(Case) == 1
    case = the_case()
    assert (case.category, case.work_city) == ("wages", "深圳")
    with get_db().begin() as s:
        active = s.scalars(select(FlowSession).where(FlowSession.status == FlowStatus.ACTIVE)
                           ).one()
        assert active.answers["category"] == "wages"  # the answers so far came along


def test_quiet_thread_whose_question_is_gone_starts_again_and_says_so(on_provider: World) -> None:
    text(on_provider, HELP_ME)
    with get_db().begin() as s:
        row = s.scalars(select(FlowSession)).one()
        row.expires_at, row.node = utcnow() - timedelta(minutes=1), "no_such_question"
    reply = text(on_provider, "在吗")
    assert reply is not None and "重新开始" in reply and "您遇到什么问题" in reply


def test_texting_after_30_days_opens_a_new_case(on_provider: World) -> None:
    text(on_provider, HELP_ME)
    with get_db().begin() as s:
        s.scalars(select(Case)).one().updated_at = utcnow() - timedelta(days=31)
    reply = text(on_provider, "又有问题了")
    assert reply is not None and "1002" in reply
    assert count(Case) == 2


def test_assigned_case_texts_are_follow_ups_not_menu_answers(on_provider: World) -> None:
    text(on_provider, HELP_ME)
    with get_db().begin() as s:
        s.scalars(select(FlowSession)).one().expires_at = utcnow() - timedelta(minutes=1)
        case = s.scalars(select(Case)).one()
        case.move_to(CaseStatus.ESCALATED)
        case.move_to(CaseStatus.ASSIGNED)
    reply = text(on_provider, "1")
    assert reply is not None and "已记入" in reply


def walk(world: World, home: str, sender: str = WORKER) -> None:
    """A whole SMS intake answering `home` to the home-province question."""
    for body in ["老板拖欠我三个月工资", "广东深圳", home, "某某电子厂", "12000", "1", "还在",
                 "1"]:
        text(world, body, sender=sender)


def test_routing_prefers_a_volunteer_of_the_workers_dialect(on_provider: World) -> None:
    from hotline.matching import rank_candidates
    from models import Volunteer

    with get_db().begin() as s:
        for name, phone, dialects, home in [("王", "+8613900000009", [], "广东"),
                                            ("张", "+8613900000001", ["henan"], "河南")]:
            s.add(Volunteer(name=name, phone=phone, languages=["zh"], dialects=dialects,
                            home_province=home, skills=["wages"], on_duty=True))
    walk(on_provider, "1")  # key 1: 河南
    with get_db().begin() as s:
        case = s.scalars(select(Case)).one()
        assert (case.dialect, case.contact.home_province) == ("henan", "河南")
        best, other = rank_candidates(s, case, utcnow())
        assert s.get(Volunteer, best.volunteer_id).name == "张"  # type: ignore[union-attr]
        assert {"dialect", "home_province"} <= set(best.parts)
        assert not {"dialect", "home_province"} & set(other.parts)


def test_a_known_home_province_is_not_asked_again_and_other_keeps_it(on_provider: World) -> None:
    walk(on_provider, "我是湖南人")
    with get_db().begin() as s:
        s.scalars(select(Case)).one().move_to(CaseStatus.CLOSED)
    replies = [text(on_provider, body) for body in ["又欠薪了", "广东东莞"]]
    assert "公司" in (replies[-1] or "") and "老家" not in (replies[-1] or "")
    assert the_case(1002).dialect == "hunan"  # from the worker's file, not asked again


def test_redoing_the_questions_asks_again_and_other_keeps_the_province(on_provider: World) -> None:
    for body in [HELP_ME, "1", "广东东莞", "3", "某厂", "12000", "1", "1", "1"]:
        text(on_provider, body)
    assert the_case().dialect == "hunan"
    text(on_provider, "2")  # not right: the questions again
    text(on_provider, "1")
    assert "老家" in (text(on_provider, "广东东莞") or "")  # answered in this run: asked again
    assert "公司" in (text(on_provider, "9") or "")  # other / skip
    with get_db().begin() as s:
        assert s.scalars(select(Contact)).one().home_province == "湖南"
    assert the_case().dialect == "hunan"


def test_home_province_named_in_free_text_off_the_menu(on_provider: World) -> None:
    walk(on_provider, "老家是河北的")
    case = the_case()
    assert case.dialect is None  # no volunteer dialect for 河北
    with get_db().begin() as s:
        assert s.scalars(select(Contact)).one().home_province == "河北"


def test_emoji_and_traditional_chinese_are_stored_intact(on_provider: World) -> None:
    from models import CaseEvent, Direction, EventKind

    first = "老闆欠我三個月工資😡🙏 怎麼辦？"
    employer = "宏達電子廠👨‍👩‍👧"  # an emoji held together by zero-width joiners
    for body in [first, "廣東深圳", "河南", employer]:
        reply = text(on_provider, body)
        assert reply and "没看懂" not in reply, (body, reply)
    case = the_case()
    assert (case.summary, case.employer) == (first, employer)
    with get_db().begin() as s:
        bodies = [m.body for m in s.scalars(select(Message).order_by(Message.id))
                  if m.direction == Direction.INBOUND]
        assert bodies == [first, "廣東深圳", "河南", employer]
        texts = [e.text for e in s.scalars(select(CaseEvent).where(
            CaseEvent.kind == EventKind.MESSAGE_IN).order_by(CaseEvent.id))]
        assert texts[0] == first and texts[-1] == employer
