"""Pages render with real data: dashboard charts, report figures, campaigns, languages."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from models import (
    Case,
    CaseCategory,
    CaseStatus,
    Contact,
    ContactOrganisation,
    EventKind,
    utcnow,
)
from models.campaign import Campaign, CampaignStatus
from tests.conftest import WebWorld
from tests.test_web_forms import logged_in


def svgs(html: str) -> list[ElementTree.Element]:
    """Every inline chart on a page, parsed as XML (so a broken chart fails the test)."""
    return [ElementTree.fromstring(m) for m in re.findall(r"<svg class=\"chart\".*?</svg>",
                                                          html, re.S)]


def test_dashboard_draws_charts_from_the_data(app: Flask, web_world: WebWorld) -> None:
    with get_db().begin() as session:
        case = session.scalar(select(Case).where(Case.number == web_world.assigned_to_a))
        assert case is not None
        case.amount_recovered = Decimal("5000")
        case.people_affected = 12
        case.category = CaseCategory.COLLECTIVE
    client, _ = logged_in(app, "staff_a")
    html = client.get("/staff/?lang=en").get_data(as_text=True)
    charts = svgs(html)
    assert len(charts) >= 5
    texts = " ".join("".join(svg.itertext()) for svg in charts)
    assert "12,000" not in texts or "36,000" in texts  # org A: three cases of ¥12,000 claimed
    assert "36,000" in texts and "5,000" in texts  # claimed vs recovered
    assert "深圳市" in texts  # cases by place
    assert "李律师 1/3" in texts  # volunteers on duty and their load
    assert f"#{web_world.assigned_to_a}" in html.split("Collective-dispute alerts")[1]
    assert f"#{web_world.org_b_case}" not in html  # org B's case is not counted or listed


def test_monthly_report_counts_the_month(app: Flask, web_world: WebWorld) -> None:
    with get_db().begin() as session:
        case = session.scalar(select(Case).where(Case.number == web_world.assigned_to_a))
        assert case is not None
        case.amount_recovered = Decimal("8000")
        case.move_to(CaseStatus.RESOLVED, actor="test")
        case.log(EventKind.SURVEY, "satisfaction 5/5", data={"satisfaction": 5})
    client, _ = logged_in(app, "staff_a")
    resp = client.get("/staff/reports/monthly.csv?lang=en")
    rows = dict(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows["Cases opened"] == "3" and rows["unpaid wages"] == "3"
    assert rows["Cases finished"] == "1"
    assert rows["Wages recovered (cases finished) (yuan)"] == "8000"
    assert rows["Survey answers"] == "1" and rows["Satisfied (4–5 of 5)"] == "100.0%"
    last_year = (utcnow() - timedelta(days=400)).strftime("%Y-%m")
    old = client.get(f"/staff/reports/monthly.csv?month={last_year}&lang=en")
    assert "Cases opened,0" in old.get_data(as_text=True)
    assert client.get("/staff/reports/monthly?month=2024-13").status_code == 400
    page = client.get("/staff/reports/monthly?lang=zh").get_data(as_text=True)
    assert "追回工资" in page and "¥8,000" in page


def test_case_filters_and_search(app: Flask, web_world: WebWorld) -> None:
    client, _ = logged_in(app, "admin")
    by_number = client.get(f"/staff/cases?status=all&q={web_world.org_b_case}")
    assert f"#{web_world.org_b_case}<" in by_number.get_data(as_text=True)
    assert f"#{web_world.assigned_to_a}<" not in by_number.get_data(as_text=True)
    assigned = client.get("/staff/cases?status=assigned").get_data(as_text=True)
    assert f"#{web_world.assigned_to_a}<" in assigned
    assert f"#{web_world.offered_to_b}<" not in assigned
    nothing = client.get("/staff/cases?status=all&q=no-such-employer").get_data(as_text=True)
    assert "#100" not in nothing


def test_campaign_compose_estimate_create_and_start(app: Flask, web_world: WebWorld) -> None:
    with get_db().begin() as session:
        new = [Contact(phone=f"+86137000000{i:02d}", language="zh", name=f"工友{i}")
               for i in range(3)]
        session.add_all(new)
        session.flush()  # imported by staff A's organisation: theirs to text
        session.add_all(ContactOrganisation(contact_id=c.id, organisation_id=web_world.org_a)
                        for c in new)
    client, token = logged_in(app, "staff_a")
    form = {"csrf_token": token, "name": "春节问候", "text_zh": "{name|工友}，春节快乐！",
            "signature": "工友热线", "footer": "1", "default_language": "zh",
            "price": "0.05", "quiet": "21:00-08:00"}
    fragment = client.post("/staff/campaigns/estimate", data=form).get_data(as_text=True)
    assert re.search(r'data-lang="zh">(中文|Chinese): <b class="seg-count">1</b>', fragment)
    assert 'id="audience-count">4<' in fragment  # three new contacts + the world's worker
    bad = client.post("/staff/campaigns/", data={**form, "text_zh": "你好{oops"})
    assert bad.status_code == 400
    resp = client.post("/staff/campaigns/", data=form)
    assert resp.status_code == 303
    page = client.get(resp.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "【工友热线】工友0，春节快乐！ 回复TD退订" in page  # preview of the exact text
    with get_db().begin() as session:
        campaign = session.scalars(select(Campaign)).one()
    start = client.post(f"/staff/campaigns/{campaign.id}/start", data={"csrf_token": token})
    assert start.status_code == 303
    with get_db().begin() as session:
        assert session.get(Campaign, campaign.id).status == CampaignStatus.SENDING  # type: ignore[union-attr]
    data = client.get(f"/staff/campaigns/{campaign.id}/progress?format=json").get_json()
    assert data["status"] == "sending" and data["id"] == campaign.id
    assert client.post(f"/staff/campaigns/{campaign.id}/pause",
                       data={"csrf_token": token}).status_code == 303
    fragment = client.get(f"/staff/campaigns/{campaign.id}/progress").get_data(as_text=True)
    assert 'data-status="paused"' in fragment
    assert client.get("/staff/campaigns/999/progress").status_code == 404


def test_campaign_pages_are_staff_only(app: Flask, web_world: WebWorld) -> None:
    client, _ = logged_in(app, "vol_a")
    assert client.get("/staff/campaigns/").status_code == 403


def test_campaigns_belong_to_their_organisation(app: Flask, web_world: WebWorld) -> None:
    with get_db().begin() as session:
        mine = Campaign(name="甲机构培训通知", sender="+8610000000000",
                        organisation_id=web_world.org_a, status=CampaignStatus.SENDING)
        session.add(mine)
        session.flush()
        cid = mine.id
    urls = [f"/staff/campaigns/{cid}", f"/staff/campaigns/{cid}/progress?format=json",
            f"/staff/campaigns/{cid}/report.csv"]
    for username, sees in [("staff_a", True), ("admin", True), ("staff_b", False)]:
        client, token = logged_in(app, username)
        assert ("甲机构培训通知" in client.get("/staff/campaigns/").get_data(as_text=True)) == sees
        assert ("甲机构培训通知" in client.get("/staff/").get_data(as_text=True)) == sees
        assert [client.get(u).status_code for u in urls] == [200 if sees else 404] * 3
    # Another organisation's staff cannot steer it either: 404, and it keeps sending.
    assert client.post(f"/staff/campaigns/{cid}/cancel",
                       data={"csrf_token": token}).status_code == 404
    with get_db().begin() as session:
        assert session.get(Campaign, cid).status == CampaignStatus.SENDING  # type: ignore[union-attr]


def test_a_campaign_made_on_the_web_is_its_makers_organisations(
        app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_b")
    resp = client.post("/staff/campaigns/", data={
        "csrf_token": token, "name": "乙机构", "text_zh": "培训周六开始", "footer": "1",
        "default_language": "zh", "price": "0.05", "quiet": "21:00-08:00"})
    assert resp.status_code == 303
    with get_db().begin() as session:
        made = session.scalars(select(Campaign)).one()
        assert (made.organisation_id, made.created_by) == (web_world.org_b, "staff_b")


def test_language_switch(app: Flask, web_world: WebWorld) -> None:
    client = app.test_client()
    assert "登录" in client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True)
    english = client.get("/login?lang=en")
    assert "Log in" in english.get_data(as_text=True)
    assert "lang=en" in english.headers["Set-Cookie"]
    assert "Log in" in client.get("/login").get_data(as_text=True)  # the cookie remembers


def test_dashboard_deadline_breaches_follow_the_ledger(app: Flask, web_world: WebWorld) -> None:
    from hotline.web import localtime

    now = utcnow()
    with get_db().begin() as session:
        template = session.scalars(select(Case).where(
            Case.number == web_world.assigned_to_a)).one()

        def held(**times: object) -> Case:
            case = Case(contact_id=template.contact_id, organisation_id=web_world.org_a,
                        status=CaseStatus.IN_PROGRESS, assigned_volunteer_id=web_world.vol_a,
                        category=CaseCategory.WAGES, created_at=now - timedelta(days=60))
            for name, value in times.items():
                setattr(case, name, value)
            session.add(case)
            session.flush()
            case.assign_number()
            return case

        recent = now - timedelta(days=1)
        idle = held(last_activity_at=now - timedelta(days=10), worker_contacted_at=recent)
        monthly = held(last_activity_at=recent, worker_contacted_at=now - timedelta(days=40))
        reminded = held(last_activity_at=now - timedelta(days=12),
                        reminded_at=now - timedelta(days=2), worker_contacted_at=recent)
        fine = held(last_activity_at=recent, worker_contacted_at=recent)
        done = held(last_activity_at=now - timedelta(days=50))
        done.status = CaseStatus.RESOLVED
        # Nobody holds these: the staff queue's business, not the volunteers' deadlines.
        for number in (web_world.declined_by_a, web_world.assigned_to_a):
            other = session.scalars(select(Case).where(Case.number == number)).one()
            other.created_at = now - timedelta(days=30)
        template.last_activity_at = template.worker_contacted_at = recent
        numbers = {c.number: c for c in (idle, monthly, reminded, fine, done)}
        judged = {idle.number: idle.last_activity_at, monthly.number: monthly.worker_contacted_at,
                  reminded.number: reminded.reminded_at}
    client, _ = logged_in(app, "staff_a")
    with app.test_request_context():
        shown = {n: localtime(t) for n, t in judged.items()}
    html = client.get("/staff/?lang=en").get_data(as_text=True)
    section = html.split("Deadline breaches")[1].split("</section>")[0]
    items = re.findall(r'<li class="breach-(\w+)"><a [^>]*>#(\d+)</a>(.*?)</li>', section, re.S)
    assert [(reason, int(n)) for reason, n, _ in items] == [
        ("reminder", reminded.number), ("idle", idle.number), ("monthly", monthly.number)]
    for reason, n, text in items:
        assert shown[int(n)] in text, (reason, text)  # the time the deadline judged
    assert "no update since" in items[0][2] and "not contacted for 30 days" in items[2][2]
    for unlisted in (fine.number, numbers[done.number].number, web_world.declined_by_a,
                     web_world.assigned_to_a):
        assert f">#{unlisted}<" not in section


def test_errors_made_outside_the_web_layer_are_shown_in_chinese(app: Flask,
                                                                 web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    number = web_world.assigned_to_a
    resp = client.post(f"/staff/cases/{number}/status?lang=zh",
                       data={"status": "offered", "csrf_token": token}, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert f"案件{number}不能从“已分配”改为“已派单”" in page, page
    assert "is not allowed" not in page
    page = client.post("/staff/volunteers/import?lang=zh", data={
        "csrf_token": token, "file": (io.BytesIO("name,phone,capacity\n陈律师,13900000011,99\n"
                                                 .encode()), "v.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "同时处理案件上限须为1到" in page and "must be a whole number" not in page
    # English pages keep the English text.
    english = client.post(f"/staff/cases/{number}/status?lang=en",
                          data={"status": "offered", "csrf_token": token},
                          follow_redirects=True).get_data(as_text=True)
    assert "assigned -&gt; offered is not allowed" in english


@pytest.mark.parametrize(("text_zh", "text_en", "said"), [
    ("你好{oops", "", "中文短信：花括号不成对"),
    ("{年龄}，您好", "", "中文短信：不认识的占位符 年龄；可用的有：name/姓名"),
    ("", "", "群发至少要有一条短信内容"),
    ("", "Hello {name}", "默认语言（中文）没有短信内容"),
])
def test_a_campaign_that_cannot_be_saved_says_why_in_chinese(
        app: Flask, web_world: WebWorld, text_zh: str, text_en: str, said: str) -> None:
    client, token = logged_in(app, "staff_a")
    resp = client.post("/staff/campaigns/?lang=zh", data={
        "csrf_token": token, "name": "培训报名", "text_zh": text_zh, "text_en": text_en,
        "signature": "工友热线", "default_language": "zh", "price": "0.05",
        "quiet": "21:00-08:00"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and said in page, page[page.find("flash"):][:300]
    assert "群发未保存" in page
    for english in ("unknown placeholder", "unbalanced", "needs at least", "no text in"):
        assert english not in page


def test_the_status_menu_offers_only_the_moves_allowed(app: Flask, web_world: WebWorld) -> None:
    """A case waiting for a volunteer's answer cannot be marked resolved: the menu does not
    offer it (a forged form is still refused by the lifecycle)."""
    client, token = logged_in(app, "staff_a")

    def offered(number: int) -> set[str]:
        html = client.get(f"/staff/cases/{number}?lang=en").get_data(as_text=True)
        start = html.index('name="status"')
        menu = html[start:html.index("</select>", start)]
        return set(re.findall(r'<option value="(\w+)"', menu))

    assert offered(web_world.offered_to_b) == {"new", "offered", "assigned", "escalated",
                                               "closed"}
    assert offered(web_world.assigned_to_a) == {"new", "assigned", "in_progress", "escalated",
                                                "resolved", "referred", "closed"}
    forged = client.post(f"/staff/cases/{web_world.offered_to_b}/status?lang=en",
                         data={"status": "resolved", "csrf_token": token})
    assert forged.status_code == 400


def test_reassigning_asks_for_a_volunteer_first(app: Flask, web_world: WebWorld) -> None:
    """A case nobody holds preselects nobody (one click must not give it to the first name
    in the list); volunteers on duty are said to be so, in words."""
    client, _ = logged_in(app, "staff_a")
    html = client.get(f"/staff/cases/{web_world.offered_to_b}?lang=zh").get_data(as_text=True)
    start = html.index('name="volunteer_id"')
    menu = html[start:html.index("</select>", start)]
    assert re.search(r'<option value="" selected>请选择志愿者</option>', menu), menu
    assert "（在岗）" in menu and "●" not in menu
    held = client.get(f"/staff/cases/{web_world.assigned_to_a}?lang=zh").get_data(as_text=True)
    start = held.index('name="volunteer_id"')
    assert "请选择志愿者" not in held[start:held.index("</select>", start)]
