"""The volunteer profile form in plain words: languages as ticked names, dialects by their
Chinese names with any list punctuation, weekly shifts typed and shown in Chinese (or English),
time zones by place. The form stores the codes it always stored."""

from __future__ import annotations

import html
import itertools
import re
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect

from hotline.infra.db import get_db
from hotline.volunteer_import import LANGUAGE_CODES, split_list
from hotline.web.i18n import shifts_text
from models import Volunteer
from models.volunteer import parse_shifts
from tests.conftest import LiveServer, WebWorld
from tests.test_browser_web import PHONE, log_in, shot
from tests.test_browser_web import browser as browser  # noqa: F401 - the fixtures, reused
from tests.test_browser_web import live as live  # noqa: F401
from tests.test_web_forms import logged_in

WEEKDAYS = [0, 1, 2, 3, 4]
OFFICE = {"days": WEEKDAYS, "start": "09:00", "end": "18:00"}
SATURDAY = {"days": [5], "start": "10:00", "end": "14:00"}

# What staff type into "weekly shifts", and the shifts it means.
ACCEPTED: list[tuple[str, list[dict[str, Any]]]] = [
    ("", []),  # blank: any time while on duty
    ("   ", []),
    ("mon-fri 09:00-18:00; sat 10:00-14:00", [OFFICE, SATURDAY]),
    ("周一至周五 09:00-18:00；周六 10:00-14:00", [OFFICE, SATURDAY]),
    ("周一到周五 9:00-18:00", [OFFICE]),
    ("星期六 10:00–14:00", [SATURDAY]),  # an en dash between the times
    ("周一至周五 ９：００－１８：００", [OFFICE]),  # full-width colon and dash
    ("周一至周五　０９：００－１８：００；星期六　１０：００－１４：００", [OFFICE, SATURDAY]),
    ("周一至周五09:00-18:00", [OFFICE]),  # no space before the time
    ("周一 至 周五 9:00 - 18:00", [OFFICE]),
    ("星期一到星期五 9点-18点", [OFFICE]),
    ("礼拜一至礼拜五 9点到18点；礼拜六 10点至14点", [OFFICE, SATURDAY]),
    ("工作日 9:00-18:00", [OFFICE]),
    ("周末 10:00-14:00", [{"days": [5, 6], "start": "10:00", "end": "14:00"}]),
    ("周六、周日 10:00-14:00", [{"days": [5, 6], "start": "10:00", "end": "14:00"}]),
    ("周六日 10:00-14:00", [{"days": [5, 6], "start": "10:00", "end": "14:00"}]),
    ("周一三五 9点半-12点", [{"days": [0, 2, 4], "start": "09:30", "end": "12:00"}]),
    ("每天 20:00-22:00", [{"days": list(range(7)), "start": "20:00", "end": "22:00"}]),
    ("周日 22:00-06:00", [{"days": [6], "start": "22:00", "end": "06:00"}]),  # overnight
    ("周一至周五 9:00-12:00，周一至周五 14:00-18:00", [
        {"days": WEEKDAYS, "start": "09:00", "end": "12:00"},
        {"days": WEEKDAYS, "start": "14:00", "end": "18:00"}]),
    ("周一至周五 9:00-12:00、周六 10:00-14:00", [
        {"days": WEEKDAYS, "start": "09:00", "end": "12:00"}, SATURDAY]),
    ("周一至周五 09:00-18:00\n周六 10:00-14:00", [OFFICE, SATURDAY]),  # pasted, one a line
    ("Mon-Fri 09:00-18:00; Sat 10:00-14:00", [OFFICE, SATURDAY]),
    ("Monday to Friday 9:00 to 18:00, Saturday 10:00-14:00", [OFFICE, SATURDAY]),
    ("weekdays 09:00-18:00 sat 10:00-14:00", [OFFICE, SATURDAY]),
    ("sat and sun 10:00-14:00", [{"days": [5, 6], "start": "10:00", "end": "14:00"}]),
    ("Sat, Sun 10:00-14:00", [{"days": [5, 6], "start": "10:00", "end": "14:00"}]),
    ("daily 00:00-24:00", [{"days": list(range(7)), "start": "00:00", "end": "24:00"}]),
    ("every day 8:00-9:00", [{"days": list(range(7)), "start": "08:00", "end": "09:00"}]),
]

# Wrong entries, and the word the error quotes back.
REFUSED = [
    ("周八 09:00-18:00", "周八"),
    ("周一至周八 09:00-18:00", "周八"),
    ("mnday-fri 09:00-18:00", "mnday"),
    ("Firday 10:00-14:00", "firday"),
    ("周一至周五 9:00~12:00，14:00 前不行；", "'14:00'"),  # a time without days
    ("周一至周五", "周一至周五"),  # no hours
    ("9:00-18:00", "9:00-18:00"),  # no days
    ("周一 25:00-26:00", "25:00"),
    ("周一 9-18", "周一 9-18"),  # hours without minutes: 9-5 could mean 17:00
]


@pytest.mark.parametrize("text,expected", ACCEPTED, ids=[t.strip() or "blank" for t, _ in ACCEPTED])
def test_every_phrasing_reads_as_the_same_shifts(text: str, expected: list[dict[str, Any]]
                                                 ) -> None:
    assert parse_shifts(text) == expected


@pytest.mark.parametrize("text,quoted", REFUSED, ids=[t for t, _ in REFUSED])
def test_a_wrong_shift_is_refused_naming_what_is_wrong(text: str, quoted: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_shifts(text)
    assert quoted in str(refused.value)


def test_dialects_and_lists_take_full_width_punctuation() -> None:
    assert split_list("河南话；粤语、客家话，四川话;闽南话,贵州话|山东话") == [
        "河南话", "粤语", "客家话", "四川话", "闽南话", "贵州话", "山东话"]
    assert split_list(" ；、 ") == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_set_of_days_is_shown_as_the_form_reads_it(app: Flask, lang: str) -> None:
    """The text the form shows for any shifts reads back as the same shifts, in both
    languages: showing and reading are one rule."""
    every = [list(days) for n in range(1, 8) for days in itertools.combinations(range(7), n)]
    with app.test_request_context(f"/?lang={lang}"):
        for days in every:
            shifts = [{"days": days, "start": "08:30", "end": "17:00"}, SATURDAY]
            assert parse_shifts(shifts_text(shifts)) == shifts, shifts_text(shifts)
        assert shifts_text([OFFICE, SATURDAY]) == {
            "zh": "周一至周五 09:00-18:00；周六 10:00-14:00",
            "en": "Mon-Fri 09:00-18:00; Sat 10:00-14:00"}[lang]
        assert shifts_text([{"days": [0, 2, 4, 5, 6], "start": "09:00", "end": "12:00"}]) == {
            "zh": "周一、周三、周五至周日 09:00-12:00",
            "en": "Mon, Wed, Fri-Sun 09:00-12:00"}[lang]
        assert shifts_text([{"days": list(range(7)), "start": "00:00", "end": "24:00"}]) == {
            "zh": "每天 00:00-24:00", "en": "every day 00:00-24:00"}[lang]
        assert shifts_text([]) == ""


# --- the form -------------------------------------------------------------------------------

def edit_url(volunteer_id: int, lang: str = "zh") -> str:
    """The volunteer's edit page in one language."""
    return f"/staff/volunteers/{volunteer_id}/edit?lang={lang}"


def saved(volunteer_id: int) -> Volunteer:
    """Re-read a volunteer."""
    with get_db().begin() as session:
        volunteer = session.get(Volunteer, volunteer_id)
        assert volunteer is not None
        session.expunge(volunteer)
        return volunteer


def visible_text(page: str) -> str:
    """What a reader sees of a page: its text without tags, attributes and scripts."""
    body = page.split("<main", 1)[-1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def field(page: str, name: str) -> str:
    """The value an input (or a text area) of the page shows."""
    match = re.search(rf'<input name="{name}" value="([^"]*)"', page) or re.search(
        rf'<textarea name="{name}"[^>]*>([^<]*)</textarea>', page)
    assert match, name
    return html.unescape(match[1])


def ticked(page: str, name: str) -> list[str]:
    """The values of the ticked checkboxes called `name`."""
    return re.findall(rf'name="{name}" value="([^"]+)" checked', page)


def chosen(page: str, name: str) -> str:
    """The option selected in a <select>, as (value, text)."""
    select = page.split(f'<select name="{name}">', 1)[1].split("</select>", 1)[0]
    match = re.search(r'<option value="([^"]+)" selected>([^<]*)</option>', select)
    assert match, select
    return f"{match[1]} {html.unescape(match[2])}"


def plain_form(token: str, **changes: Any) -> dict[str, Any]:
    """The form as a Chinese-speaking staff member fills it in."""
    return {"csrf_token": token, "skills": ["wages", "injury"], "languages": ["zh", "en"],
            "dialects": "河南话，粤语、客家话", "regions": "广东省，深圳市",
            "home_province": "河南省", "capacity": "4",
            "shifts": "周一到周五 ９：００－１８：００；星期六 10:00–14:00",
            "timezone": "Asia/Shanghai", "on_duty": "1", **changes}


def test_saved_and_reopened_the_form_reads_in_chinese(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    url = edit_url(web_world.vol_b)
    assert client.post(url, data=plain_form(token)).status_code == 303
    volunteer = saved(web_world.vol_b)
    # Stored exactly as before: codes, canonical dialects, shift dicts, the zone id.
    assert volunteer.languages == ["zh", "en"]
    assert volunteer.dialects == ["cantonese", "hakka", "henan"]
    assert volunteer.regions == ["广东省", "深圳市"]
    assert volunteer.shifts == [OFFICE, SATURDAY] and volunteer.timezone == "Asia/Shanghai"

    page = client.get(url).get_data(as_text=True)
    assert field(page, "shifts") == "周一至周五 09:00-18:00；周六 10:00-14:00"
    assert field(page, "dialects") == "粤语；客家话；河南话"
    assert field(page, "regions") == "广东省；深圳市"
    assert ticked(page, "languages") == ["zh", "en"] and ticked(page, "skills") == [
        "wages", "injury"]
    assert chosen(page, "timezone") == "Asia/Shanghai 中国（北京时间）"
    text = visible_text(page)
    for label in ("会说的语言", "中文", "英文", "每周值班时间", "时区", "多个时段用“；”隔开"):
        assert label in text, label
    for code in ("Asia/", "mon", "fri", "zh;", "cantonese", "henan", "hakka", "Languages",
                 "Time zone", "Dialects"):
        assert code not in text, code

    # Saving the form as it was shown changes nothing.
    again = {"csrf_token": token, "skills": ticked(page, "skills"),
             "languages": ticked(page, "languages"), "on_duty": "1",
             "timezone": "Asia/Shanghai",
             **{name: field(page, name) for name in ("dialects", "regions", "home_province",
                                                      "capacity", "shifts")}}
    assert client.post(url, data=again).status_code == 303
    after = saved(web_world.vol_b)
    assert (after.languages, after.dialects, after.regions, after.shifts, after.timezone) == (
        volunteer.languages, volunteer.dialects, volunteer.regions, volunteer.shifts,
        volunteer.timezone)

    english = client.get(edit_url(web_world.vol_b, "en")).get_data(as_text=True)
    assert field(english, "shifts") == "Mon-Fri 09:00-18:00; Sat 10:00-14:00"
    assert field(english, "dialects") == "粤语; 客家话; 河南话"  # Chinese names in both
    assert chosen(english, "timezone") == "Asia/Shanghai China (Beijing time)"
    assert "Chinese" in visible_text(english) and "Languages spoken" in english


@pytest.mark.parametrize("text,expected", [
    ("周一至周五 09:00-18:00；周六 10:00-14:00", [OFFICE, SATURDAY]),
    ("周一到周五 9:00-18:00", [OFFICE]),
    ("星期六 10:00–14:00", [SATURDAY]),
    ("mon-fri 09:00-18:00; sat 10:00-14:00", [OFFICE, SATURDAY]),
    ("", []),
], ids=["zh", "dao", "xingqi", "codes", "blank"])
def test_each_way_of_writing_shifts_saves_through_the_form(
        app: Flask, web_world: WebWorld, text: str, expected: list[dict[str, Any]]) -> None:
    client, token = logged_in(app, "staff_a")
    assert client.post(edit_url(web_world.vol_b),
                       data=plain_form(token, shifts=text)).status_code == 303
    assert saved(web_world.vol_b).shifts == expected
    page = client.get(edit_url(web_world.vol_b)).get_data(as_text=True)
    assert field(page, "shifts") == shifts_text_zh(expected)
    if not expected:  # blank = any time: the example stays a placeholder
        assert 'placeholder="周一至周五 09:00-18:00；周六 10:00-14:00"' in page


def shifts_text_zh(shifts: list[dict[str, Any]]) -> str:
    """What the Chinese form shows for these shifts (spelled out, not computed)."""
    names = {(0, 1, 2, 3, 4): "周一至周五", (5,): "周六"}
    return "；".join(f"{names[tuple(s['days'])]} {s['start']}-{s['end']}" for s in shifts)


def test_a_typo_is_refused_in_chinese_and_nothing_typed_is_lost(
        app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    before = saved(web_world.vol_b)
    form = plain_form(token, shifts="周一至周八 09:00-18:00", languages=["en"],
                      timezone="Asia/Hong_Kong", capacity="6")
    resp = client.post(edit_url(web_world.vol_b), data=form)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    error = re.search(r'<span class="flash error" role="alert">([^<]*)</span>', page)
    assert error is not None
    assert "看不懂 '周八' 是星期几" in html.unescape(error[1])
    assert "周一至周五 09:00-18:00" in html.unescape(error[1])  # what to type instead
    assert "unknown day" not in page
    # Every field shows what was typed, the wrong one included.
    assert field(page, "shifts") == "周一至周八 09:00-18:00"
    assert field(page, "dialects") == "河南话，粤语、客家话"
    assert field(page, "regions") == "广东省，深圳市" and field(page, "capacity") == "6"
    assert ticked(page, "languages") == ["en"] and ticked(page, "skills") == ["wages", "injury"]
    assert chosen(page, "timezone") == "Asia/Hong_Kong 香港"
    assert 'name="on_duty" value="1" checked' in page
    after = saved(web_world.vol_b)
    assert (after.shifts, after.capacity, after.languages) == (
        before.shifts, before.capacity, before.languages)

    english = client.post(edit_url(web_world.vol_b, "en"),
                          data=plain_form(token, shifts="mnday-fri 09:00-18:00"))
    assert english.status_code == 400
    assert "unknown day &#39;mnday&#39; (use mon..sun or 周一..周日)" in \
        english.get_data(as_text=True)

    bad_time = client.post(edit_url(web_world.vol_b), data=plain_form(token, shifts="周一 9-18"))
    assert "看不懂值班时间 '周一 9-18'：请先写星期几，再写几点到几点" in html.unescape(
        bad_time.get_data(as_text=True))


def test_ticked_languages_keep_the_volunteers_first_language(
        app: Flask, web_world: WebWorld) -> None:
    """The first language is the one the hotline texts a volunteer in: ticking boxes (always
    Chinese first on the page) does not change it."""
    with get_db().begin() as session:
        volunteer = session.get(Volunteer, web_world.vol_b)
        assert volunteer is not None
        volunteer.languages = ["en", "zh"]
    client, token = logged_in(app, "staff_a")
    page = client.get(edit_url(web_world.vol_b)).get_data(as_text=True)
    assert ticked(page, "languages") == ["zh", "en"]  # the boxes in the page's order
    assert LANGUAGE_CODES == ("zh", "en")
    url = edit_url(web_world.vol_b)
    assert client.post(url, data=plain_form(token)).status_code == 303
    assert saved(web_world.vol_b).languages == ["en", "zh"]
    assert client.post(url, data=plain_form(token, languages=["zh"])).status_code == 303
    assert saved(web_world.vol_b).languages == ["zh"]
    assert client.post(url, data=plain_form(token, languages=["zh", "en"])).status_code == 303
    assert saved(web_world.vol_b).languages == ["zh", "en"]
    assert client.post(url, data=plain_form(token, languages=[])).status_code == 303
    assert saved(web_world.vol_b).languages == ["zh"]  # none ticked: Chinese, as an import


def test_a_time_zone_outside_the_list_is_kept(app: Flask, web_world: WebWorld) -> None:
    with get_db().begin() as session:
        volunteer = session.get(Volunteer, web_world.vol_b)
        assert volunteer is not None
        volunteer.timezone = "America/Chicago"  # set by a CSV import
    client, token = logged_in(app, "staff_a")
    page = client.get(edit_url(web_world.vol_b)).get_data(as_text=True)
    assert chosen(page, "timezone") == "America/Chicago 美国（芝加哥）时间"
    assert "欧洲中部（柏林、巴黎）" in page and "美国东部（纽约）" in page
    assert client.post(edit_url(web_world.vol_b),
                       data=plain_form(token, timezone="America/Chicago")).status_code == 303
    assert saved(web_world.vol_b).timezone == "America/Chicago"
    bad = client.post(edit_url(web_world.vol_b), data=plain_form(token, timezone="Mars/Base"))
    assert bad.status_code == 400 and "未知时区 'Mars/Base'" in html.unescape(
        bad.get_data(as_text=True))


# --- how it looks on a phone -------------------------------------------------------------

@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_form_on_a_phone_in_chinese(browser: Browser, live: LiveServer,  # noqa: F811
                                        web_world: WebWorld) -> None:
    """Screenshot: test-artifacts/volunteer-form-phone-zh.png."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    log_in(page, live.url, "staff_a")
    page.goto(f"{live.url}{edit_url(web_world.vol_b)}")
    page.fill("textarea[name=shifts]", "周一到周五 ９：００－１８：００；星期六 10:00–14:00")
    page.fill("input[name=dialects]", "河南话、粤语")
    page.select_option("select[name=timezone]", label="中国（北京时间）")
    page.check("input[name=languages][value=en]")
    page.click("form.profile-form button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("王社工")
    page.goto(f"{live.url}{edit_url(web_world.vol_b)}")
    expect(page.locator("textarea[name=shifts]")).to_have_value(
        "周一至周五 09:00-18:00；周六 10:00-14:00")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Each box sits at the start of its own text's line, not above it.
    for label in page.locator("form.profile-form label:has(input[type=checkbox])").all():
        box = label.locator("input").bounding_box()
        whole = label.bounding_box()
        assert box is not None and whole is not None
        assert box["height"] < 30 and whole["height"] < 36, label.inner_text()
    text = page.locator("main").inner_text()
    for code in ("Asia/", "mon-fri", "zh;", "cantonese", "henan"):
        assert code not in text, code
    shot(page, "volunteer-form-phone-zh")
    context.close()
