"""A campaign of no organisation made by an admin (or the CLI) reaches every contact: it is
the admins' alone. Staff of no organisation keep their own campaigns (whose audience is the
contacts of no organisation) and nothing more."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from hotline.cli.main import main
from hotline.infra.db import get_db
from models import Role, User
from models.campaign import Campaign, CampaignStatus
from notifications.campaigns.audience import NO_ORGANISATION
from tests.conftest import WEB_PASSWORD, WebWorld
from tests.test_web_forms import logged_in

FORM = {"name": "全体通知", "text_zh": "周六培训", "footer": "1", "default_language": "zh",
        "price": "0.05", "quiet": "21:00-08:00"}


@pytest.fixture
def staff_none(web_world: WebWorld) -> str:
    """A staff login that belongs to no organisation."""
    with get_db().begin() as s:
        s.add(User(username="staff_none", role=Role.STAFF, organisation_id=None,
                   password_hash=generate_password_hash(WEB_PASSWORD)))
    return "staff_none"


def make_campaign(app: Flask, username: str) -> int:
    """Compose a campaign on the web as `username`; its id."""
    client, token = logged_in(app, username)
    created = client.post("/staff/campaigns/", data={**FORM, "csrf_token": token})
    assert created.status_code == 303, created.get_data(as_text=True)
    return int(created.headers["Location"].rstrip("/").split("/")[-1])


def cli_campaign(app: Flask) -> int:
    """`hotline campaign create` without --organisation; the new campaign's id."""
    env = {"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"]}
    result = CliRunner().invoke(main, ["campaign", "create", "--name", "CLI 通知",
                                       "--text", "zh=周六培训"], env=env)
    assert result.exit_code == 0, result.output
    return int(json.loads(result.output)["id"])


@pytest.mark.parametrize("maker", ["admin", "cli"])
def test_staff_without_organisation_cannot_touch_an_everyone_campaign(
        app: Flask, staff_none: str, maker: str) -> None:
    campaign_id = make_campaign(app, "admin") if maker == "admin" else cli_campaign(app)
    client, token = logged_in(app, staff_none)
    base = f"/staff/campaigns/{campaign_id}"
    assert client.get(base).status_code == 404
    assert client.get(base + "/progress?format=json").status_code == 404
    assert client.get(base + "/report.csv").status_code == 404
    for action in ("start", "cancel", "pause", "resume"):
        assert client.post(f"{base}/{action}", data={"csrf_token": token}).status_code == 404
    assert f"/staff/campaigns/{campaign_id}\"" not in client.get(
        "/staff/campaigns/").get_data(as_text=True)
    with get_db().begin() as s:
        assert s.get_one(Campaign, campaign_id).status == CampaignStatus.DRAFT
    admin, _ = logged_in(app, "admin")  # the admins still have it
    assert admin.get(base).status_code == 200
    assert admin.get(base + "/report.csv").status_code == 200


def test_staff_without_organisation_keep_their_own_campaigns(
        app: Flask, staff_none: str) -> None:
    own = make_campaign(app, staff_none)
    with get_db().begin() as s:
        campaign = s.get_one(Campaign, own)
        assert campaign.organisation_id is None
        assert campaign.audience["organisation_id"] == NO_ORGANISATION
    client, token = logged_in(app, staff_none)
    assert client.get(f"/staff/campaigns/{own}").status_code == 200
    assert client.get(f"/staff/campaigns/{own}/report.csv").status_code == 200
    assert client.post(f"/staff/campaigns/{own}/cancel",
                       data={"csrf_token": token}).status_code == 303
    with get_db().begin() as s:
        assert s.get_one(Campaign, own).status == CampaignStatus.CANCELLED
    # Staff of an organisation never see it either.
    other, _ = logged_in(app, "staff_a")
    assert other.get(f"/staff/campaigns/{own}").status_code == 404
    with get_db().begin() as s:
        assert len(s.scalars(select(Campaign)).all()) == 1
