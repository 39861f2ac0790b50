"""The workers' data pages: an admin finds a worker by the number however it is written, sees
counts (never words), downloads the export and erases after two confirmations; a recording
the provider will not delete stops the erasure whole; nobody else sees or does anything."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from devtools.fake_twilio import FakeTwilio
from hotline.infra.db import get_db
from hotline.privacy import export_contact, find_contact
from hotline.web.privacy_admin import typed_confirmation
from models import AuditLog, Contact, User
from notifications.providers.console import ConsoleProvider
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, WebWorld
from tests.test_privacy import (
    EMPLOYER,
    NAME,
    PHONE,
    SECRETS,
    WORDS,
    history,
    personal_hits,
    report_now,
    this_month,
)
from tests.test_web_case_edit import visible_text
from tests.test_web_forms import logged_in

MASKED = "+86 138****5678"
# Words a Chinese page may show in Latin letters: the language switch, the login's username,
# the provider's name.
LATIN_OK = {"English", "admin", "Twilio"}


@pytest.fixture
def held(app: Flask, web_world: WebWorld, post_signed: Callable[..., Any],
         fake_twilio: FakeTwilio) -> dict[str, Any]:
    """The worker of tests/test_privacy.py (texts, a call with a recording, a campaign text),
    in the web tests' world of two offices."""
    made = history(app, post_signed, fake_twilio)
    with get_db().begin() as s:
        contact = find_contact(s, PHONE)
        assert contact is not None
        data = export_contact(s, contact)
        made["contact_id"] = contact.id
        made["counts"] = {"案件": len(data["cases"]), "短信": len(data["messages"]),
                          "通话": len(data["calls"]), "录音": 1,
                          "收到的群发短信": len(data["bulk_sms_received"])}
    return made


def latin_words(html: str) -> set[str]:
    """Latin-letter words a reader of the Chinese page would see."""
    return set(re.findall(r"[A-Za-z]{3,}", visible_text(html))) - LATIN_OK


def assert_nothing_personal(html: str) -> None:
    """No full number, name, employer or words of the worker on the page."""
    for secret in [PHONE, PHONE[3:], NAME, EMPLOYER, *WORDS]:
        assert secret not in html, secret


def contact_phone(contact_id: int) -> str:
    """The contact's stored number (erased-N once erased)."""
    with get_db().begin() as s:
        contact = s.get(Contact, contact_id)
        assert contact is not None
        return contact.phone


def audit_rows(action: str) -> list[AuditLog]:
    """The audit entries of one action, oldest first."""
    with get_db().begin() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)
                              .order_by(AuditLog.id)))


def confirm_step_one(client: Any, token: str, contact_id: int) -> None:
    """Read the first page and press continue."""
    page = client.get(f"/staff/privacy/{contact_id}/erase?lang=zh")
    assert page.status_code == 200
    resp = client.post(f"/staff/privacy/{contact_id}/erase", data={"csrf_token": token})
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/staff/privacy/{contact_id}/erase/final")


WRITTEN = ["138 1234 5678", "+86 138 1234 5678", "86-138-1234-5678", "１３８１２３４５６７８",
           "(+86)138-1234-5678", "008613812345678", "＋８６ １３８ １２３４ ５６７８"]


def test_the_number_is_found_however_it_is_written(app: Flask, held: dict[str, Any]) -> None:
    admin, token = logged_in(app, "admin")
    for written in WRITTEN:
        resp = admin.post("/staff/privacy/?lang=zh", data={"csrf_token": token,
                                                           "phone": written})
        assert resp.status_code == 303, written
        assert resp.headers["Location"].endswith(f"/staff/privacy/{held['contact_id']}")


def test_the_summary_shows_counts_not_words(app: Flask, held: dict[str, Any]) -> None:
    admin, _ = logged_in(app, "admin")
    page = admin.get(f"/staff/privacy/{held['contact_id']}?lang=zh").get_data(as_text=True)
    shown = dict(re.findall(r"<tr><th>([^<]+)</th><td>(\d+)</td></tr>", page))
    assert {k: int(v) for k, v in shown.items()} == held["counts"]
    assert held["counts"]["案件"] == 2 and held["counts"]["短信"] >= 2
    assert MASKED in page and "下载全部信息" in page and "删除这位工友的信息" in page
    assert_nothing_personal(page)
    assert not latin_words(page), latin_words(page)


def test_an_unknown_or_unreadable_number_is_said_so(app: Flask, held: dict[str, Any]) -> None:
    admin, token = logged_in(app, "admin")
    for written, status, says in [("139 0000 1111", 404, "没有这个号码的工友记录。"),
                                  ("+86 138 1234 567", 404, "没有这个号码的工友记录。"),
                                  ("王小明", 400, "无法识别这个号码"),
                                  ("", 400, "无法识别这个号码")]:
        resp = admin.post("/staff/privacy/?lang=zh", data={"csrf_token": token,
                                                           "phone": written})
        page = resp.get_data(as_text=True)
        assert resp.status_code == status and says in page, written
        assert MASKED not in page and not latin_words(page)


def test_the_download_is_the_cli_export_and_is_audited(app: Flask, held: dict[str, Any]) -> None:
    admin, token = logged_in(app, "admin")
    resp = admin.post(f"/staff/privacy/{held['contact_id']}/export", data={"csrf_token": token})
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="worker-data-')
    assert PHONE not in resp.headers["Content-Disposition"]
    text = resp.get_data(as_text=True)
    assert WORDS[0] in text and "\\u" not in text  # readable Chinese, not escapes
    got = json.loads(text)
    with get_db().begin() as s:
        contact = find_contact(s, PHONE)
        assert contact is not None
        expected = export_contact(s, contact)
    got.pop("exported_at"), expected.pop("exported_at")
    assert got == expected
    assert got["contact"]["name"] == NAME
    [entry] = audit_rows("export_contact")
    with get_db().begin() as s:
        admin_id = s.scalar(select(User.id).where(User.username == "admin"))
    assert (entry.user_id, entry.contact_id) == (admin_id, held["contact_id"])


def test_erase_takes_two_confirmations_then_removes_everything_personal(
        app: Flask, held: dict[str, Any]) -> None:
    before = report_now(this_month())
    admin, token = logged_in(app, "admin")
    cid = held["contact_id"]
    first = admin.get(f"/staff/privacy/{cid}/erase?lang=zh").get_data(as_text=True)
    assert "将被删除的内容" in first and "保留的内容" in first and "1段录音" in first
    assert "所以月报的数字不会变" in first and "2个案件" in first
    assert_nothing_personal(first)
    assert not latin_words(first), latin_words(first)
    # The typed step never comes first, by GET or by POST.
    for resp in (admin.get(f"/staff/privacy/{cid}/erase/final"),
                 admin.post(f"/staff/privacy/{cid}/erase/final",
                            data={"csrf_token": token, "confirm": "5678"})):
        assert resp.status_code == 303 and resp.headers["Location"].endswith(
            f"/staff/privacy/{cid}/erase")
    assert contact_phone(cid) == PHONE
    confirm_step_one(admin, token, cid)
    second = admin.get(f"/staff/privacy/{cid}/erase/final?lang=zh").get_data(as_text=True)
    assert "最后四位数字" in second and MASKED in second and not latin_words(second)
    for wrong in ["1234", "", "5679", "delete", "删", "+8613812345678"]:
        resp = admin.post(f"/staff/privacy/{cid}/erase/final?lang=zh",
                          data={"csrf_token": token, "confirm": wrong})
        assert resp.status_code == 400 and "什么都没有删除" in resp.get_data(as_text=True)
    assert contact_phone(cid) == PHONE and personal_hits([EMPLOYER])

    resp = admin.post(f"/staff/privacy/{cid}/erase/final",
                      data={"csrf_token": token, "confirm": " ５６７８ "})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(
        f"/staff/privacy/{cid}/erased")
    done = admin.get(f"/staff/privacy/{cid}/erased?lang=zh").get_data(as_text=True)
    assert "2个案件已去掉个人信息" in done and "1段录音已在电话服务商那里删除" in done
    assert not latin_words(done), latin_words(done)

    assert personal_hits(SECRETS) == []
    assert report_now(this_month()) == before
    audio = requests.get(held["recording"], auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)
    assert audio.status_code == 404  # deleted at the provider, not only here
    [entry] = audit_rows("erase_contact")
    assert entry.contact_id == cid and json.loads(entry.detail or "")["recordings_deleted"] == 1
    # Afterwards there is nothing left to export or erase, and the number finds nobody.
    summary = admin.get(f"/staff/privacy/{cid}?lang=zh").get_data(as_text=True)
    assert "这位工友的信息已于" in summary and "下载全部信息" not in summary
    assert admin.post(f"/staff/privacy/{cid}/export", data={"csrf_token": token}
                      ).status_code == 404
    assert admin.get(f"/staff/privacy/{cid}/erase").status_code == 404
    assert admin.post("/staff/privacy/", data={"csrf_token": token, "phone": PHONE}
                      ).status_code == 404
    # The first confirmation was used up: a replayed final POST goes back to step one.
    assert admin.post(f"/staff/privacy/{cid}/erase/final",
                      data={"csrf_token": token, "confirm": "5678"}).status_code == 303


def test_a_recording_the_provider_keeps_stops_the_erasure_and_says_so(
        app: Flask, held: dict[str, Any], fake_twilio: FakeTwilio) -> None:
    admin, token = logged_in(app, "admin")
    cid = held["contact_id"]
    confirm_step_one(admin, token, cid)
    fake_twilio.stop()  # the provider cannot be reached: the recording stays there
    resp = admin.post(f"/staff/privacy/{cid}/erase/final?lang=zh",
                      data={"csrf_token": token, "confirm": "删除"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 502
    assert "什么都没有删除" in page and "工友的信息和原来完全一样" in page
    assert not latin_words(page), latin_words(page)
    assert contact_phone(cid) == PHONE
    assert all(personal_hits([secret]) for secret in [NAME, EMPLOYER, *WORDS])
    [entry] = audit_rows("erase_contact")
    assert entry.detail is not None and entry.detail.startswith("not erased")
    assert admin.get(f"/staff/privacy/{cid}/erased").status_code == 404


def test_a_provider_that_cannot_delete_recordings_is_said_before_and_after(
        app: Flask, held: dict[str, Any]) -> None:
    # As with HOTLINE_PROVIDER=console: no recording API, so the audio stays at Twilio.
    app.extensions["provider"] = ConsoleProvider(show_texts=False)
    admin, token = logged_in(app, "admin")
    cid = held["contact_id"]
    first = admin.get(f"/staff/privacy/{cid}/erase?lang=zh").get_data(as_text=True)
    assert "1段录音只会在本系统里去掉链接" in first
    confirm_step_one(admin, token, cid)
    resp = admin.post(f"/staff/privacy/{cid}/erase/final",
                      data={"csrf_token": token, "confirm": "删除"})
    assert resp.status_code == 303
    done = admin.get(f"/staff/privacy/{cid}/erased?lang=zh").get_data(as_text=True)
    assert "1段录音没能在电话服务商那里删除" in done and "0段录音已在电话服务商那里删除" in done
    assert requests.get(held["recording"], auth=(ACCOUNT_SID, AUTH_TOKEN),
                        timeout=5).status_code == 200
    assert personal_hits(SECRETS) == []


@pytest.mark.parametrize("username", ["staff_a", "staff_b", "vol_a"])
def test_nobody_but_an_admin_sees_or_does_anything(app: Flask, held: dict[str, Any],
                                                   username: str) -> None:
    client, token = logged_in(app, username)
    cid = held["contact_id"]
    form = {"csrf_token": token, "phone": PHONE, "confirm": "5678"}
    for method, path in [("get", "/staff/privacy/"), ("post", "/staff/privacy/"),
                         ("get", f"/staff/privacy/{cid}"),
                         ("post", f"/staff/privacy/{cid}/export"),
                         ("get", f"/staff/privacy/{cid}/erase"),
                         ("post", f"/staff/privacy/{cid}/erase"),
                         ("get", f"/staff/privacy/{cid}/erase/final"),
                         ("post", f"/staff/privacy/{cid}/erase/final"),
                         ("get", f"/staff/privacy/{cid}/erased")]:
        resp = getattr(client, method)(path + "?lang=zh", data=form)
        assert resp.status_code == 403, (method, path)
        page = resp.get_data(as_text=True)
        assert MASKED not in page and "录音" not in page
        assert_nothing_personal(page)
    assert "/staff/privacy/" not in client.get("/staff/?lang=zh").get_data(as_text=True)
    assert contact_phone(cid) == PHONE
    assert audit_rows("export_contact") == audit_rows("erase_contact") == []


def test_admins_reach_it_from_the_menu_and_forms_need_their_token(
        app: Flask, held: dict[str, Any]) -> None:
    admin, _ = logged_in(app, "admin")
    assert 'href="/staff/privacy/">工友个人信息</a>' in admin.get("/staff/?lang=zh").get_data(
        as_text=True)
    cid = held["contact_id"]
    assert admin.post(f"/staff/privacy/{cid}/export").status_code == 400  # no CSRF token
    anonymous = app.test_client().get(f"/staff/privacy/{cid}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


@pytest.mark.parametrize(("typed", "accepted"), [
    ("5678", True), (" 5678 ", True), ("５６７８", True), ("56 78", True), ("删除", True),
    ("删 除", True), ("1234", False), ("678", False), ("45678", False), ("删", False),
    ("delete", False), ("", False), ("+8613812345678", False),
])
def test_the_typed_confirmation(typed: str, accepted: bool) -> None:
    assert typed_confirmation(typed, Contact(phone=PHONE)) is accepted
