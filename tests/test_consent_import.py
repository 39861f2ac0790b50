"""Consent through contact imports (a stated source for the file or per row; none without one)
and audiences that require it: a campaign requiring consent reaches only workers who agreed
explicitly, and the estimate says how many it leaves out. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from hotline.cli.main import main
from hotline.consent import (
    GIVEN,
    SUBSCRIBED_BY_TEXT,
    TEXTED_HOTLINE,
    give,
    withdraw,
)
from hotline.infra.db import get_db
from models import Campaign, ConsentEvent, Contact, Recipient
from notifications.campaigns.audience import (
    Audience,
    BadAudience,
    audience_size,
    left_out_for_consent,
    materialize,
)
from notifications.contact_import import ImportConsent, RowError, import_contacts

SHEET = "2026年春节返乡登记表，本人勾选同意"


def consent_of() -> dict[str, tuple[str | None, list[tuple[str, str, str | None]]]]:
    """Per phone: the consent source in force and every event (action, source, evidence)."""
    with get_db().begin() as s:
        out: dict[str, tuple[str | None, list[tuple[str, str, str | None]]]] = {}
        for contact in s.scalars(select(Contact).order_by(Contact.id)):
            events = s.execute(select(ConsentEvent.action, ConsentEvent.source,
                                      ConsentEvent.evidence)
                               .where(ConsentEvent.contact_id == contact.id)
                               .order_by(ConsentEvent.id)).all()
            out[contact.phone] = (contact.consent_source,
                                  [(str(a), str(src), ev) for a, src, ev in events])
            assert (contact.consent_at is None) == (contact.consent_source is None)
        return out


def run_import(text: str, consent: ImportConsent | None, batch_rows: int = 2000
               ) -> tuple[dict[str, int], list[RowError]]:
    """Import CSV text; the summary and the rejected rows."""
    errors: list[RowError] = []
    summary = import_contacts(get_db(), io.StringIO(text), errors.append,
                              batch_rows=batch_rows, consent=consent)
    return summary.as_dict(), errors


def test_import_with_a_stated_source_records_consent_per_row(app: Flask) -> None:
    evidence = "imported from 2026春节名单.csv by staff wang"
    summary, errors = run_import("手机号,姓名\n13800138000,李强\n13800138001,王芳\n"
                                 "13800138000,李强\n", ImportConsent(SHEET, evidence),
                                 batch_rows=1)
    assert errors == [] and summary["consent"] == 2
    assert consent_of() == {
        "+8613800138000": (SHEET, [(GIVEN, SHEET, f"{evidence}, row 2")]),
        "+8613800138001": (SHEET, [(GIVEN, SHEET, f"{evidence}, row 3")])}
    # The same file again records nothing new; the worker's words are nowhere in it.
    summary, _ = run_import("手机号,姓名\n13800138000,李强\n", ImportConsent(SHEET, evidence))
    assert summary["consent"] == 0 and len(consent_of()["+8613800138000"][1]) == 1


def test_import_without_a_source_records_no_consent(app: Flask) -> None:
    summary, errors = run_import("phone,name\n13800138000,李强\n", None)
    assert errors == [] and summary["created"] == 1 and summary["consent"] == 0
    summary, _ = run_import("phone,name\n13800138001,王芳\n",
                            ImportConsent(None, "imported from x.csv by staff wang"))
    assert summary["consent"] == 0
    assert consent_of() == {"+8613800138000": (None, []), "+8613800138001": (None, [])}


def test_a_consent_column_states_it_row_by_row(app: Flask) -> None:
    long_source = "同意" * 61
    text = ("手机号,姓名,同意来源\n13800138000,李强,2026年3月工地普法讲座签到表勾选同意\n"
            f"13800138001,王芳,\n13800138002,赵敏,{long_source}\n")
    summary, errors = run_import(text, ImportConsent(SHEET, "imported from 名单.csv by admin a"))
    assert [(e.row, e.column) for e in errors] == [(4, "consent_source")]
    assert "longer than 120" in errors[0].reason
    got = consent_of()
    assert got["+8613800138000"][0] == "2026年3月工地普法讲座签到表勾选同意"  # the row's own
    assert got["+8613800138001"][0] == SHEET  # the file's, for a row that states none
    assert "+8613800138002" not in got and summary["consent"] == 2
    summary, _ = run_import("手机号,同意来源\n13800138003,短信报名\n13800138004,\n", None)
    got = consent_of()
    assert got["+8613800138003"] == ("短信报名", [(GIVEN, "短信报名",
                                                  "imported from a CSV file, row 2")])
    assert got["+8613800138004"] == (None, [])


def test_an_import_never_overrides_a_withdrawal(app: Flask) -> None:
    with get_db().begin() as s:
        contact = Contact(phone="+8613800138000")
        s.add(contact)
        s.flush()
        withdraw(s, contact, "opted out by text (STOP/退订)", "replied 退订")
    summary, _ = run_import("手机号\n13800138000\n", ImportConsent(SHEET, "imported"))
    assert summary["consent"] == 0
    source, events = consent_of()["+8613800138000"]
    assert source is None and [e[0] for e in events] == ["withdrawn"]


def test_cli_import_with_a_consent_source(app: Flask, tmp_path: Path) -> None:
    source = tmp_path / "2026春节名单.csv"
    source.write_text("手机号,姓名\n13800138000,李强\n", encoding="utf-8")
    env = {"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"]}
    result = CliRunner().invoke(main, ["campaign", "import-contacts", str(source),
                                       "--consent-source", SHEET], env=env)
    assert result.exit_code == 0, result.output
    assert '"consent": 1' in result.output
    [(action, stated, evidence)] = consent_of()["+8613800138000"][1]
    assert (action, stated) == (GIVEN, SHEET)
    assert evidence is not None and evidence.startswith(
        "imported from 2026春节名单.csv with the command line by ") and evidence.endswith("row 2")
    too_long = CliRunner().invoke(main, ["campaign", "import-contacts", str(source),
                                         "--consent-source", "同意" * 61], env=env)
    assert too_long.exit_code != 0 and "120" in too_long.output


def people() -> dict[str, int]:
    """Five workers: explicit (sheet), explicit (订阅), implied (texted), none, opted out."""
    from hotline.consent import first_text

    ids: dict[str, int] = {}
    with get_db().begin() as s:
        for key, phone in [("sheet", "+8613800000001"), ("subscribed", "+8613800000002"),
                           ("texted", "+8613800000003"), ("none", "+8613800000004"),
                           ("withdrawn", "+8613800000005")]:
            contact = Contact(phone=phone)
            s.add(contact)
            s.flush()
            ids[key] = contact.id
            if key in ("sheet", "withdrawn"):
                give(s, contact, SHEET, "imported from 名单.csv by staff wang, row 2")
            if key == "subscribed":
                give(s, contact, SUBSCRIBED_BY_TEXT, "replied 订阅", opt_in=True)
            if key == "texted":
                first_text(s, contact)
                assert contact.consent_source == TEXTED_HOTLINE
            if key == "withdrawn":
                withdraw(s, contact, "opted out by text (STOP/退订)", "replied 退订")
    return ids


def test_a_campaign_requiring_consent_reaches_only_those_who_agreed(app: Flask) -> None:
    ids = people()
    with get_db().begin() as s:
        assert audience_size(s, Audience()) == 4  # service notices: all but the opted out
        required = Audience(require_consent=True)
        assert audience_size(s, required) == 2
        assert left_out_for_consent(s, required) == 2
        assert left_out_for_consent(s, Audience()) == 0
        assert Audience.from_dict(required.as_dict()) == required
        assert "require_consent" not in Audience().as_dict()
        campaign = Campaign(name="维权培训", sender="+8610000000000",
                            audience=required.as_dict())
        s.add(campaign)
        s.flush()
        materialize(s, campaign, "Asia/Shanghai")
        reached = set(s.scalars(select(Recipient.contact_id).where(
            Recipient.campaign_id == campaign.id)))
    assert reached == {ids["sheet"], ids["subscribed"]}
    for bad in ("yes", 1, None):
        try:
            Audience.from_dict({"require_consent": bad})
        except BadAudience:
            continue
        raise AssertionError(f"require_consent={bad!r} accepted")


def test_cli_campaign_requiring_consent(app: Flask) -> None:
    people()
    env = {"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"]}
    made = CliRunner().invoke(main, ["campaign", "create", "--name", "春节通知", "--text",
                                     "zh=春节期间热线照常接听", "--require-consent"], env=env)
    assert made.exit_code == 0, made.output
    data = json.loads(made.output)
    assert (data["audience"], data["left_out_without_consent"]) == (2, 2)
    with get_db().begin() as s:
        campaign = s.get(Campaign, data["id"])
        assert campaign is not None and campaign.audience.get("require_consent") is True
    estimate = CliRunner().invoke(main, ["campaign", "estimate", str(data["id"])], env=env)
    assert estimate.exit_code == 0, estimate.output
    figures = json.loads(estimate.output)
    assert (figures["recipients"], figures["left_out_without_consent"]) == (2, 2)
    plain = CliRunner().invoke(main, ["campaign", "create", "--name", "服务通知", "--text",
                                      "zh=热线电话换了"], env=env)
    plain_data = json.loads(plain.output)
    assert plain_data["audience"] == 4 and "left_out_without_consent" not in plain_data
