"""Import workers' contacts from a CSV on the web: the CLI's importer, the same row report.

`hotline campaign import-contacts` and this page both call notifications.contact_import, so a
row is imported, merged into an earlier row of the same phone, or reported with its line,
column and reason: never dropped silently. Staff import into their own organisation (its
campaigns may then text these contacts); admins choose the organisation.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template, request
from flask_login import current_user
from sqlalchemy import select

from hotline.consent import BadConsentSource, clean_source
from hotline.infra.db import get_db, row_id
from hotline.phones import mask_numbers_in
from hotline.web.access import audit, guard, signed_in_user
from hotline.web.downloads import uploaded_csv
from hotline.web.english_texts import error_text
from hotline.web.i18n import N_
from hotline.web.i18n import gettext as _
from models import AuditAction, Organisation, Role, User
from notifications.contact_import import (
    BadHeader,
    ImportConsent,
    ImportSummary,
    RowError,
    import_contacts,
)

bp = Blueprint("contacts_import", __name__, url_prefix="/staff/contacts")
bp.before_request(guard(Role.ADMIN, Role.STAFF))
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # ~400,000 rows of phone, name, province and tags
SHOWN_ERRORS = 1000  # rows listed on the page; the count says how many more there were
# The importer's column names as the page shows them (translated by the catalogue).
COLUMNS = {"phone": N_("Phone"), "name": N_("Name"), "language": N_("Language"),
           "home_province": N_("Home province"), "work_province": N_("Province of work"),
           "work_city": N_("City of work"), "tags": N_("Tags"), "timezone": N_("Time zone"),
           "consent_source": N_("How they agreed to bulk SMS")}


@bp.before_app_request
def allow_a_large_file() -> None:
    """Let staff upload a file larger than the app's 1 MB request cap (sized for Twilio's
    webhooks). An app-level hook registered with the blueprint, so it runs before the CSRF
    check reads the form; anyone not signed in as staff keeps the small cap."""
    if request.endpoint == "contacts_import.upload" and current_user.is_authenticated \
            and current_user.is_staff:
        request.max_content_length = MAX_UPLOAD_BYTES + 64 * 1024  # the form's other fields


def render(status: int = 200, **context: Any) -> Any:
    """The upload form, with the last import's report when there is one."""
    user = signed_in_user()
    with get_db().begin() as session:
        orgs = session.scalars(select(Organisation).order_by(Organisation.name)).all() \
            if user.role == Role.ADMIN else []
        own = session.get(Organisation, user.organisation_id) if user.organisation_id else None
        return render_template("staff/contacts_import.html", organisations=orgs,
                               own=own, **{"summary": None, **context}), status


def target_organisation(user: User) -> int | None:
    """Staff: their own organisation. Admins: the one chosen (blank: none)."""
    if user.role != Role.ADMIN:
        return user.organisation_id
    raw = request.form.get("organisation_id", "").strip()
    if not raw:
        return None
    office = row_id(raw)
    with get_db().begin() as session:
        if office is None or session.get(Organisation, office) is None:
            abort(400)
    return office


def shown_error(error: RowError) -> dict[str, Any]:
    """One rejected row for the page: numbers masked as everywhere in the console."""
    column = _(COLUMNS[error.column]) if error.column in COLUMNS else error.column
    return {"row": error.row, "column": column,
            "value": mask_numbers_in(error.value)[:80],
            "reason": error_text(mask_numbers_in(error.reason))}


@bp.get("/import")
def form() -> Any:
    """The upload form."""
    return render()


@bp.post("/import")
def upload() -> Any:
    """Import the uploaded CSV; show how many rows were imported and every rejected row."""
    user = signed_in_user()
    uploaded = uploaded_csv(MAX_UPLOAD_BYTES)
    if uploaded is None:
        return render(400)
    name, text = uploaded
    org_id = target_organisation(user)
    try:  # how these workers agreed to bulk SMS: without it they have no consent on record
        stated = clean_source(request.form.get("consent_source"))
    except BadConsentSource:
        flash(_("Say in at most 120 characters how these workers agreed to receive SMS."),
              "error")
        return render(400)
    consent = ImportConsent(stated, f"imported from {name[:80] or 'a CSV file'} by "
                                    f"{user.role.value} {user.username}")
    errors: list[RowError] = []
    try:
        summary: ImportSummary = import_contacts(get_db(), text.splitlines(keepends=True),
                                                 errors.append, organisation_id=org_id,
                                                 consent=consent)
    except BadHeader as exc:
        flash(_("The file was not imported: %(reason)s", reason=error_text(exc)), "error")
        return render(400)
    with get_db().begin() as session:
        audit(session, user, AuditAction.IMPORT_CONTACTS,
              detail=f"{name[:80]}: {summary.created} new, {summary.updated} updated, "
                     f"{summary.rejected} rejected"
                     + (f", consent recorded for {summary.consent}" if summary.consent else ""))
    imported = summary.created + summary.updated
    return render(400 if errors and not imported else 200, summary=summary, filename=name,
                  errors=[shown_error(e) for e in errors[:SHOWN_ERRORS]],
                  more_errors=max(0, len(errors) - SHOWN_ERRORS))
