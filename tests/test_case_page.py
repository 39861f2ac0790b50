"""The case page people read: a summary in words, the conversation as a chat, no internal codes.

Runs on SQLite and PostgreSQL (web_world and the stories use the `app` fixture's database).
"""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from hotline.web import case_view
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
    Urgency,
    utcnow,
)
from tests.case_stories import NEWEST, RELAYED, Stories, write_stories
from tests.conftest import WebWorld, statements, web_login
from tests.provider_support import World, fake_alibaba, on_provider  # noqa: F401

# Strings that must not be anywhere in the page (attributes included: titles show them).
HIDDEN = [
    re.compile(r"volunteer:\d"), re.compile(r"user:\w"), re.compile(r">\s*(True|False|None)\s*<"),
    re.compile(r"employer_recording"), re.compile(r"\bSM[0-9a-f]{32}\b"),
    re.compile(r"\bCA[0-9a-f]{32}\b"),
]
# Codes a person reading the page must never see (CSS classes may use them).
INTERNAL = [
    re.compile(r"intake \((sms|voice)\)"),
    re.compile(r"\b(category|amount_owed|people_affected|work_place|home_province)="),
    re.compile(r"\b(in_progress|still_employed|injury_claim_filed|in_hospital|left_on)\b"),
    re.compile(r"·\s*(zh|en|sms|voice)\s*<"), re.compile(r"segment\(s\)"),
    re.compile(r"[(（]#\d+[)）]"),  # a volunteer's row id
]


@pytest.fixture
def stories(web_world: WebWorld) -> Stories:
    """The long wages conversation and the urgent injury case, held by volunteer A."""
    return write_stories(web_world.vol_a, web_world.org_a, rounds=12)


def page(app: Flask, username: str, url: str) -> str:
    """The HTML of `url` for a signed-in user (200 asserted)."""
    client = app.test_client()
    web_login(client, username)
    resp = client.get(url)
    assert resp.status_code == 200, url
    return resp.get_data(as_text=True)


def visible(html: str) -> str:
    """The page's body without the attributes and scripts (what a person can read)."""
    body = html[max(0, html.find("<main>")):]
    return re.sub(r"<[^>]*>", " ", body)


def summary_of(html: str) -> str:
    """The summary card's text."""
    start = html.index('<dl class="summary">')
    return visible("<main>" + html[start:html.index("</dl>", start)])


def chat_of(html: str) -> str:
    """The conversation box's HTML."""
    return html[html.index('id="timeline"'):html.index('id="latest"')]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("who,prefix", [("staff_a", "/staff/cases"), ("vol_a", "/inbox/cases")])
def test_no_internal_codes_on_the_case_pages(app: Flask, stories: Stories, lang: str,
                                             who: str, prefix: str) -> None:
    for number in (stories.wages, stories.injury):
        html = page(app, who, f"{prefix}/{number}?lang={lang}")
        for code in HIDDEN:
            found = code.search(html)
            assert found is None, (who, number, lang, found and found.group(0))
        for code in INTERNAL:
            found = code.search(visible(html))
            assert found is None, (who, number, lang, found and found.group(0))
        assert "李律师" in html  # actors in words: the volunteer's display name


def test_actors_are_named_in_words(app: Flask, stories: Stories) -> None:
    chat = visible(chat_of(page(app, "staff_a", f"/staff/cases/{stories.wages}?lang=zh")))
    for words in ("工友", "志愿者 李律师", "系统"):
        assert words in chat, words
    english = visible(chat_of(page(app, "staff_a", f"/staff/cases/{stories.wages}?lang=en")))
    for words in ("Worker", "Volunteer 李律师", "System"):
        assert words in english, words


def test_the_summary_shows_only_the_categorys_fields(app: Flask, stories: Stories) -> None:
    wages = summary_of(page(app, "staff_a", f"/staff/cases/{stories.wages}?lang=zh"))
    for shown in ("欠薪", "广东 深圳", "河南", "深圳市宏达电子厂", "¥12,000", "3个月", "约12人",
                  "已离职", "2026年10月31日", "李律师", "处理中"):
        assert shown in wages, shown
    for absent in ("受伤日期", "是否住院", "工伤认定", "书面劳动合同", "工友原话："):
        assert absent not in wages, absent  # "广东省深圳市" says the same place: not repeated
    injury = summary_of(page(app, "vol_a", f"/inbox/cases/{stories.injury}?lang=zh"))
    for shown in ("工伤", "受伤日期", "2026年11月20日", "工地脚手架", "是否住院", "工伤认定",
                  "未申请", "四川 成都", "工友原话：四川成都郫县", "紧急"):
        assert shown in injury, shown
    for absent in ("被欠工资", "¥0", "涉及人数", "欠薪月数", "是否在职"):
        assert absent not in injury, absent
    english = summary_of(page(app, "vol_a", f"/inbox/cases/{stories.injury}?lang=en"))
    assert "In hospital" in english and "yes" in english and "not applied for" in english
    assert "20 Nov 2026" in english and "Wages owed" not in english


@pytest.mark.parametrize("details,shown,absent", [
    ({"dismissed_on": "2026-09-30", "written_contract": False}, ["2026年9月30日", "没有"],
     ["被欠工资"]),
    ({"written_contract": True}, ["书面劳动合同", "有"], ["辞退或合同结束日期"]),
    # "干了一年多了还不签合同": still there, so no day it ended.
    ({"still_employed": True, "written_contract": False}, ["是否在职", "仍在职"],
     ["辞退或合同结束日期"]),
    ({}, [], ["书面劳动合同", "辞退或合同结束日期"]),
])
def test_contract_details_only_when_known(app: Flask, web_world: WebWorld,
                                          details: dict[str, Any], shown: list[str],
                                          absent: list[str]) -> None:
    with get_db().begin() as s:
        case = s.scalar(select(Case).where(Case.number == web_world.assigned_to_a))
        assert case is not None
        case.category, case.details, case.amount_owed = CaseCategory.CONTRACT, details, None
    summary = summary_of(page(app, "vol_a", f"/inbox/cases/{web_world.assigned_to_a}?lang=zh"))
    for text in shown:
        assert text in summary, text
    for text in absent:
        assert text not in summary, text
    assert ">True<" not in summary and ">False<" not in summary


@pytest.mark.parametrize("amount,shown", [(Decimal(8000), True), (None, False)])
def test_an_injured_workers_wages_owed_are_shown(app: Flask, web_world: WebWorld,
                                                 amount: Decimal | None, shown: bool) -> None:
    # "受伤住院，老板欠我工资8000": the injury leads, and the wages owed are still the worker's.
    with get_db().begin() as s:
        case = s.scalar(select(Case).where(Case.number == web_world.assigned_to_a))
        assert case is not None
        case.category, case.amount_owed, case.months_unpaid = CaseCategory.INJURY, amount, None
    summary = summary_of(page(app, "vol_a", f"/inbox/cases/{web_world.assigned_to_a}?lang=zh"))
    assert ("被欠工资" in summary and "¥8,000" in summary) is shown
    assert "欠薪月数" not in summary


def test_what_a_hurt_worker_paid_for_treatment_is_on_the_volunteers_summary(
        app: Flask, web_world: WebWorld) -> None:
    # "腿摔断了，手术费三万，老板一分没出": read from the first text into the case's details.
    with get_db().begin() as s:
        case = s.scalar(select(Case).where(Case.number == web_world.assigned_to_a))
        assert case is not None
        case.category = CaseCategory.INJURY
        case.details = {"medical_costs": 30000, "employer_pays_treatment": False}
    summary = summary_of(page(app, "vol_a", f"/inbox/cases/{web_world.assigned_to_a}?lang=zh"))
    assert "工友已垫付的医药费" in summary and "¥30,000" in summary
    assert "medical" not in summary


def test_intake_answers_appear_once_as_the_summary(app: Flask, stories: Stories) -> None:
    html = page(app, "staff_a", f"/staff/cases/{stories.wages}?lang=zh")
    text = visible(html)
    assert text.count("深圳市宏达电子厂") == 1  # the summary; not the answer nor the echo
    bubbles = re.findall(r'<div class="bubble">(.*?)</div>', chat_of(html), re.DOTALL)
    assert not {"十几个", "１２０００元", "我是河南人", "1"} & {b.strip() for b in bubbles}
    assert "问答（短信）" not in text and "被欠工资：12000" not in text
    assert re.search(r"登记问答（(\d+)条短信）", text)
    # The worker's own description of the problem stays in the chat, once.
    assert text.count("老板拖欠我们三个月工资，厂里十几个人都没拿到！") == 1
    # Opening the folded line shows the exchange (the htmx fragment).
    transcript = page(app, "staff_a", f"/staff/cases/{stories.wages}/intake?lang=zh")
    assert "被拖欠多少钱（元）？" in transcript and "１２０００元" in transcript
    assert "intake (sms)" not in transcript


def test_chinese_punctuation_survives(app: Flask, stories: Stories) -> None:
    for url in (f"/staff/cases/{stories.wages}", f"/inbox/cases/{stories.wages}"):
        html = page(app, "staff_a" if url.startswith("/staff") else "vol_a", url + "?lang=zh")
        assert RELAYED in html
        assert NEWEST in html


def test_a_relay_by_sms_keeps_the_volunteers_punctuation(web_world: WebWorld,
                                                         on_provider: World) -> None:
    """The SMS command path folds the text with NFKC ('，' -> ','); the page shows the text
    as the volunteer wrote it, whichever carrier took it (on Alibaba the worker got the
    templated notice, and the volunteer's words are still the case's)."""
    # (web_world first: on_provider's app context is then the current one.)
    text = "明天上午来，带上工资条！好吗？（别忘了）"
    number = web_world.assigned_to_a
    on_provider.text("+8613900000001", f"R{number} {text}")
    [got] = on_provider.got(web_world.worker_phone)
    assert got.endswith(text) if on_provider.provider == "twilio" else f"#{number}" in got
    chat = chat_of(page(on_provider.app, "vol_a", f"/inbox/cases/{number}?lang=zh"))
    assert text in chat
    assert "明天上午来," not in chat


def test_the_newest_message_is_last_in_the_chat(app: Flask, stories: Stories) -> None:
    html = page(app, "vol_a", f"/inbox/cases/{stories.wages}?lang=zh")
    bubbles = re.findall(r'<div class="bubble">(.*?)</div>', chat_of(html), re.DOTALL)
    assert NEWEST in bubbles[-1]
    # Oldest first in the box, which opens at its bottom (column-reverse) right above the
    # reply form.
    assert html.index('id="latest"') < html.index('class="reply-form"')
    css = app.test_client().get("/static/web/web.css").get_data(as_text=True)
    assert re.search(r"\.chat \{[^}]*flex-direction: column-reverse", css)


def test_system_events_are_single_lines_and_runs_fold(app: Flask, stories: Stories) -> None:
    chat = chat_of(page(app, "staff_a", f"/staff/cases/{stories.wages}?lang=zh"))
    assert "条系统记录" in chat  # routing, offer, status changes folded into one line
    assert "李律师接受了派单" in chat
    # Delivery notes of a relayed text are its bubble's status, not lines of their own.
    assert "短信平台确认已收到" not in chat and "已送达" in chat


def test_long_timelines_page_without_a_query_per_event(app: Flask, web_world: WebWorld,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(case_view, "PAGE_EVENTS", 60)
    stories = write_stories(web_world.vol_a, web_world.org_a, rounds=40)
    client = app.test_client()
    web_login(client, "staff_a")
    counts = []
    for rounds_url in (f"/staff/cases/{stories.injury}", f"/staff/cases/{stories.wages}"):
        with statements(app) as seen:
            html = client.get(rounds_url + "?lang=zh").get_data(as_text=True)
        counts.append(len(seen))
    assert counts[1] <= counts[0] + 2, counts  # 10 events or 300: the same few queries
    assert "更早的消息" in html and NEWEST in html
    before = re.search(r'href="[^"]*before=(\d+)', html)
    assert before is not None
    older = client.get(f"/staff/cases/{stories.wages}?lang=zh&before={before.group(1)}")
    older_html = older.get_data(as_text=True)
    assert NEWEST not in older_html and "第1次" not in chat_of(html)
    assert "回到最新消息" in older_html and "回到最新消息" not in html
    assert "更早的消息" in older_html or "登记问答" in older_html


def waiting_world(web_world: WebWorld) -> None:
    """An escalated case and a case to sort in org A, one of each in org B, an inbox text."""
    with get_db().begin() as s:
        worker = s.scalar(select(Contact).where(Contact.phone == web_world.worker_phone))
        assert worker is not None
        # The worker's last case is org A's: the inbox text is org A's.
        for org, status, category, employer in [
                (web_world.org_b, CaseStatus.ESCALATED, CaseCategory.WAGES, "乙方escalated厂"),
                (web_world.org_a, CaseStatus.ESCALATED, CaseCategory.WAGES, "甲方escalated厂"),
                (web_world.org_a, CaseStatus.NEW, CaseCategory.UNKNOWN, None)]:
            case = Case(contact_id=worker.id, organisation_id=org, status=status,
                        category=category, employer=employer, urgency=Urgency.URGENT,
                        summary="帮帮我" if category == CaseCategory.UNKNOWN else None,
                        triage_at=utcnow() if category == CaseCategory.UNKNOWN else None)
            s.add(case)
            s.flush()
            case.assign_number()
            case.log(EventKind.STATUS, f"new → {status}")
        s.add(Message(direction=Direction.INBOUND, status=MessageStatus.RECEIVED,
                      from_number=worker.phone, to_number="+8610000", body="谢谢你们！",
                      contact_id=worker.id, inbox_state="open"))


def test_an_intake_still_asking_does_not_look_finished(app: Flask, stories: Stories) -> None:
    """Until the flow notes its end, the folded questions say the worker is still answering
    (the summary above is not complete yet)."""
    url = f"/staff/cases/{stories.wages}?lang=zh"
    assert "回答已整理在上方摘要中" in visible(page(app, "staff_a", url))
    with get_db().begin() as session:
        case_id = session.scalars(select(Case.id).where(Case.number == stories.wages)).one()
        ended = [e for e in session.scalars(select(CaseEvent).where(
            CaseEvent.case_id == case_id, CaseEvent.kind == EventKind.NOTE))
            if (e.data or {}).get("flow") and (e.data or {}).get("status")]
        assert ended
        for e in ended:
            session.delete(e)
    text = visible(page(app, "staff_a", url))
    assert re.search(r"登记问答：目前\d+条短信，工友还没有答完", text), text
    assert "回答已整理在上方摘要中" not in text


def test_dashboard_shows_what_waits_on_staff(app: Flask, web_world: WebWorld) -> None:
    waiting_world(web_world)
    html = page(app, "staff_a", "/staff/?lang=zh")
    panel = html[html.index('id="waiting"'):html.index("</section>", html.index('id="waiting"'))]
    assert "甲方escalated厂" in panel and "乙方escalated厂" not in panel  # organisation-scoped
    assert "帮帮我" in panel  # the case nobody sorted yet
    assert "收件箱短信：1条" in panel
    assert re.search(r'href="/staff/cases/\d+"', panel)
    admin = page(app, "admin", "/staff/?lang=en")
    admin_panel = admin[admin.index('id="waiting"'):]
    assert "乙方escalated厂" in admin_panel and "Waiting for staff" in admin_panel


def test_a_phone_intake_keeps_its_recordings_and_hides_its_notes(app: Flask,
                                                                 web_world: WebWorld) -> None:
    from models import Call, CallStatus

    number = web_world.assigned_to_a
    with get_db().begin() as s:
        case = s.scalar(select(Case).where(Case.number == number))
        assert case is not None
        asked = Message(direction=Direction.INBOUND, status=MessageStatus.RECEIVED,
                        from_number=web_world.worker_phone, to_number="+8610000",
                        body="我想问一下工资的事。", case_id=case.id)
        call = Call(sid="CA" + "0" * 32, direction=Direction.INBOUND,
                    status=CallStatus.COMPLETED, from_number=web_world.worker_phone,
                    to_number="+8610000", case_id=case.id, duration_s=95,
                    recording_url="https://api.example/Recordings/RE" + "1" * 32)
        s.add_all([asked, call])
        s.flush()
        case.log(EventKind.MESSAGE_IN, asked.body, actor="worker", message_id=asked.id)
        case.log(EventKind.CALL, "incoming call (continues this case)", actor="worker",
                 call_id=call.id)
        case.log(EventKind.NOTE, "intake (voice) category=wages, employer=(recording)",
                 actor="worker", data={"flow": "intake", "node": "employer",
                                       "answers": {"category": "wages"}})
        case.log(EventKind.CALL, "recording ready (employer)", call_id=call.id,
                 data={"recording_url": call.recording_url, "node": "employer"})
        case.log(EventKind.NOTE, "intake finished by phone",
                 data={"flow": "intake", "node": "confirm", "status": "done"})
        case.log(EventKind.CALL, "call ended (completed) at step 'confirm'", actor="worker",
                 call_id=call.id)
    html = page(app, "vol_a", f"/inbox/cases/{number}?lang=zh")
    chat = chat_of(html)
    assert "我想问一下工资的事。" in chat  # a text before the call is no intake answer
    assert "问答（电话）" not in chat and "employer=" not in chat
    assert chat.count("播放录音") == 2  # the call's recording and the employer's answer
    assert "95秒" in chat
    assert "CA" + "0" * 32 not in html and "RE" + "1" * 32 not in html


@pytest.mark.parametrize("details,shown", [
    ({"still_employed": False, "left_on": "2026-10-31"}, ["法律时限", "还剩", "截止"]),
    ({"still_employed": False, "left_on": "2023-01-15"}, ["法律时限", "已于2024年1月15日过期"]),
    ({"still_employed": True}, ["法律时限", "尚未开始计算"]),
    ({}, ["法律时限", "需要补充信息"]),
])
def test_legal_deadlines_in_words(app: Flask, web_world: WebWorld, details: dict[str, Any],
                                  shown: list[str]) -> None:
    with get_db().begin() as s:
        case = s.scalar(select(Case).where(Case.number == web_world.assigned_to_a))
        assert case is not None
        case.details = details
    html = page(app, "vol_a", f"/inbox/cases/{web_world.assigned_to_a}?lang=zh")
    summary = summary_of(html)
    for text in shown:
        assert text in summary, (text, summary)
    assert not re.search(r"\b(running|passed|not_running|needs_info)\b", visible(html))
