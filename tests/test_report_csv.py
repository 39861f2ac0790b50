"""The funders' monthly report as CSV: the printable page's figures under the page's labels, in
the reader's language, through the one CSV helper (BOM, no formulas), numbers a spreadsheet sums.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from hotline.infra.db import get_db
from hotline.web.stats import local_zone
from models import AuditAction, AuditLog, Case, CaseCategory, utcnow
from tests.conftest import WebWorld
from tests.test_web_access import client_as


def this_month() -> str:
    return utcnow().astimezone(local_zone()).strftime("%Y-%m")


def download(client: Any, month: str, lang: str) -> tuple[list[list[str]], str]:
    """The CSV's rows (header first) and its raw text."""
    resp = client.get(f"/staff/reports/monthly.csv?month={month}&lang={lang}")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert f'filename="hotline-report-{month}-' in resp.headers["Content-Disposition"]
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff"), "a BOM, so Excel and WPS open the Chinese as it is"
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")))), text


def page_labels(client: Any, month: str, lang: str) -> list[str]:
    """The row labels of the printable page's table of figures."""
    html = client.get(f"/staff/reports/monthly?month={month}&lang={lang}").get_data(as_text=True)
    table = html.split('<table class="figures">')[1].split("</table>")[0]
    return [unescape(label) for label in re.findall(r"<th[^>]*>([^<]*)</th>", table)]


def audits() -> int:
    with get_db().begin() as s:
        return s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == AuditAction.EXPORT_REPORT)) or 0


def test_chinese_ui_gets_chinese_labels(app: Flask, web_world: WebWorld) -> None:
    client = client_as(app, "staff_a")
    month = this_month()
    rows, text = download(client, month, "zh")
    assert rows[0] == ["项目", "数值"]
    assert rows[1] == [f"月度报告 {month}", ""]
    figures = dict(rows[1:])
    assert figures["新立案件"] == "3" and figures["涉及人数"] == "3"
    assert figures["主张工资（新案件）（元）"] == "36000"  # the page's ¥36,000
    assert figures["追回工资（办结案件）（元）"] == "0"
    assert figures["满意率（5分制4–5分）"] == "本月无满意度回复"
    assert figures["按类别统计案件"] == "" and figures["欠薪"] == "3" and figures["工伤"] == "0"
    # The page's labels, in the same order; no English keys or raw category values.
    labels = [row[0] for row in rows[2:]]
    page = page_labels(client, month, "zh")
    assert page and labels[:len(page)] == [
        f"{label}（元）" if label.startswith(("主张工资", "追回工资")) else label
        for label in page]
    assert not re.search(r"[a-z_]{4,}", text), "no English keys, no enum values"
    assert audits() == 1


def test_english_ui_gets_english_labels(app: Flask, web_world: WebWorld) -> None:
    client = client_as(app, "staff_a")
    month = this_month()
    rows, _ = download(client, month, "en")
    assert rows[0] == ["Figure", "Value"]
    figures = dict(rows[1:])
    assert figures["Cases opened"] == "3"
    assert figures["Wages claimed (new cases) (yuan)"] == "36000"
    assert figures["unpaid wages"] == "3" and figures["work injury"] == "0"
    assert figures["Satisfied (4–5 of 5)"] == "no survey answers this month"
    page = page_labels(client, month, "en")
    assert "Workers served" in page and all(
        label in figures or f"{label} (yuan)" in figures for label in page)


def test_numbers_stay_plain_numbers(app: Flask, web_world: WebWorld) -> None:
    with get_db().begin() as s:
        case = s.scalar(select(Case).where(Case.number == web_world.assigned_to_a))
        assert case is not None
        case.amount_owed = Decimal("1234567.50")
    rows, _ = download(client_as(app, "staff_a"), this_month(), "en")
    figures = dict(rows[1:])
    assert figures["Wages claimed (new cases) (yuan)"] == "1258567.50"  # no ¥, no 1,258,567
    for label, value in rows[2:]:
        assert "," not in value and "¥" not in value, (label, value)


def test_a_month_without_cases_is_zeros(app: Flask, web_world: WebWorld) -> None:
    client = client_as(app, "staff_a")
    rows, _ = download(client, "2001-01", "zh")
    figures = dict(rows[1:])
    assert figures["新立案件"] == figures["服务工友人数"] == figures["其中：来电"] == "0"
    assert figures["主张工资（新案件）（元）"] == "0" and figures["满意度回复数"] == "0"
    assert all(figures[name] == "0" for name in ("欠薪", "工伤", "待分类"))
    assert client.get("/staff/reports/monthly?month=2001-01&lang=zh").status_code == 200


@pytest.mark.parametrize("month", ["2024-13", "May", "2024-05-01", "'=1+1"])
def test_a_bad_month_is_a_clear_400(app: Flask, web_world: WebWorld, month: str) -> None:
    client = client_as(app, "staff_a")
    resp = client.get("/staff/reports/monthly.csv", query_string={"month": month, "lang": "zh"})
    assert resp.status_code == 400 and resp.mimetype == "text/plain"
    assert resp.get_data(as_text=True) == "月份格式应为 2024-05。"
    resp = client.get("/staff/reports/monthly.csv", query_string={"month": month, "lang": "en"})
    assert resp.get_data(as_text=True) == "Month must look like 2024-05."
    page = client.get("/staff/reports/monthly", query_string={"month": month, "lang": "zh"})
    assert page.status_code == 400 and "月份格式应为 2024-05。" in page.get_data(as_text=True)
    assert audits() == 0  # nothing was exported


def test_each_office_sees_only_its_own_figures(app: Flask, web_world: WebWorld) -> None:
    with get_db().begin() as s:
        case = s.scalar(select(Case).where(Case.number == web_world.org_b_case))
        assert case is not None
        case.category, case.amount_owed, case.people_affected = CaseCategory.INJURY, Decimal(500), 7
    month = this_month()
    expected = {"staff_a": ("3", "36000", "3", "0"), "staff_b": ("1", "500", "0", "1"),
                "admin": ("4", "36500", "3", "1")}
    for who, (opened, claimed, wages, injury) in expected.items():
        figures = dict(download(client_as(app, who), month, "en")[0][1:])
        assert (figures["Cases opened"], figures["Wages claimed (new cases) (yuan)"],
                figures["unpaid wages"], figures["work injury"]) == (
            opened, claimed, wages, injury), who
