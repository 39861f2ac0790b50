"""Staff console: import volunteers from CSV, and edit one volunteer's routing profile."""

from __future__ import annotations

import csv
import io
from typing import Any

from babel.dates import get_timezone_location
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.infra.db import get_db
from hotline.translations import N_, NP_
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
from hotline.web.i18n import error_text, pgettext, ui_locale
from hotline.web.i18n import gettext as _
from hotline.web.staff import volunteer_scope
from models import CaseCategory, Organisation, Role, User, Volunteer
from models.volunteer import DEFAULT_TIMEZONE, DIALECT_NAMES, dialect_name
from notifications.csv_rows import UnreadableCsv, decode_csv

bp = Blueprint("staff_volunteers", __name__, url_prefix="/staff/volunteers")
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
PROFILE_FIELDS = ("languages", "dialects", "home_province", "regions", "skills", "capacity",
                  "shifts", "timezone")
# The profile form shows a volunteer's shifts in the page's language and reads them back
# through models.volunteer.parse_shifts, which reads every form the entries below make (days
# as 周一..周日, 星期一..星期日, 礼拜一..礼拜天 or mon..sun; tests/test_volunteer_form_plain.py).
# TRANSLATORS: a day of a weekly shift as the volunteer form writes it and reads it back (周一).
SHIFT_DAYS = (NP_("shift", "Mon"), NP_("shift", "Tue"), NP_("shift", "Wed"),
              NP_("shift", "Thu"), NP_("shift", "Fri"), NP_("shift", "Sat"),
              NP_("shift", "Sun"))
# TRANSLATORS: days in a row of a weekly shift ("Mon-Fri", 周一至周五); the form reads - 至 到.
DAY_RUN = NP_("shift", "%(first)s-%(last)s")
# TRANSLATORS: a weekly shift on all seven days; the form reads every day, daily, 每天, 每日.
EVERY_DAY = NP_("shift", "every day")
# TRANSLATORS: between the days of one weekly shift ("Sat, Sun"); the form reads , 、 ， and /.
DAY_SEPARATOR = NP_("shift", ", ")
# TRANSLATORS: between the items of a form field (dialects, shifts); the form reads ; ； 、 ，.
FORM_LIST_SEPARATOR = NP_("list", "; ")
EXAMPLE_SHIFTS = [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"},
                  {"days": [5], "start": "10:00", "end": "14:00"}]
# The time zones a volunteer picks from (stored as the zone's id): China first, then the
# places the hotline's volunteers answer from abroad. Any other zone (from a CSV import) is
# offered too while a volunteer has it.
TIMEZONES = (("Asia/Shanghai", N_("China (Beijing time)")),
             ("Asia/Hong_Kong", N_("Hong Kong")), ("Asia/Macau", N_("Macao")),
             ("Asia/Taipei", N_("Taipei")), ("Asia/Singapore", N_("Singapore")),
             ("Asia/Tokyo", N_("Japan")), ("Europe/London", N_("United Kingdom")),
             ("Europe/Berlin", N_("Central Europe (Berlin, Paris)")),
             ("America/New_York", N_("US East (New York)")),
             ("America/Los_Angeles", N_("US West (Los Angeles)")),
             ("Australia/Sydney", N_("Australia East (Sydney)")))


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
    upload = request.files.get("file")
    raw = upload.read(MAX_UPLOAD_BYTES + 1) if upload else b""
    if not raw.strip() or len(raw) > MAX_UPLOAD_BYTES:
        flash(_("Choose a CSV file of at most 2 MB."), "error")
        return render_template("staff/volunteer_import.html", report=None), 400
    dry_run = request.form.get("dry_run") == "1"
    try:
        text = decode_csv(raw)
    except UnreadableCsv as exc:
        flash(error_text(exc), "error")
        return render_template("staff/volunteer_import.html", report=None), 400
    with get_db().begin() as session:
        report = run_import(session, signed_in_user(), text, dry_run=dry_run)
    return render_template("staff/volunteer_import.html", report=report, dry_run=dry_run,
                           filename=upload.filename if upload else ""), \
        (400 if report.errors and not (report.created or report.updated) else 200)


def days_text(days: list[int]) -> str:
    """A shift's days in the page's language: 'Mon-Fri', 'Sat, Sun' (周一至周五, 周六、周日)."""
    if sorted(days) == list(range(7)):
        return pgettext("shift", EVERY_DAY)
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    names = [pgettext("shift", SHIFT_DAYS[d]) for d in range(7)]
    parts = [[pgettext("shift", DAY_RUN, first=names[run[0]], last=names[run[-1]])]
             if len(run) > 2 else [names[d] for d in run] for run in runs]
    return pgettext("shift", DAY_SEPARATOR).join(p for part in parts for p in part)


def shifts_text(shifts: list[dict[str, Any]] | None) -> str:
    """Shifts as the form shows them in the page's language, and reads them back:
    'Mon-Fri 09:00-18:00; Sat 10:00-14:00' (周一至周五 09:00-18:00；周六 10:00-14:00)."""
    return pgettext("list", FORM_LIST_SEPARATOR).join(
        f"{days_text(s['days'])} {s['start']}-{s['end']}" for s in shifts or [])


def form_list(items: list[str] | None) -> str:
    """A list as the form shows it: '广东省；深圳市' (Chinese), '广东省; 深圳市' (English)."""
    return pgettext("list", FORM_LIST_SEPARATOR).join(items or [])


def timezone_choices(current: str | None) -> list[tuple[str, str]]:
    """(zone id, its name in the page's language) for the form's time zone list, with
    `current` among them even when it is none of TIMEZONES."""
    choices = [(zone, _(name)) for zone, name in TIMEZONES]
    if current and current not in dict(TIMEZONES):
        try:
            choices.append((current, get_timezone_location(current, locale=ui_locale())))
        except LookupError:
            choices.append((current, current))
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
    if not raw.isdigit() or session.get(Organisation, int(raw)) is None:
        return None, [RowError(0, "organisation_id", "unknown organisation")]
    return int(raw), []


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
