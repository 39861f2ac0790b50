"""Replies to a campaign arrive as ordinary inbound SMS: sign-ups are counted, not opened as cases;
a worker in the middle of the intake who answers "1" is answering the intake. On Twilio and on
Alibaba Cloud SMS alike (tests/provider_support.py: on Alibaba the campaign is an approved
template and the replies come back as SmsUp pushes)."""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from hotline.infra.db import get_db
from models import Campaign, CampaignKind, Case, Contact, Recipient
from notifications.campaigns.report import report
from tests.provider_support import World, fake_alibaba, on_provider  # noqa: F401
from tests.test_campaign_send import add_contacts, phone

SIGNUP = "{name}您好，周六有维权培训，回复1报名"


def cases() -> int:
    """How many cases exist."""
    with get_db().begin() as s:
        return s.scalar(select(func.count()).select_from(Case)) or 0


def test_signup_reply_is_counted_not_opened_as_a_case(on_provider: World) -> None:
    add_contacts(2)
    cid = on_provider.campaign(SIGNUP, rsvp_keywords=["1"])
    assert on_provider.reply(phone(0), "1") == "已报名，谢谢！"
    assert cases() == 0
    with get_db().begin() as s:
        campaign = s.get(Campaign, cid)
        assert campaign is not None and report(s, campaign)["signups"] == 1
    # Anything else from a recipient is intake as usual.
    assert "案件编号" in (on_provider.reply(phone(1), "老板欠我工资") or "")
    assert cases() == 1


def test_worker_mid_intake_answering_1_is_answering_the_intake(on_provider: World) -> None:
    add_contacts(1)
    on_provider.campaign(SIGNUP, rsvp_keywords=["1"])
    on_provider.text(phone(0), "老板拖欠工资")  # starts the intake
    answer = on_provider.reply(phone(0), "1") or ""  # category: wages
    assert "已报名" not in answer and "省市" in answer
    with get_db().begin() as s:
        case = s.scalars(select(Case)).one()
        assert case.category == "wages"
        assert s.scalars(select(Contact)).one().phone == phone(0)


def recheck_campaign(world: World, n: int) -> int:
    """A re-check campaign to n contacts, sent."""
    add_contacts(n)
    return world.campaign("工友热线核实号码：如仍是您的号码请回复1", kind=CampaignKind.RECHECK)


def test_recheck_answers_other_than_1(on_provider: World) -> None:
    """Yes-words confirm, no-words mark the number stale at once (and get no answer); a real
    message still goes to intake."""
    recheck_campaign(on_provider, 3)
    assert on_provider.reply(phone(0), "是的") == "谢谢，已确认您的号码。"
    assert on_provider.reply(phone(1), "不是") is None
    assert cases() == 0
    with get_db().begin() as s:
        people = {c.phone: c for c in s.scalars(select(Contact))}
        assert people[phone(0)].verified_at is not None and people[phone(0)].stale_at is None
        assert people[phone(1)].stale_at is not None and people[phone(1)].verified_at is None
        replies = dict(s.execute(select(Recipient.contact_id, Recipient.reply)).all())
        assert (replies[people[phone(0)].id], replies[people[phone(1)].id]) == ("1", "不是")
    answer = on_provider.reply(phone(2), "号码还在用，老板欠我工资") or ""
    assert "案件编号" in answer and cases() == 1


def test_recheck_campaign_from_the_web_form_leaves_stale_numbers_out(
        app: Flask, web_world: Any) -> None:
    """The web form, not a carrier: on Twilio only."""
    from models import utcnow
    from tests.test_web_forms import logged_in

    with get_db().begin() as s:
        s.add_all([Contact(phone=phone(i), name=f"工友{i}", stale_at=utcnow() if i else None)
                   for i in range(3)])
    client, token = logged_in(app, "admin")
    form = {"csrf_token": token, "name": "号码核实", "text_zh": "如仍是您的号码请回复1",
            "footer": "1", "default_language": "zh", "price": "0.05", "quiet": "21:00-08:00",
            "kind": "recheck", "number": "fresh"}
    fragment = client.post("/staff/campaigns/estimate", data=form).get_data(as_text=True)
    assert 'id="audience-count">2<' in fragment  # phone(0) and the world's worker
    assert client.post("/staff/campaigns/", data=form).status_code == 303
    with get_db().begin() as s:
        made = s.scalars(select(Campaign)).one()
        assert (made.kind, made.rsvp_keywords) == (CampaignKind.RECHECK, ["1"])
        assert made.audience == {"exclude_stale": True}
