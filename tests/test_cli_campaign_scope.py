"""`hotline campaign create --organisation X` texts X's contacts only, as the web does."""

from __future__ import annotations

import json

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from hotline.cli.main import main
from hotline.infra.db import get_db
from models import Case, CaseStatus, Contact, ContactOrganisation, Organisation, utcnow
from models.campaign import Campaign, Recipient
from notifications.campaigns.audience import materialize

ARGS = ["campaign", "create", "--name", "培训", "--text", "zh=周六培训，回复1报名"]


def world() -> dict[str, int]:
    """Offices X and Y and their contacts; one contact of no office; one opted out of X."""
    with get_db().begin() as s:
        x, y = Organisation(name="固始县工友中心"), Organisation(name="珠海市中心")
        s.add_all([x, y])
        s.flush()
        people = {name: Contact(phone=f"+86139000000{i:02d}", name=name) for i, name in
                  enumerate(["x_imported", "x_case", "y_imported", "nobody", "x_stopped"])}
        people["x_stopped"].opted_out_at = utcnow()
        s.add_all(people.values())
        s.flush()
        s.add_all([ContactOrganisation(contact_id=people["x_imported"].id, organisation_id=x.id),
                   ContactOrganisation(contact_id=people["x_stopped"].id, organisation_id=x.id),
                   ContactOrganisation(contact_id=people["y_imported"].id, organisation_id=y.id),
                   Case(contact_id=people["x_case"].id, organisation_id=x.id,
                        status=CaseStatus.NEW)])
        return {name: c.id for name, c in people.items()} | {"x": x.id}


def create(app: Flask, *extra: str) -> dict[str, object]:
    """Run `hotline campaign create` on the test database; its JSON output."""
    env = {"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"]}
    result = CliRunner().invoke(main, [*ARGS, *extra], env=env)
    assert result.exit_code == 0, result.output
    out: dict[str, object] = json.loads(result.output)
    return out


def recipients(campaign_id: object) -> set[int]:
    """Materialise the campaign's audience (as `campaign send` does) and read who is in it."""
    with get_db().begin() as s:
        campaign = s.get(Campaign, campaign_id)
        assert campaign is not None
        materialize(s, campaign, "Asia/Shanghai")
    with get_db().begin() as s:
        return set(s.scalars(select(Recipient.contact_id)
                             .where(Recipient.campaign_id == campaign_id)))


def test_an_organisations_campaign_reaches_only_its_contacts(app: Flask) -> None:
    ids = world()
    made = create(app, "--organisation", "固始县工友中心")
    assert made["audience"] == 2
    assert recipients(made["id"]) == {ids["x_imported"], ids["x_case"]}
    with get_db().begin() as s:
        campaign = s.get(Campaign, made["id"])
        assert campaign is not None
        assert campaign.organisation_id == ids["x"]
        assert campaign.audience["organisation_id"] == ids["x"]  # kept for every later step
    # Other filters still apply inside the office's contacts.
    narrowed = create(app, "--organisation", "固始县工友中心", "--open-case")
    assert recipients(narrowed["id"]) == {ids["x_case"]}


def test_without_organisation_the_campaign_reaches_everyone_not_opted_out(app: Flask) -> None:
    ids = world()
    made = create(app)
    assert made["audience"] == 4
    assert recipients(made["id"]) == {ids[n] for n in ("x_imported", "x_case", "y_imported",
                                                        "nobody")}
