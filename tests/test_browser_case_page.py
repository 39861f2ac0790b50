"""The case page in a real browser: staff on a desktop (1280 px), a volunteer on a phone (390 px).

Screenshots go to test-artifacts/ (git-ignored): case-staff-wages.png, case-staff-injury.png,
case-phone-wages.png, case-phone-injury.png, dashboard-waiting.png. Runs on SQLite only; the
request-level tests (tests/test_case_page.py) cover the page's rules on PostgreSQL too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.case_stories import NEWEST, RELAYED, Stories, write_stories
from tests.conftest import LiveServer, WebWorld
from tests.test_browser_web import PHONE, browser, live, log_in, shot
from tests.test_case_page import waiting_world

__all__ = ["browser", "live"]  # fixtures shared with the other browser tests
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def stories(web_world: WebWorld) -> Stories:
    """A long wages conversation and an urgent injury case, both held by volunteer A."""
    return write_stories(web_world.vol_a, web_world.org_a, rounds=30)


@pytest.fixture
def phone_page(browser: Browser, live: LiveServer, stories: Stories) -> Iterator[Page]:
    """Volunteer A signed in on a 390 px phone."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    log_in(page, live.url, "vol_a")
    yield page
    context.close()


def in_view(page: Page, selector: str) -> bool:
    """True when the last such element is inside its scroll box and the window as it opens."""
    return bool(page.evaluate("""(sel) => {
        const all = document.querySelectorAll(sel); const el = all[all.length - 1];
        const r = el.getBoundingClientRect();
        const box = el.closest('.chat').getBoundingClientRect();
        return r.top >= box.top - 1 && r.bottom <= box.bottom + 1 &&
               r.top >= 0 && r.bottom <= window.innerHeight; }""", selector))


def test_volunteer_phone_lands_on_the_newest_message(phone_page: Page, live: LiveServer,
                                                     stories: Stories) -> None:
    page = phone_page
    page.goto(f"{live.url}/inbox/cases/{stories.wages}")
    newest = page.locator(".chat .msg").last
    expect(newest).to_contain_text(NEWEST)
    assert in_view(page, ".chat .msg"), "the phone opens on the newest message"
    # Nothing is wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The reply box is under the chat and big enough for a thumb.
    box = page.locator(".reply-form button").bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 64
    expect(page.locator(".chat")).to_contain_text(RELAYED)
    shot(page, "case-phone-wages")
    # The folded intake opens in place with the questions and answers (htmx).
    page.locator(".sys.intake summary").click()
    expect(page.locator(".transcript")).to_contain_text("被拖欠多少钱")
    page.goto(f"{live.url}/inbox/cases/{stories.injury}")
    expect(page.locator(".summary")).to_contain_text("是否住院")
    expect(page.locator(".summary")).not_to_contain_text("被欠工资")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "case-phone-injury")


def test_staff_desktop_case_pages(browser: Browser, live: LiveServer, stories: Stories,
                                  web_world: WebWorld) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    log_in(page, live.url, "staff_a")
    page.goto(f"{live.url}/staff/cases/{stories.wages}")
    expect(page.locator(".chat .msg").last).to_contain_text(NEWEST)
    assert in_view(page, ".chat .msg")
    expect(page.locator(".summary")).to_contain_text("约12人")
    shot(page, "case-staff-wages")
    page.goto(f"{live.url}/staff/cases/{stories.injury}")
    expect(page.locator(".summary")).to_contain_text("工伤认定")
    shot(page, "case-staff-injury")
    waiting_world(web_world)
    page.goto(f"{live.url}/staff/")
    expect(page.locator("#waiting")).to_contain_text("帮帮我")
    shot(page, "dashboard-waiting")
    page.close()
