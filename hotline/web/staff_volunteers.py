"""Staff console: import volunteers from CSV, and edit one volunteer's routing profile."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.infra.db import get_db, row_id
from hotline.volunteer_import import (
    LANGUAGE_CODES,
    LANGUAGES,
    ImportReport,
    RowError,
    import_volunteers,
    normalize_phone_or_error,
    parse_row,
    split_list,
)
from hotline.web.access import signed_in_user
from hotline.web.downloads import uploaded_csv
from hotline.web.i18n import (
    FORM_LIST_SEPARATOR,
    TIMEZONES,
    pgettext,
    shifts_text,
    timezone_name,
)
from hotline.web.i18n import gettext as _
from hotline.web.staff import volunteer_scope
from models import CaseCategory, Organisation, Role, User, Volunteer
from models.volunteer import DEFAULT_TIMEZONE, DIALECT_NAMES, dialect_name

bp = Blueprint("staff_volunteers", __name__, url_prefix="/staff/volunteers")
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
PROFILE_FIELDS = ("languages", "dialects", "home_province", "regions", "skills", "capacity",
                  "shifts", "timezone")
EXAMPLE_SHIFTS = [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"},
                  {"days": [5], "start": "10:00", "end": "14:00"}]
def staff_or_404() -> Any:
    """Anonymous → login page; anyone but staff and admins → 404 (the page does not exist)."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not current_user.is_staff:
        abort(404)
    return None


bp.before_request(staff_or_404)


def foreign_phone_errors(session: Session, user: User, text: str) -> list[RowError]:
    """Rows naming a volunteer of another organisation (staff may not change those)."""
    if user.role == Role.ADMIN:
        return []
    # NOT IN the user's own, not NOT(scope): `NOT (organisation_id = A)` is NULL, never true,
    # for volunteers of no organisation, and the import would then move them into A.
    mine = select(Volunteer.id).where(volunteer_scope(user))
    foreign = set(session.scalars(select(Volunteer.phone).where(Volunteer.id.not_in(mine))))
    reader = csv.DictReader(io.StringIO(text))
    reader.fieldnames = [h.strip().lower() for h in reader.fieldnames or []]
    errors = []
    for row in reader:
        try:
            phone = normalize_phone_or_error((row.get("phone") or "").strip())
        except ValueError:
            continue  # the import itself reports a bad phone
        if phone in foreign:
            errors.append(RowError(reader.line_num, "phone",
                                   "belongs to a volunteer of another organisation"))
    return errors


def keep_in_own_organisation(session: Session, user: User, text: str) -> list[RowError]:
    """Staff import into their own organisation: blank → theirs; another one → an error."""
    if user.role == Role.ADMIN:
        return []
    own = session.get(Organisation, user.organisation_id) if user.organisation_id else None
    errors = []
    reader = csv.DictReader(io.StringIO(text))
    reader.fieldnames = [h.strip().lower() for h in reader.fieldnames or []]
    for row in reader:
        name = (row.get("organisation") or "").strip()
        if name and (own is None or name != own.name):
            errors.append(RowError(reader.line_num, "organisation",
                                   f"must be blank or {own.name if own else '(none)'}"))
        elif not name and own is not None:
            try:
                phone = normalize_phone_or_error((row.get("phone") or "").strip())
            except ValueError:
                continue
            volunteer = session.scalar(select(Volunteer).where(Volunteer.phone == phone))
            if volunteer is not None:
                volunteer.organisation_id = own.id
    return errors


def run_import(session: Session, user: User, text: str, *, dry_run: bool) -> ImportReport:
    """Import in a savepoint: a dry run, or rows outside the user's organisation, roll back."""
    blocked = foreign_phone_errors(session, user, text)
    if blocked:
        return ImportReport(errors=blocked)
    savepoint = session.begin_nested()
    report = import_volunteers(session, text)
    scope_errors = keep_in_own_organisation(session, user, text)
    if scope_errors:
        report = ImportReport(errors=report.errors + scope_errors)
    if dry_run or scope_errors:
        savepoint.rollback()
    else:
        savepoint.commit()
    return report


@bp.route("/import", methods=["GET", "POST"])
def import_csv() -> Any:
    """Upload a CSV of volunteers; show each bad row and how many were imported."""
    if request.method == "GET":
        return render_template("staff/volunteer_import.html", report=None)
    uploaded = uploaded_csv(MAX_UPLOAD_BYTES)
    if uploaded is None:
        return render_template("staff/volunteer_import.html", report=None), 400
    name, text = uploaded
    dry_run = request.form.get("dry_run") == "1"
    with get_db().begin() as session:
        report = run_import(session, signed_in_user(), text, dry_run=dry_run)
    return render_template("staff/volunteer_import.html", report=report, dry_run=dry_run,
                           filename=name), \
        (400 if report.errors and not (report.created or report.updated) else 200)


def form_list(items: list[str] | None) -> str:
    """A list as the form shows it: '广东省；深圳市' (Chinese), '广东省; 深圳市' (English)."""
    return pgettext("list", FORM_LIST_SEPARATOR).join(items or [])


def timezone_choices(current: str | None) -> list[tuple[str, str]]:
    """(zone id, its name in the page's language) for the form's time zone list, with
    `current` among them even when it is none of TIMEZONES."""
    choices = [(zone, _(name)) for zone, name in TIMEZONES]
    if current and current not in dict(TIMEZONES):
        choices.append((current, timezone_name(current)))
    return choices


def picked_languages(volunteer: Volunteer, form: Any) -> list[str]:
    """The languages ticked, in the volunteer's own order (the first is the one the hotline
    texts them in), new ones after it."""
    picked = form.getlist("languages")
    kept = [code for code in volunteer.languages or [] if code in picked]
    return kept + [code for code in picked if code not in kept]


def form_row(volunteer: Volunteer, form: Any) -> dict[str, str]:
    """The edit form as a CSV row, so it is checked exactly as an import would check it."""
    row = {name: (form.get(name) or "").strip() for name in PROFILE_FIELDS}
    row["skills"] = ";".join(form.getlist("skills"))
    row["languages"] = ";".join(picked_languages(volunteer, form))
    row["on_duty"] = "yes" if form.get("on_duty") == "1" else "no"
    return {**row, "name": volunteer.name, "phone": volunteer.phone, "organisation": ""}


def volunteer_or_404(session: Session, user: User, volunteer_id: int) -> Volunteer:
    """A volunteer the user manages, locked for the edit; anyone else's is 404."""
    volunteer = session.scalar(select(Volunteer).where(
        Volunteer.id == volunteer_id, volunteer_scope(user)).with_for_update())
    if volunteer is None:
        abort(404)
    return volunteer


def render_edit(session: Session, user: User, volunteer: Volunteer, *, values: dict[str, Any],
                errors: list[RowError], status: int = 200) -> Any:
    """The edit form with the values shown and every error next to its field."""
    orgs = session.scalars(select(Organisation).order_by(Organisation.name)).all() \
        if user.role == Role.ADMIN else []
    return render_template("staff/volunteer_edit.html", volunteer=volunteer, values=values,
                           errors={e.column: e.message for e in errors}, organisations=orgs,
                           categories=[c for c in CaseCategory if c != CaseCategory.UNKNOWN],
                           languages=LANGUAGE_CODES,
                           timezones=timezone_choices(values.get("timezone")),
                           shift_example=shifts_text(EXAMPLE_SHIFTS),
                           dialect_names=pgettext("list", ", ").join(
                               dict.fromkeys(DIALECT_NAMES.values()))), status


def current_values(volunteer: Volunteer) -> dict[str, Any]:
    """The volunteer's profile as form values."""
    return {"languages": volunteer.languages or [],
            "dialects": form_list([dialect_name(d) for d in volunteer.dialects or []]),
            "home_province": volunteer.home_province or "",
            "regions": form_list(volunteer.regions), "skills": volunteer.skills or [],
            "capacity": str(volunteer.capacity), "shifts": shifts_text(volunteer.shifts),
            "timezone": volunteer.timezone or DEFAULT_TIMEZONE, "on_duty": volunteer.on_duty,
            "organisation_id": volunteer.organisation_id}


@bp.get("/<int:volunteer_id>/edit")
def edit(volunteer_id: int) -> Any:
    """The form for a volunteer's skills, languages, regions, capacity, shifts and duty."""
    user = signed_in_user()
    with get_db().begin() as session:
        volunteer = volunteer_or_404(session, user, volunteer_id)
        return render_edit(session, user, volunteer, values=current_values(volunteer),
                           errors=[])


def chosen_organisation(session: Session, user: User) -> tuple[int | None, list[RowError]]:
    """The organisation picked on the form (admins only; staff keep their own)."""
    raw = (request.form.get("organisation_id") or "").strip()
    if not raw:
        return None, []
    office = row_id(raw)
    if office is None or session.get(Organisation, office) is None:
        return None, [RowError(0, "organisation_id", "unknown organisation")]
    return office, []


@bp.post("/<int:volunteer_id>/edit")
def save(volunteer_id: int) -> Any:
    """Check the form as an import row would be checked; save it, or show every error."""
    user = signed_in_user()
    with get_db().begin() as session:
        volunteer = volunteer_or_404(session, user, volunteer_id)
        values, errors = parse_row(form_row(volunteer, request.form), 0)
        org_id, org_errors = chosen_organisation(session, user) if user.role == Role.ADMIN \
            else (volunteer.organisation_id, [])
        if errors or org_errors:
            shown = {**request.form.to_dict(), "skills": request.form.getlist("skills"),
                     "languages": [LANGUAGES.get(x.lower(), x) for x in
                                   split_list(";".join(request.form.getlist("languages")))],
                     "on_duty": request.form.get("on_duty") == "1"}
            return render_edit(session, user, volunteer, values=shown,
                               errors=errors + org_errors, status=400)
        for name in (*PROFILE_FIELDS, "on_duty"):
            setattr(volunteer, name, values[name])
        volunteer.organisation_id = org_id
        name = volunteer.name
    flash(_("%(name)s's profile is saved.", name=name), "info")
    return redirect(url_for("office.volunteers") + f"#volunteer-{volunteer_id}", code=303)
