"""Volunteer CSV import with per-row errors, the CLI around it, and ON/OFF by SMS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from hotline.volunteer_import import import_volunteers
from models import Organisation, Volunteer
from tests.test_routing_support import add_volunteer, texts, volunteer_phone

HEADER = ("name,phone,languages,dialects,home_province,regions,skills,capacity,shifts,timezone,"
          "on_duty,organisation\n")
CSV = HEADER + (
    "张律师,13900000001,zh;Henan,,河南,广东;深圳,欠薪、合同,4,mon-fri 09:00-18:00,"
    "Asia/Shanghai,yes,珠海中心\n") + """\
李社工,+86 139 0000 0002,zh,粤语,广东,珠海,injury|social_insurance,,,,,
,13900000003,zh,,,,,,,,,
王五,not-a-phone,klingon,,,,flying,0,mon 25:00-26:00,Mars/Base,maybe,
赵六,13900000001,zh,,,,,,,,,
"""


def test_import_reports_every_bad_row_and_keeps_the_good(app: Flask) -> None:
    with get_db().begin() as s:
        report = import_volunteers(s, CSV)
    assert (report.created, report.updated) == (2, 0)
    assert report.organisations_created == ["珠海中心"]
    by_line = {(e.line, e.column) for e in report.errors}
    assert (4, "name") in by_line
    assert {(5, c) for c in ("phone", "languages", "skills", "capacity", "shifts",
                             "timezone", "on_duty")} <= by_line
    assert (6, "phone") in by_line  # same phone as line 2
    with get_db().begin() as s:
        zhang = s.scalar(select(Volunteer).where(Volunteer.phone == "+8613900000001"))
        assert zhang is not None
        assert (zhang.languages, zhang.dialects, zhang.skills, zhang.capacity) == (
            ["zh"], ["henan"], ["wages", "contract"], 4)
        assert zhang.shifts[0]["days"] == [0, 1, 2, 3, 4] and zhang.on_duty
        org = s.scalar(select(Organisation).where(Organisation.name == "珠海中心"))
        assert org is not None and zhang.organisation_id == org.id
        li = s.scalar(select(Volunteer).where(Volunteer.phone == "+8613900000002"))
        assert li is not None and li.dialects == ["cantonese"] and not li.on_duty
    with get_db().begin() as s:
        again = import_volunteers(s, CSV)
    assert (again.created, again.updated) == (0, 2)


def test_missing_required_column_is_one_clear_error(app: Flask) -> None:
    with get_db().begin() as s:
        report = import_volunteers(s, "name,languages\n张三,zh\n")
    assert [str(e) for e in report.errors] == ["line 1, phone: required column(s) missing"]


def test_cli_dry_run_changes_nothing(app: Flask, tmp_path: Path, monkeypatch: Any) -> None:
    from hotline.cli.main import main

    path = tmp_path / "v.csv"
    path.write_bytes(CSV.encode("gb18030"))  # as Excel saves it in China
    for key in ("DATABASE_URL", "REDIS_URL"):
        monkeypatch.setenv(key, app.config[key])
    monkeypatch.setenv("HOTLINE_INSTANCE", str(tmp_path / "inst"))
    result = CliRunner().invoke(main, ["volunteer", "import", "--dry-run", str(path)])
    assert result.exit_code == 1 and "would create 2" in result.output
    assert "line 5, phone" in result.output
    with get_db().begin() as s:
        assert s.scalars(select(Volunteer)).all() == []


def test_on_off_by_sms(app: Flask, post_signed: Any) -> None:
    phone = volunteer_phone(add_volunteer(on_duty=False))
    for body, on, answer in [("上线", True, "已上线"), ("ｏｆｆ", False, "已下线"),
                             ("ON", True, "已上线"), ("下线", False, "已下线")]:
        assert answer in texts(post_signed, phone, body)
        with get_db().begin() as s:
            assert s.scalar(select(Volunteer.on_duty).where(Volunteer.phone == phone)) is on
    assert "指令" in texts(post_signed, phone, "你好")
