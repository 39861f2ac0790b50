"""Staff console, the office side: volunteers, opt-outs, the funders' report, the audit log."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import and_, func, select, true

from hotline.infra.db import get_db
from hotline.matching import current_load
from hotline.phones import mask_phone
from hotline.web.access import audit, case_scope, guard, signed_in_user
from hotline.web.campaigns import audience_organisation
from hotline.web.i18n import gettext as _
from hotline.web.staff import volunteer_scope
from hotline.web.stats import MonthlyReport, local_zone, monthly_report
from models import AuditAction, AuditLog, Contact, Role, Volunteer, utcnow
from models.volunteer import DEFAULT_TIMEZONE
from notifications.campaigns.audience import organisation_condition
from notifications.csv_safe import safe_writer

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
            return render_template("staff/report.html", report=None, month=month), 400
        return render_template("staff/report.html", report=figures, month=month)


def report_rows(figures: MonthlyReport) -> list[tuple[str, str]]:
    """The report as (figure, value) rows for the CSV."""
    rows = [("month", figures.month), ("contacts_served", str(figures.contacts_served)),
            ("new_contacts", str(figures.new_contacts)),
            ("consultations", str(figures.consultations)), ("sms_in", str(figures.sms_in)),
            ("calls_in", str(figures.calls_in)), ("cases_opened", str(figures.cases_opened)),
            ("cases_finished", str(figures.cases_finished)),
            ("people_affected", str(figures.people_affected)),
            ("wages_claimed_yuan", f"{figures.wages_claimed:.2f}"),
            ("wages_recovered_yuan", f"{figures.wages_recovered:.2f}")]
    rows += [(f"cases_{cat}", str(n)) for cat, n in sorted(figures.by_category.items())]
    rows += [(f"satisfaction_{score}", str(n))
             for score, n in sorted(figures.satisfaction.items())]
    share = figures.satisfied_share
    rows.append(("satisfied_share", "" if share is None else f"{share:.3f}"))
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
    out = io.StringIO()
    writer = safe_writer(out)
    writer.writerow(["figure", "value"])
    writer.writerows(report_rows(figures))
    # A BOM so Excel (common in these offices) opens the UTF-8 file with Chinese intact.
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="hotline-report-{month}.csv"'})


@bp.get("/audit")
def audit_log() -> Any:
    """The latest reveals and exports (admins only): who saw what, when."""
    user = signed_in_user()
    if user.role != Role.ADMIN:
        abort(403)
    with get_db().begin() as session:
        entries = session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(200)).all()
        return render_template("staff/audit.html", entries=entries)


