"""The web UI in a real browser: Debian's Chromium driven by Playwright, the app over real HTTP.

Screenshots go to test-artifacts/ (look at them: they are how a person sees these pages).
Runs on SQLite only; the request-level tests cover every rule on PostgreSQL too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from devtools.fake_twilio import FakeTwilio
from hotline.infra.db import get_db
from models import Case, CaseStatus, Contact, ContactOrganisation
from tests.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    HOTLINE_NUMBER,
    REDIS_URL,
    WEB_PASSWORD,
    LiveServer,
    WebWorld,
    start_worker,
    stop_process,
)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PHONE: ViewportSize = {"width": 390, "height": 844}
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium from Debian (Playwright cannot download its own here)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: apt-get install -y chromium (dev.py does it)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield chromium
        chromium.close()


@pytest.fixture
def live(app: Flask) -> Iterator[LiveServer]:
    """The app over real HTTP; callbacks come back to it; cookies work over plain http."""
    server = LiveServer(app)
    app.config.update(PUBLIC_URL=server.url, SESSION_COOKIE_SECURE=False)
    yield server
    server.stop()


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page: Page, base: str, username: str) -> None:
    """Fill in the login form like a person."""
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", WEB_PASSWORD)
    page.click("button[type=submit].primary")


def test_staff_logs_in_and_works_a_case(browser: Browser, live: LiveServer,
                                        web_world: WebWorld) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    log_in(page, live.url, "staff_a")
    expect(page.locator("h1")).to_have_text("总览")
    expect(page.locator("svg.chart").first).to_be_visible()
    shot(page, "staff-dashboard")
    page.click("nav >> text=案件")
    page.click(f"text=#{web_world.assigned_to_a}")
    expect(page.locator("h1")).to_contain_text(f"#{web_world.assigned_to_a}")
    expect(page.locator("#phone")).to_contain_text("+86 138****8000")
    page.click("#phone button")  # htmx swaps in the full number (and it is audited)
    expect(page.locator("#phone")).to_contain_text(web_world.worker_phone)
    page.fill("textarea[name=text]", "已联系用人单位，约定周五付款")
    page.click("text=添加备注")
    expect(page.locator("#timeline")).to_contain_text("已联系用人单位")
    shot(page, "staff-case")
    page.close()


def test_volunteer_accepts_an_offer_on_a_phone(browser: Browser, live: LiveServer,
                                               web_world: WebWorld) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    log_in(page, live.url, "vol_b")
    offer = page.locator(f"#offer-{web_world.offered_to_b}")
    expect(offer).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "volunteer-inbox-phone")
    offer.locator("button[value=accept]").tap()
    expect(page.locator(".flash")).to_contain_text(f"案件{web_world.offered_to_b}已分配给您")
    expect(page.locator("body")).not_to_contain_text(web_world.worker_phone)
    shot(page, "volunteer-case-phone")
    with get_db().begin() as session:
        case = session.query(Case).filter_by(number=web_world.offered_to_b).one()
        assert case.status == CaseStatus.ASSIGNED and case.assigned_volunteer_id == \
            web_world.vol_b
    context.close()


def test_staff_read_a_collective_dispute_on_a_phone(browser: Browser, live: LiveServer,
                                                   web_world: WebWorld) -> None:
    """Three workers of one employer: the lead's page names the dispute's cases (the others
    as links), its own worker's claim and what they are all owed, in Chinese, on a phone."""
    from tests.test_collective_totals import form_dispute

    lead, _b, member = form_dispute(organisation_id=web_world.org_a)
    with get_db().begin() as session:
        numbers = {c.id: c.number for c in session.query(Case).filter(
            Case.id.in_([lead, member]))}
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    log_in(page, live.url, "staff_a")
    page.goto(f"{live.url}/staff/cases/{numbers[lead]}")
    summary = page.locator(".summary-card")
    expect(summary).to_contain_text("本案牵头，共3件")
    expect(summary.locator(".fact", has_text="工友们合计被欠")).to_contain_text("¥12,000")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "staff-collective-lead-phone")
    summary.locator(f"a[href$='/cases/{numbers[member]}']").tap()
    expect(page.locator(".summary-card")).to_contain_text(f"由案件 #{numbers[lead]} 牵头")
    shot(page, "staff-collective-member-phone")
    context.close()


def worker_env(app: Flask, fake: FakeTwilio, public_url: str) -> dict[str, str]:
    """A worker process configured like the app, sending 10 segments/s."""
    return {"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": REDIS_URL,
            "HOTLINE_PROVIDER": "twilio", "TWILIO_API_URL": fake.base_url,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "PUBLIC_URL": public_url, "HOTLINE_NUMBER": HOTLINE_NUMBER,
            "HOTLINE_INSTANCE": app.instance_path, "CAMPAIGN_RATE_PER_SECOND": "10",
            "CAMPAIGN_CHUNK_SIZE": "5", "CAMPAIGN_QUIET_HOURS": "00:00-00:00"}


def test_staff_composes_and_watches_a_campaign(browser: Browser, live: LiveServer, app: Flask,
                                              fake_twilio: FakeTwilio,
                                              web_world: WebWorld) -> None:
    with get_db().begin() as session:
        new = [Contact(phone=f"+861370000{i:04d}", name=f"工友{i}", language="zh")
               for i in range(30)]
        session.add_all(new)
        session.flush()  # imported by staff A's organisation: theirs to text
        session.add_all(ContactOrganisation(contact_id=c.id, organisation_id=web_world.org_a)
                        for c in new)
    worker = start_worker(worker_env(app, fake_twilio, live.url))
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        log_in(page, live.url, "staff_a")
        page.goto(f"{live.url}/staff/campaigns/new")
        page.fill("input[name=name]", "劳动合同培训通知")
        page.fill("textarea[name=text_zh]", "{name|工友}您好：周六讲劳动合同，回复1报名。")
        page.fill("input[name=quiet]", "00:00-00:00")
        expect(page.locator("[data-lang=zh] .seg-count")).to_have_text("1")
        longer = "{name|工友}您好：" + "本周六上午在社区中心讲劳动合同。" * 5
        page.fill("textarea[name=text_zh]", longer)
        expect(page.locator("[data-lang=zh] .seg-count")).to_have_text("2")  # live recount
        expect(page.locator("#audience-count")).to_have_text("31")
        shot(page, "campaign-compose")
        page.click("text=保存并预览")
        expect(page.locator("h1")).to_contain_text("劳动合同培训通知")
        page.click("#start")
        seen = watch_progress(page, total=31)
        assert seen[-1] == 31 and any(0 < n < 31 for n in seen), seen
        shot(page, "campaign-progress-done")
        page.close()
    finally:
        output = stop_process(worker)
    assert "Traceback" not in output, output[-3000:]


def watch_progress(page: Page, total: int) -> list[int]:
    """Poll the (htmx-updated) progress bar until the campaign is done and every delivery
    report is in; the values seen."""
    seen: list[int] = []
    for _ in range(600):
        value = int(page.locator("#progress progress").get_attribute("value") or 0)
        if not seen or seen[-1] != value:
            seen.append(value)
            if 0 < value < 31 and len(seen) == 2:
                shot(page, "campaign-progress-moving")
        if page.locator("#progress").get_attribute("data-status") == "done":
            if value == total:
                break
            # Done sending; a last delivery report can land after that, and a finished
            # campaign's page stops polling: look again, as staff would.
            page.reload()
        page.wait_for_timeout(100)
    return seen


def test_staff_read_the_intake_flow_on_a_phone(browser: Browser, live: LiveServer,
                                               web_world: WebWorld) -> None:
    """The flow page in Chinese on a phone: steps and ways in words, no ids, no sideways
    scrolling at the deepest branch; a desk-sized one too."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    log_in(page, live.url, "staff_a")
    page.goto(f"{live.url}/staff/flows/")
    expect(page.locator("h1")).to_have_text("热线怎样和工友对话")
    tree = page.locator(".flow-tree")
    expect(tree).to_contain_text("按 1 / 回复 1：欠薪")
    expect(tree).to_contain_text("如果〔类别〕是「其他法律援助」")
    for code in ("office_hours", "welcome_back", "{case_number}", "menu", "voice"):
        expect(tree).not_to_contain_text(code)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "staff-flows-phone")
    context.close()
    desk = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    log_in(desk, live.url, "staff_a")
    desk.goto(f"{live.url}/staff/flows/")
    expect(desk.locator(".flow-tree")).to_contain_text("在工作时间")
    shot(desk, "staff-flows-desk")
    desk.close()
