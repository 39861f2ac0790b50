"""Campaign audiences and the opt-out list are limited to the staff member's organisation:
contacts it imported or that have a case in its queue. Admins see everyone."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from hotline.infra.db import get_db
from models import (
    Campaign,
    Contact,
    ContactOrganisation,
    Recipient,
    Role,
    User,
)
from notifications.campaigns.audience import materialize
from tests.conftest import WEB_PASSWORD, WebWorld
from tests.test_web_forms import logged_in

# name, phone, importing organisation ("a", "b" or None)
PEOPLE = [("甲一", "+8613811110001", "a"), ("甲二", "+8613811110002", "a"),
          ("乙一", "+8613822220003", "b"), ("无主", "+8613833330004", None)]
WORLD_WORKER = "张工友"  # web_world's worker: cases in both organisations


@pytest.fixture
def people(web_world: WebWorld) -> dict[str, int]:
    """The contacts above, linked to the organisation that imported them; name -> id."""
    orgs = {"a": web_world.org_a, "b": web_world.org_b}
    ids = {}
    with get_db().begin() as s:
        for name, number, org in PEOPLE:
            contact = Contact(phone=number, name=name, language="zh")
            s.add(contact)
            s.flush()
            ids[name] = contact.id
            if org:
                s.add(ContactOrganisation(contact_id=contact.id, organisation_id=orgs[org]))
        s.add(User(username="staff_none", role=Role.STAFF, organisation_id=None,
                   password_hash=generate_password_hash(WEB_PASSWORD)))
    return ids


def compose_form(token: str) -> dict[str, str]:
    """A compose form with a personal text, so the preview shows names."""
    return {"csrf_token": token, "name": "通知", "text_zh": "{name|工友}您好，周六培训",
            "footer": "1", "default_language": "zh", "price": "0.05", "quiet": "21:00-08:00"}


def audience_count(fragment: str) -> int:
    """The audience size in the live estimate fragment."""
    match = re.search(r'id="audience-count">(\d+)<', fragment)
    assert match, fragment
    return int(match.group(1))


@pytest.mark.parametrize(("username", "sees"), [
    ("staff_a", {"甲一", "甲二", WORLD_WORKER}),
    ("staff_b", {"乙一", WORLD_WORKER}),
    ("staff_none", {"无主"}),
    ("admin", {"甲一", "甲二", "乙一", "无主", WORLD_WORKER}),
])
def test_audience_count_preview_and_recipients_stay_in_the_organisation(
        app: Flask, people: dict[str, int], username: str, sees: set[str]) -> None:
    client, token = logged_in(app, username)
    form = compose_form(token)
    fragment = client.post("/staff/campaigns/estimate", data=form).get_data(as_text=True)
    assert audience_count(fragment) == len(sees)
    created = client.post("/staff/campaigns/", data=form)
    assert created.status_code == 303
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    everyone = {name for name, _, _ in PEOPLE} | {WORLD_WORKER}
    shown = {name for name in everyone if f"{name}您好" in page}  # the preview's texts
    assert shown == sees
    with get_db().begin() as s:
        campaign = s.scalars(select(Campaign)).one()
        materialize(s, campaign, "Asia/Shanghai")
        recipients = set(s.scalars(select(Contact.name).join(
            Recipient, Recipient.contact_id == Contact.id)))
    assert recipients == sees


def test_a_form_cannot_widen_the_scope(app: Flask, people: dict[str, int]) -> None:
    """The organisation comes from the login, never from the form."""
    client, token = logged_in(app, "staff_b")
    form = {**compose_form(token), "organisation_id": "", "audience": "{}"}
    fragment = client.post("/staff/campaigns/estimate", data=form).get_data(as_text=True)
    assert audience_count(fragment) == 2


def test_opt_out_list_shows_only_the_organisations_workers(
        app: Flask, people: dict[str, int]) -> None:
    with get_db().begin() as s:
        for contact in s.scalars(select(Contact)):
            contact.opt_out()
    expected = {"staff_a": {"甲一", "甲二", WORLD_WORKER}, "staff_b": {"乙一", WORLD_WORKER},
                "admin": {"甲一", "甲二", "乙一", "无主", WORLD_WORKER}}
    for username, names in expected.items():
        client, _ = logged_in(app, username)
        page = client.get("/staff/opt-outs").get_data(as_text=True)
        shown = {n for n in {p[0] for p in PEOPLE} | {WORLD_WORKER} if f"<td>{n}</td>" in page}
        assert shown == names, username
        assert f"({len(names)})" in page


def test_compose_form_shows_recipients_and_cost_per_language(
        app: Flask, people: dict[str, int], web_world: WebWorld) -> None:
    with get_db().begin() as s:  # one of staff A's workers reads English
        s.get_one(Contact, people["甲二"]).language = "en"
    client, token = logged_in(app, "staff_a")
    form = {**compose_form(token), "price": "0.10", "signature": "",
            "text_zh": "周六上午九点社区中心有劳动合同培训，欢迎参加。" * 3,  # 2 segments
            "text_en": "Training on Saturday at 9 in the community centre."}
    fragment = client.post("/staff/campaigns/estimate", data=form).get_data(as_text=True)
    assert re.findall(r'data-lang="(\w+)">\w+: <b class="seg-count">(\d)', fragment) == [
        ("zh", "2"), ("en", "1")]
    # zh: 甲一 and the world's worker, 2 segments each at ¥0.10; en: 甲二, 1 segment.
    found = {lang: (m.group(1), m.group(2)) for lang in ("zh", "en") if (m := re.search(
        rf'data-lang="{lang}">.*?<span class="recipients">(\d+)</span>.*?'
        r'<b class="lang-cost">([^<]+)</b>', fragment))}
    assert found == {"zh": ("2", "¥0.40"), "en": ("1", "¥0.10")}, fragment
    assert 'id="total-cost">¥0.50<' in fragment
