"""Staff finishing a case from the console record the money recovered, as volunteers do."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from hotline.web.stats import local_zone
from models import Case, CaseEvent, CaseStatus, EventKind
from tests.conftest import WebWorld
from tests.test_web_forms import case_of, logged_in


def report_figures(client: object, month: str) -> dict[str, str]:
    """The funders' monthly CSV as {figure: value}."""
    resp = client.get(  # type: ignore[attr-defined]
        f"/staff/reports/monthly.csv?month={month}&lang=en")
    assert resp.status_code == 200
    return dict(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))


def test_staff_resolve_with_money_recovered_lands_on_case_and_report(
        app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    number = web_world.assigned_to_a
    url = f"/staff/cases/{number}/status?lang=en"
    # The volunteer form's rules: yuan, not negative, not words; nothing changes on a refusal.
    for bad in ("lots", "-500", "12.345"):
        resp = client.post(url, data={"status": "resolved", "amount_recovered": bad,
                                      "csrf_token": token})
        assert resp.status_code == 400, bad
        assert "amount must be yuan" in resp.get_data(as_text=True)
    # Money recovered goes with finishing the case only.
    resp = client.post(url, data={"status": "in_progress", "amount_recovered": "500",
                                  "csrf_token": token})
    assert resp.status_code == 400
    case = case_of(number)
    assert (case.status, case.amount_recovered) == (CaseStatus.ASSIGNED, None)
    page = client.get(f"/staff/cases/{number}?lang=zh").get_data(as_text=True)
    assert 'name="amount_recovered"' in page and "追回金额" in page

    resp = client.post(url, data={"status": "resolved", "amount_recovered": "1.2万",
                                  "note": "employer paid", "csrf_token": token})
    assert resp.status_code == 302
    case = case_of(number)
    assert (case.status, case.amount_recovered) == (CaseStatus.RESOLVED, Decimal("12000.00"))
    assert case.survey_sent_at is not None  # the shared close path ran
    with get_db().begin() as session:
        finished_at = session.scalars(select(CaseEvent.at).where(
            CaseEvent.case_id == case.id, CaseEvent.kind == EventKind.STATUS)
            .order_by(CaseEvent.id.desc())).first()
        assert finished_at is not None
        outcome = session.scalars(select(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.kind == EventKind.NOTE)).one()
        assert outcome.actor == "user:staff_a" and "12000" in outcome.text
    month = finished_at.astimezone(local_zone()).strftime("%Y-%m")
    figures = report_figures(client, month)
    assert figures["Wages recovered (cases finished) (yuan)"] == "12000"
    assert figures["Cases finished"] == "1"
    # Another office's report does not count it.
    other, _ = logged_in(app, "staff_b")
    assert report_figures(other, month)["Wages recovered (cases finished) (yuan)"] == "0"


def test_staff_close_without_amount_keeps_none(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    number = web_world.declined_by_a
    resp = client.post(f"/staff/cases/{number}/status",
                       data={"status": "closed", "amount_recovered": " ", "csrf_token": token})
    assert resp.status_code == 302
    with get_db().begin() as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        assert (case.status, case.amount_recovered) == (CaseStatus.CLOSED, None)


def test_staff_reopen_a_finished_case_from_the_console(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    number = web_world.assigned_to_a
    # An open case has nothing to reopen: refused, nothing changes.
    resp = client.post(f"/staff/cases/{number}/reopen?lang=zh", data={"csrf_token": token})
    assert resp.status_code == 400 and "只有已办结" in resp.get_data(as_text=True)
    client.post(f"/staff/cases/{number}/status", data={"status": "resolved",
                                                       "csrf_token": token})
    page = client.get(f"/staff/cases/{number}?lang=zh").get_data(as_text=True)
    assert "重新打开案件" in page
    resp = client.post(f"/staff/cases/{number}/reopen", data={"csrf_token": token})
    assert resp.status_code == 302
    case = case_of(number)
    assert case.status in (CaseStatus.IN_PROGRESS, CaseStatus.NEW)
    assert case.reopened_at is not None and case.closed_at is None
    # Without the form's token nothing happens.
    client.post(f"/staff/cases/{number}/status", data={"status": "resolved",
                                                       "csrf_token": token})
    assert client.post(f"/staff/cases/{number}/reopen").status_code == 400
    assert case_of(number).status == CaseStatus.RESOLVED
