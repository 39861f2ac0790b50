"""The volunteer's text boxes on a phone (360-390 px): every word of their hints shows.

A placeholder does not wrap in an <input> and a long one overflows a narrow box, so what to
write (and who sees a note) is a label above the box, and any placeholder fits on one line.
Screenshots (375 x 812; look at them): test-artifacts/case-phone-note-box-zh-CN.png and
-en-US.png, the whole page, and ...-notes.png, the notes card. SQLite only, like the other
browser tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.case_stories import Stories, write_stories
from tests.conftest import LiveServer, WebWorld
from tests.test_browser_web import ARTIFACTS, browser, live, log_in, shot

__all__ = ["browser", "live"]  # fixtures shared with the other browser tests
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
# The reply box (its label is for screen readers: the chat above says what it is for), the
# note box and the outcome's note, with whether their label must be seen.
BOXES = {"textarea[name=body]": False, "textarea[name=text]": True, "input[name=note]": True}

# A box's placeholder measured in the box's own font against the width it has for text, and
# its label: the text, whether it is seen, and whether all of it is on the screen.
MEASURE = """(sel) => {
    const el = document.querySelector(sel);
    const css = getComputedStyle(el);
    const ctx = document.createElement('canvas').getContext('2d');
    ctx.font = `${css.fontStyle} ${css.fontWeight} ${css.fontSize} ${css.fontFamily}`;
    const room = el.clientWidth - parseFloat(css.paddingLeft) - parseFloat(css.paddingRight);
    const label = el.labels && el.labels.length ? el.labels[0] : null;
    const box = label ? label.getBoundingClientRect() : null;
    return {placeholder: ctx.measureText(el.placeholder || '').width, room: room,
            label: label ? label.innerText.trim() : '',
            seen: !!box && box.width > 2 && box.height > 2,
            whole: !!label && label.scrollWidth <= label.clientWidth + 1 &&
                   box.left >= 0 && box.right <= window.innerWidth,
            right: el.getBoundingClientRect().right};
}"""


@pytest.fixture
def stories(web_world: WebWorld) -> Stories:
    """A wages case held by volunteer A (open: the reply, note and outcome boxes show)."""
    return write_stories(web_world.vol_a, web_world.org_a, rounds=3)


def case_page(browser: Browser, live: LiveServer, stories: Stories, width: int,
              locale: str) -> Iterator[Page]:
    """Volunteer A's case page on a phone of this width, in this browser language."""
    context = browser.new_context(viewport={"width": width, "height": 812}, locale=locale,
                                  is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    log_in(page, live.url, "vol_a")
    page.goto(f"{live.url}/inbox/cases/{stories.wages}")
    yield page
    context.close()


@pytest.mark.parametrize("width", [360, 375, 390])
@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_every_box_says_what_to_write_in_full(browser: Browser, live: LiveServer,
                                               stories: Stories, width: int,
                                               locale: str) -> None:
    for page in case_page(browser, live, stories, width, locale):
        for box, must_see in BOXES.items():
            m = page.evaluate(MEASURE, box)
            assert m["label"], f"{box}: no label"
            if must_see:
                assert m["seen"] and m["whole"], f"{box}: label hidden or cut off {m}"
            assert m["placeholder"] <= m["room"], f"{box}: placeholder cut off {m}"
            assert m["right"] <= width, f"{box}: wider than the phone"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if locale == "zh-CN":
            expect(page.locator("label[for=note-text]")).to_have_text(
                "备注只有机构和志愿者能看到，工友看不到。")
            expect(page.locator("textarea[name=text]")).to_have_attribute(
                "placeholder", "写备注…")
        if width == 375:
            page.locator("textarea[name=text]").scroll_into_view_if_needed()
            shot(page, f"case-phone-note-box-{locale}")
            notes = page.locator("section.card", has=page.locator(".note-form"))
            notes.screenshot(path=str(ARTIFACTS / f"case-phone-note-box-{locale}-notes.png"))


def test_the_note_still_posts_as_before(browser: Browser, live: LiveServer,
                                        stories: Stories) -> None:
    for page in case_page(browser, live, stories, 375, "zh-CN"):
        page.fill("textarea[name=text]", "已联系用人单位，约定周五付款")
        page.click("text=添加备注")
        expect(page.locator("#timeline")).to_contain_text("已联系用人单位")


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_staff_case_page_note_box_on_a_phone(browser: Browser, live: LiveServer,
                                                 stories: Stories, locale: str) -> None:
    """Staff on duty read a case on their phone too: the note's hint is a label, whole."""
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale=locale,
                                  is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    log_in(page, live.url, "staff_a")
    page.goto(f"{live.url}/staff/cases/{stories.wages}")
    for box in ("textarea[name=body]", "textarea[name=text]"):
        m = page.evaluate(MEASURE, box)
        assert m["label"] and m["placeholder"] <= m["room"], f"{box}: {m}"
    m = page.evaluate(MEASURE, "textarea[name=text]")
    assert m["seen"] and m["whole"], m
    if locale == "zh-CN":
        expect(page.locator("label[for=note-text]")).to_have_text(
            "备注只有机构和志愿者能看到，工友看不到。")
    page.locator("textarea[name=text]").scroll_into_view_if_needed()
    shot(page, f"staff-case-phone-note-box-{locale}")
    page.fill("textarea[name=text]", "已联系劳动监察大队")
    page.locator(".note-form button").click()
    expect(page.locator("#timeline")).to_contain_text("已联系劳动监察大队")
    context.close()
