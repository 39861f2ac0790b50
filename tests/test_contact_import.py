"""Streaming CSV import: valid rows upserted in batches, duplicates merged, every bad row
reported with its line, column, value and reason; on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from models import Contact, ContactTag
from notifications.contact_import import BATCH_ROWS, BadHeader, RowError, import_contacts

CSV = """手机号,姓名,语言,省份,城市,标签
13800138000,李强,中文,河南,东莞,henan;construction
+86 139 0000 0001,王芳,en,四川,深圳,"training, Henan"
12345,坏号码,zh,河南,东莞,
13800138000,,,,广州,training
１３９００００００02,张伟,klingon!,湖南,长沙,
13900000003,赵六,zh,湖北,武汉,a-very-long-tag-that-goes-on-and-on-and-on-forever
,,,,,

13900000004,钱七,,,,
"""


def run_import(text: str, batch_rows: int = 2) -> tuple[dict[str, int], list[RowError]]:
    """Import CSV text; return the summary and the reported errors."""
    errors: list[RowError] = []
    summary = import_contacts(get_db(), io.StringIO(text), errors.append, batch_rows=batch_rows)
    return summary.as_dict(), errors


def contacts() -> dict[str, Contact]:
    """Every contact by phone."""
    with get_db().begin() as s:
        return {c.phone: c for c in s.scalars(select(Contact))}


def tags() -> set[tuple[str, str]]:
    """(phone, tag) pairs."""
    with get_db().begin() as s:
        return set(s.execute(select(Contact.phone, ContactTag.tag).join(
            ContactTag, ContactTag.contact_id == Contact.id)).all())


def test_import_reports_merges_and_loses_nothing(app: Flask) -> None:
    summary, errors = run_import(CSV)
    assert [(e.row, e.column, e.reason.split(":")[0]) for e in errors] == [
        (4, "phone", "not a mainland China mobile number"),
        (6, "language", "not a language code (zh, en, ...)"),
        (7, "tags", "tag longer than 40 characters"),
    ]
    assert errors[0].value == "12345"
    assert summary["rows"] == 7 == (summary["created"] + summary["updated"]
                                    + summary["duplicates"] + summary["rejected"])
    # The duplicate falls in a later batch (of 2) than its first row: counted once, as such.
    assert (summary["created"], summary["updated"], summary["duplicates"],
            summary["rejected"]) == (3, 0, 1, 3)
    people = contacts()
    assert set(people) == {"+8613800138000", "+8613900000001", "+8613900000004"}
    li = people["+8613800138000"]
    # The duplicate row filled the city (later non-empty wins) and kept the name.
    assert (li.name, li.language, li.home_province, li.work_city) == ("李强", "zh", "河南", "广州")
    assert people["+8613900000001"].language == "en"
    assert people["+8613900000004"].language == "zh"
    assert tags() == {("+8613800138000", "henan"), ("+8613800138000", "construction"),
                      ("+8613800138000", "training"), ("+8613900000001", "training"),
                      ("+8613900000001", "henan")}


def test_reimport_updates_without_blanking(app: Flask) -> None:
    run_import(CSV)
    summary, errors = run_import("phone,name,city\n13800138000,,北京\n")
    assert (summary["updated"], summary["created"], errors) == (1, 0, [])
    li = contacts()["+8613800138000"]
    assert (li.name, li.work_city) == ("李强", "北京")


@pytest.mark.parametrize(("header", "message"), [
    ("", "empty"),
    ("name,city\n", "no phone column"),
    ("phone,salary\n", "unknown column 'salary'"),
    ("phone,手机号\n", "repeats"),
])
def test_bad_headers(app: Flask, header: str, message: str) -> None:
    with pytest.raises(BadHeader, match=message):
        run_import(header)


def test_extra_fields_and_timezones(app: Flask) -> None:
    summary, errors = run_import(
        "phone,name,timezone\n13800000001,a,Asia/Urumqi\n13800000002,b,Mars/Base\n"
        "13800000003,c,UTC,extra\n")
    assert summary["created"] == 1
    assert {(e.row, e.column) for e in errors} == {(3, "timezone"), (4, "")}
    assert contacts()["+8613800000001"].timezone == "Asia/Urumqi"


def test_cli_import_with_gbk_file_and_error_report(app: Flask, tmp_path: Path) -> None:
    from hotline.cli.main import main

    source = tmp_path / "contacts.csv"
    source.write_bytes("手机号,姓名\n13800138000,李强\nabc,坏\n".encode("gbk"))
    errors = tmp_path / "errors.csv"
    env = {"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"]}
    runner = CliRunner()
    wrong = runner.invoke(main, ["campaign", "import-contacts", str(source)], env=env)
    assert wrong.exit_code != 0 and "--encoding gbk" in wrong.output
    result = runner.invoke(main, ["campaign", "import-contacts", str(source), "--encoding",
                                  "gbk", "--errors", str(errors)], env=env)
    assert result.exit_code == 0, result.output
    assert '"created": 1' in result.output
    lines = errors.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "row,column,value,reason" and lines[1].startswith("3,phone,abc,")
    assert contacts()["+8613800138000"].name == "李强"


def test_cli_campaign_create_for_an_organisation(app: Flask) -> None:
    import json

    from hotline.cli.main import main
    from models import Organisation
    from models.campaign import Campaign

    with get_db().begin() as s:
        s.add(Organisation(name="固始县工友中心"))
    env = {"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"]}
    args = ["campaign", "create", "--name", "培训", "--text", "zh=周六培训，回复1报名"]
    unknown = CliRunner().invoke(main, [*args, "--organisation", "没有这个机构"], env=env)
    assert unknown.exit_code != 0 and "no organisation named" in unknown.output
    made = CliRunner().invoke(main, [*args, "--organisation", "固始县工友中心"], env=env)
    assert made.exit_code == 0, made.output
    with get_db().begin() as s:
        campaign = s.get(Campaign, json.loads(made.output)["id"])
        org = s.scalar(select(Organisation).where(Organisation.name == "固始县工友中心"))
        assert campaign is not None and org is not None
        assert (campaign.organisation_id, campaign.created_by) == (org.id, "cli")


@pytest.mark.parametrize("batch_rows", [BATCH_ROWS, 7, 1])
def test_counts_add_up_whichever_batch_a_duplicate_falls_in(app: Flask, batch_rows: int) -> None:
    """Every row counts exactly once: created, updated, duplicate or rejected."""
    with get_db().begin() as s:  # already known before the import: an update
        s.add(Contact(phone="+8613900009999", name="老朋友"))
    lines = ["phone,name"] + [f"1390000{i:04d},工友{i}" for i in range(BATCH_ROWS + 10)]
    lines += ["13900000000,again", "13900000001,", "13900000000,thrice",  # duplicates
              "13900009999,老朋友", "13900009999,", "not-a-phone,坏"]
    summary, errors = run_import("\n".join(lines) + "\n", batch_rows=batch_rows)
    expected = {"rows": BATCH_ROWS + 16, "created": BATCH_ROWS + 10, "updated": 1,
                "duplicates": 4, "rejected": 1}
    assert {k: summary[k] for k in expected} == expected
    assert summary["rows"] == sum(summary[k] for k in ("created", "updated", "duplicates",
                                                       "rejected"))
    assert len(errors) == 1
    people = contacts()
    assert len(people) == BATCH_ROWS + 11
    assert people["+8613900000000"].name == "thrice"  # the last non-empty value wins


def test_cli_import_for_an_organisation_links_every_contact(app: Flask, tmp_path: Path) -> None:
    from hotline.cli.main import main
    from models import ContactOrganisation, Organisation

    with get_db().begin() as s:
        s.add_all([Organisation(name="甲"), Organisation(name="乙")])
    source = tmp_path / "contacts.csv"
    source.write_text("phone,name\n13800138000,李强\n13800138001,王芳\n", encoding="utf-8")
    env = {"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"]}
    for org in ("甲", "乙", "甲"):  # two offices may both have the same worker; twice is once
        result = CliRunner().invoke(main, ["campaign", "import-contacts", str(source),
                                           "--organisation", org], env=env)
        assert result.exit_code == 0, result.output
    unknown = CliRunner().invoke(main, ["campaign", "import-contacts", str(source),
                                        "--organisation", "丙"], env=env)
    assert unknown.exit_code != 0 and "no organisation named" in unknown.output
    with get_db().begin() as s:
        links = set(s.execute(select(Contact.phone, Organisation.name)
                              .join(ContactOrganisation,
                                    ContactOrganisation.contact_id == Contact.id)
                              .join(Organisation,
                                    Organisation.id == ContactOrganisation.organisation_id)))
    assert links == {(p, o) for p in ("+8613800138000", "+8613800138001") for o in "甲乙"}
