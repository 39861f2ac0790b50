"""Every CSV the project writes neutralises cells a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from hotline.cli.main import main
from hotline.infra.db import get_db
from models import Contact, Recipient, RecipientStatus
from models.campaign import Campaign, CampaignStatus
from notifications.csv_safe import safe_cell
from tests.conftest import WebWorld
from tests.test_web_forms import logged_in

HOSTILE = ['=HYPERLINK("http://evil.example","点我")', "=1+1", "+1+cmd|' /C calc'!A0",
           "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "=cmd|'/C notepad'!'A1'", "-", "+",
           "=", "@", "@张三", "-老板跑了", "+86 138 0013 8000 =1"]
UNCHANGED = ["张三", "老板拖欠工资", "+8613800138000", "-12.50", "12000", "+1", "-3",
             "a=b", "退订", "", "1+1", " =1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_cells_get_an_apostrophe(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", [*UNCHANGED, None, 3, -4, 2.5])
def test_other_cells_pass_unchanged(value: object) -> None:
    assert safe_cell(value) == value


def cells(text: str) -> list[str]:
    """Every cell of a CSV text."""
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def assert_no_formula(text: str) -> None:
    """No cell a spreadsheet would run as a formula."""
    for cell in cells(text):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or cell.lstrip(
            "+-").replace(".", "").isdigit(), cell


def hostile_campaign() -> int:
    """A finished campaign with a formula for a name and formulas in the workers' replies."""
    with get_db().begin() as s:
        campaign = Campaign(name='=HYPERLINK("http://evil.example","报告")', sender="+8610086",
                            status=CampaignStatus.DONE)
        s.add(campaign)
        s.flush()
        for i, reply in enumerate(HOSTILE):
            contact = Contact(phone=f"+86138001{i:05d}")
            s.add(contact)
            s.flush()
            s.add(Recipient(campaign_id=campaign.id, contact_id=contact.id,
                            phone=contact.phone, language="zh", timezone="Asia/Shanghai",
                            status=RecipientStatus.FAILED, reply=reply[:20], error_code=30003,
                            error_message="@carrier " + reply, provider_sid=f"SM{i:032d}"))
        return campaign.id


def test_web_campaign_report_is_safe(app: Flask, web_world: WebWorld) -> None:
    campaign_id = hostile_campaign()
    client, _ = logged_in(app, "admin")
    body = client.get(f"/staff/campaigns/{campaign_id}/report.csv").get_data(as_text=True)
    assert "'=HYPERLINK(" in body
    assert_no_formula(body)


def test_web_monthly_report_is_safe(app: Flask, web_world: WebWorld) -> None:
    client, _ = logged_in(app, "admin")
    response = client.get("/staff/reports/monthly.csv")
    assert response.status_code == 200
    assert_no_formula(response.get_data(as_text=True))


def test_cli_report_and_recipients_are_safe(app: Flask, tmp_path: Path) -> None:
    campaign_id = hostile_campaign()
    env = {"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"]}
    report, people = tmp_path / "report.csv", tmp_path / "people.csv"
    result = CliRunner().invoke(main, ["campaign", "report", str(campaign_id), "--csv",
                                       str(report), "--recipients", str(people),
                                       "--full-phones"], env=env)
    assert result.exit_code == 0, result.output
    for path in (report, people):
        with path.open(newline="", encoding="utf-8") as f:
            assert_no_formula(f.read())
    with people.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[1][1] == "+8613800100000"  # phone numbers stay numbers
    assert {row[-1] for row in rows[1:]} == {"'" + text[:20] for text in HOSTILE}


def test_cli_import_errors_are_safe(app: Flask, tmp_path: Path) -> None:
    source, errors = tmp_path / "contacts.csv", tmp_path / "errors.csv"
    source.write_text("phone,name\n" + "".join(
        f'"{bad.replace(chr(34), chr(34) * 2)}",工友\n' for bad in HOSTILE), encoding="utf-8")
    env = {"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"]}
    result = CliRunner().invoke(main, ["campaign", "import-contacts", str(source),
                                       "--errors", str(errors)], env=env)
    assert result.exit_code == 0, result.output
    with errors.open(newline="", encoding="utf-8") as f:
        written = f.read()
    assert written.count("\n") > 5, written
    assert_no_formula(written)
