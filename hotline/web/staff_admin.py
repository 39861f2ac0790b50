"""Staff console, the office side: volunteers, opt-outs, the funders' report, the audit log."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import and_, func, select, true

from hotline.infra.db import get_db
from hotline.matching import current_load
from hotline.phones import mask_phone
from hotline.web.access import audit, case_scope, guard, signed_in_user
from hotline.web.campaigns import audience_organisation
from hotline.web.case_summary import money_words
from hotline.web.downloads import csv_response
from hotline.web.i18n import CATEGORY_NAMES, category_label, category_name, pgettext
from hotline.web.i18n import gettext as _
from hotline.web.staff import volunteer_scope
from hotline.web.stats import MonthlyReport, local_zone, monthly_report
from models import AuditAction, AuditLog, Contact, Role, Volunteer, utcnow
from models.volunteer import DEFAULT_TIMEZONE
from notifications.campaigns.audience import organisation_condition

bp = Blueprint("office", __name__, url_prefix="/staff")
bp.before_request(guard(Role.ADMIN, Role.STAFF))
OPT_OUT_PAGE = 100


@bp.get("/volunteers")
def volunteers() -> Any:
    """The office's volunteers with skills, languages, regions, shifts, duty and load."""
    user = signed_in_user()
    with get_db().begin() as session:
        rows = session.scalars(select(Volunteer).where(volunteer_scope(user))
                               .order_by(Volunteer.on_duty.desc(), Volunteer.name)).all()
        return render_template("staff/volunteers.html", volunteers=rows,
                               load=current_load(session), mask=mask_phone,
                               home_zone=DEFAULT_TIMEZONE)


@bp.post("/volunteers/<int:volunteer_id>/duty")
def set_duty(volunteer_id: int) -> Any:
    """Put a volunteer on or off duty (as their ON/OFF SMS would)."""
    user = signed_in_user()
    on = request.form.get("on_duty") == "1"
    with get_db().begin() as session:
        volunteer = session.scalar(select(Volunteer).where(
            Volunteer.id == volunteer_id, volunteer_scope(user)).with_for_update())
        if volunteer is None:
            abort(404)
        volunteer.on_duty = on
        name = volunteer.name
    flash(_("%(name)s is now on duty.", name=name) if on
          else _("%(name)s is now off duty.", name=name), "info")
    return redirect(url_for("office.volunteers"), code=303)


@bp.get("/opt-outs")
def opt_outs() -> Any:
    """Workers who asked for no bulk SMS, newest first (numbers masked)."""
    page = max(1, request.args.get("page", 1, type=int) or 1)
    # Staff see their organisation's workers only (imported by it or with a case in it);
    # the opted-out are few of the contacts (a partial index), so each is probed.
    org = audience_organisation(signed_in_user())
    opted = and_(Contact.opted_out_at.is_not(None),
                 organisation_condition(org, few=True) if org is not None else true())
    with get_db().begin() as session:
        total = session.scalar(select(func.count()).select_from(Contact).where(opted)) or 0
        rows = session.scalars(select(Contact).where(opted)
                               .order_by(Contact.opted_out_at.desc())
                               .offset((page - 1) * OPT_OUT_PAGE).limit(OPT_OUT_PAGE)).all()
        return render_template("staff/opt_outs.html", contacts=rows, total=total, page=page,
                               pages=max(1, -(-total // OPT_OUT_PAGE)), mask=mask_phone)


def requested_month() -> str:
    """?month=YYYY-MM, default the current month in the office's time zone."""
    return request.args.get("month") or utcnow().astimezone(local_zone()).strftime("%Y-%m")


@bp.get("/reports/monthly")
def report() -> Any:
    """The funders' monthly report as a printable page."""
    user = signed_in_user()
    month = requested_month()
    with get_db().begin() as session:
        try:
            figures = monthly_report(session, case_scope(user), month)
        except ValueError:
            flash(_("Month must look like 2024-05."), "error")
            return render_template("staff/report.html", report=None, lines=[],
                                   month=month), 400
        return render_template("staff/report.html", report=figures, month=month,
                               lines=report_lines(figures))


class ReportLine(NamedTuple):
    """One figure of the funders' report, as the page and the CSV both show it."""

    label: str
    value: int | str  # the CSV cell: a plain number a spreadsheet can sum, or a short text
    shown: str  # the page's cell (money as ¥12,000)
    in_yuan: bool = False  # money: the CSV's label says "(yuan)" where the page shows ¥
    part: bool = False  # a part of the line above (indented on the page)


def plain_yuan(value: Decimal) -> str:
    """Yuan as a spreadsheet reads a number: 12000, 12000.5 (no separators, no sign)."""
    text = f"{value:.2f}"
    return text.removesuffix(".00")


def report_lines(figures: MonthlyReport) -> list[ReportLine]:
    """The report's figures with their labels in the request's language (page and CSV)."""

    def count(label: str, n: int, *, part: bool = False) -> ReportLine:
        return ReportLine(label, n, str(n), part=part)

    def yuan(label: str, amount: Decimal) -> ReportLine:
        return ReportLine(label, plain_yuan(amount), money_words(amount), in_yuan=True)

    answers = sum(figures.satisfaction.values())
    share = figures.satisfied_share
    satisfied = (f"{share * 100:.1f}%" if share is not None
                 else _("no survey answers this month"))
    return [
        count(_("Workers served"), figures.contacts_served),
        count(_("First-time contacts"), figures.new_contacts),
        count(_("Consultations (SMS and calls in)"), figures.consultations),
        count(_("of which texts in"), figures.sms_in, part=True),
        count(_("of which calls in"), figures.calls_in, part=True),
        count(_("Cases opened"), figures.cases_opened),
        count(_("Cases finished"), figures.cases_finished),
        count(_("People affected"), figures.people_affected),
        yuan(_("Wages claimed (new cases)"), figures.wages_claimed),
        yuan(_("Wages recovered (cases finished)"), figures.wages_recovered),
        ReportLine(_("Satisfied (4–5 of 5)"), satisfied, satisfied),
        count(_("Survey answers"), answers, part=True),
    ]


def report_rows(figures: MonthlyReport) -> list[list[str | int]]:
    """The report as (figure, value) rows for the CSV: its title as the page's (a month alone
    in a cell would become a date in Excel), the page's lines, then the cases of each category
    (every category, so months line up in a spreadsheet)."""
    rows: list[list[str | int]] = [[f"{_('Monthly report')} {figures.month}", ""]]
    for line in report_lines(figures):
        label = _("%(figure)s (yuan)", figure=line.label) if line.in_yuan else line.label
        rows.append([label, line.value])
    rows.append([_("Cases by category"), ""])
    counts = dict(figures.by_category)
    for category in CATEGORY_NAMES:
        rows.append([category_name(category), counts.pop(category.value, 0)])
    rows += [[category_label(key), n] for key, n in sorted(counts.items())]
    return rows


@bp.get("/reports/monthly.csv")
def report_csv() -> Any:
    """The funders' monthly report as CSV (the export is written to the audit log)."""
    user = signed_in_user()
    month = requested_month()
    with get_db().begin() as session:
        try:
            figures = monthly_report(session, case_scope(user), month)
        except ValueError:
            return Response(_("Month must look like 2024-05."), status=400, mimetype="text/plain")
        audit(session, user, AuditAction.EXPORT_REPORT, detail=f"monthly report {month}")
    return csv_response(report_rows(figures), [_("Figure"), pgettext("report", "Value")],
                        f"hotline-report-{figures.month}")


@bp.get("/audit")
def audit_log() -> Any:
    """The latest reveals and exports (admins only): who saw what, when."""
    user = signed_in_user()
    if user.role != Role.ADMIN:
        abort(403)
    with get_db().begin() as session:
        entries = session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(200)).all()
        return render_template("staff/audit.html", entries=entries)


