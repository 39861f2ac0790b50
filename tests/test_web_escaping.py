"""HTML and script a worker texts in are shown as text in the staff console, never run."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.conftest import WebWorld, sms_form, web_login

HOSTILE = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><svg onload=alert(1)>",
]


def test_worker_html_is_escaped_in_case_list_and_case_page(app: Flask, post_signed: Any,
                                                           web_world: WebWorld) -> None:
    for body in HOSTILE:
        assert post_signed("/twilio/sms", sms_form("+8613855550000", body)).status_code == 200
    client = app.test_client()
    web_login(client, "admin")
    listing = client.get("/staff/cases").get_data(as_text=True)
    number = 1000 + 5  # web_world made cases 1001-1004; the texts opened the next one
    resp = client.get(f"/staff/cases/{number}")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    for html in (listing, page):
        for body in HOSTILE:
            assert body not in html
    assert "&lt;script&gt;alert(" in page  # shown, as text, on the timeline
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;/textarea&gt;&lt;svg onload=alert(1)&gt;" in page


def test_a_workers_text_is_shown_once_on_the_timeline(app: Flask, post_signed: Any,
                                                      web_world: WebWorld) -> None:
    body = "老板拖欠我们三个月工资，一共十二个人"
    assert post_signed("/twilio/sms", sms_form("+8613855551111", body)).status_code == 200
    client = app.test_client()
    web_login(client, "admin")
    page = client.get("/staff/cases/1005").get_data(as_text=True)
    timeline = page[page.index('id="timeline"'):]
    # Once as the worker's bubble; the case summary above the timeline is not counted, and
    # the auto reply shows the reply, not the worker's text again.
    assert timeline.count(body) == 1
    assert timeline.count("1005") >= 1  # the reply with the case number is there
