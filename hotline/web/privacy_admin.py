"""A worker's privacy requests on the web (admins only): find them by the number they give,
see in counts what is held, download all of it (the same file as `hotline privacy export`),
and erase it after two confirmations. Every export, erasure and failed erasure is audited.

The lookup takes the number in a POST body, never the URL, so it stays out of access logs;
pages show the number masked and never the worker's words.
"""

from __future__ import annotations

import json
import logging
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hotline.infra.db import get_db
from hotline.phones import InvalidPhone, normalize_phone
from hotline.privacy import (
    RecordingNotDeleted,
    erase_contact,
    export_contact,
    find_contact,
    recording_urls,
)
from hotline.web.access import audit, guard, signed_in_user
from hotline.web.i18n import gettext as _
from models import AuditAction, AuditLog, Call, Case, Contact, Message, Role, utcnow
from models.campaign import Recipient
from notifications.providers import RecordingStore, get_provider

log = logging.getLogger(__name__)

bp = Blueprint("privacy_admin", __name__, url_prefix="/staff/privacy")
bp.before_request(guard(Role.ADMIN))

CONFIRM_WORD = "删除"
# The first confirmation is remembered in the admin's session for this long; the second
# step must follow it, for the same worker.
STEP_ONE_KEY = "privacy_erase_confirmed"
STEP_ONE_SECONDS = 15 * 60


@dataclass
class Holdings:
    """What is held about one worker, in counts (never their words)."""

    cases: int
    messages: int
    calls: int
    recordings: int
    bulk_sms: int


def holdings(session: Session, contact: Contact) -> Holdings:
    """Count what an export would hold and an erasure would remove for this contact."""
    phone = contact.phone
    case_ids = list(session.scalars(select(Case.id).where(Case.contact_id == contact.id)))
    calls = list(session.scalars(select(Call.id).where(or_(
        Call.contact_id == contact.id, Call.from_number == phone, Call.to_number == phone,
        Call.case_id.in_(case_ids)))))
    messages = session.scalar(select(func.count(Message.id)).where(or_(
        Message.contact_id == contact.id, Message.from_number == phone,
        Message.to_number == phone, Message.case_id.in_(case_ids)))) or 0
    bulk = session.scalar(select(func.count(Recipient.id)).where(or_(
        Recipient.contact_id == contact.id, Recipient.phone == phone))) or 0
    return Holdings(cases=len(case_ids), messages=int(messages), calls=len(calls),
                    recordings=len(recording_urls(session, case_ids, calls)),
                    bulk_sms=int(bulk))


def contact_or_404(session: Session, contact_id: int, *, lock: bool = False) -> Contact:
    """The contact by id (locked for an erasure); 404 when there is none."""
    contact = session.get(Contact, contact_id, with_for_update=lock)
    if contact is None:
        abort(404)
    return contact


def live_contact_or_404(session: Session, contact_id: int, *, lock: bool = False) -> Contact:
    """As contact_or_404, but an already erased contact has nothing left to export or erase."""
    contact = contact_or_404(session, contact_id, lock=lock)
    if contact.erased_at is not None:
        abort(404)
    return contact


def last_four(contact: Contact) -> str:
    """The last four digits of the worker's number: what the second confirmation asks for."""
    return "".join(ch for ch in contact.phone if ch.isdigit())[-4:]


def provider_deletes_recordings() -> bool:
    """True when recordings can be deleted at the provider (Twilio), not only unlinked here."""
    return isinstance(get_provider(), RecordingStore)


@bp.get("/")
def index() -> Any:
    """The form: the worker's number, written any way they give it."""
    return render_template("staff/privacy_lookup.html", value="", error=None)


@bp.post("/")
def lookup() -> Any:
    """Find the worker by number and show what is held (counts only)."""
    raw = request.form.get("phone", "")
    try:
        phone = normalize_phone(raw)
    except InvalidPhone:
        return render_template(
            "staff/privacy_lookup.html", value=raw,
            error=_("This is not a phone number we can read. Check the digits and try again.")
        ), 400
    with get_db().begin() as db:
        contact = find_contact(db, phone)
        if contact is None:
            return render_template(
                "staff/privacy_lookup.html", value=raw,
                error=_("No worker with this number is on record.")), 404
        contact_id = contact.id
    return redirect(url_for("privacy_admin.summary", contact_id=contact_id), code=303)


@bp.get("/<int:contact_id>")
def summary(contact_id: int) -> Any:
    """What is held about this worker, in counts, with the export and erase buttons."""
    with get_db().begin() as db:
        contact = contact_or_404(db, contact_id)
        held = holdings(db, contact) if contact.erased_at is None else None
        return render_template("staff/privacy_summary.html", contact=contact, held=held)


@bp.post("/<int:contact_id>/export")
def export(contact_id: int) -> Any:
    """Download everything held about the worker, as `hotline privacy export` writes it."""
    user = signed_in_user()
    with get_db().begin() as db:
        contact = live_contact_or_404(db, contact_id)
        data = export_contact(db, contact)
        audit(db, user, AuditAction.EXPORT_CONTACT, contact_id=contact.id, detail="web export")
    day = utcnow().strftime("%Y-%m-%d")
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="worker-data-{day}.json"'})


@bp.get("/<int:contact_id>/erase")
def erase_step_one(contact_id: int) -> Any:
    """First confirmation: exactly what will be removed and which anonymous figures remain."""
    with get_db().begin() as db:
        contact = live_contact_or_404(db, contact_id)
        return render_template("staff/privacy_erase.html", contact=contact,
                               held=holdings(db, contact),
                               deletes_recordings=provider_deletes_recordings())


@bp.post("/<int:contact_id>/erase")
def erase_step_one_confirmed(contact_id: int) -> Any:
    """The admin has read the first page: remember it and ask for the typed confirmation."""
    with get_db().begin() as db:
        live_contact_or_404(db, contact_id)
    session[STEP_ONE_KEY] = {"contact": contact_id, "at": time.time()}
    return redirect(url_for("privacy_admin.erase_step_two", contact_id=contact_id), code=303)


def step_one_done(contact_id: int) -> bool:
    """True when this admin confirmed the first page for this worker a short while ago."""
    mark = session.get(STEP_ONE_KEY)
    return (isinstance(mark, dict) and mark.get("contact") == contact_id
            and time.time() - float(mark.get("at", 0)) < STEP_ONE_SECONDS)


def back_to_step_one(contact_id: int) -> Any:
    """Send the admin to the first confirmation (the second never comes on its own)."""
    flash(_("Read what will be removed and confirm it first."), "error")
    return redirect(url_for("privacy_admin.erase_step_one", contact_id=contact_id), code=303)


def render_step_two(contact: Contact, error: str | None = None, status: int = 200) -> Any:
    """Second confirmation: type the number's last four digits, or the word for erase."""
    return render_template("staff/privacy_erase_confirm.html", contact=contact, error=error,
                           word=CONFIRM_WORD), status


@bp.get("/<int:contact_id>/erase/final")
def erase_step_two(contact_id: int) -> Any:
    """The typed confirmation's form (only after the first page)."""
    if not step_one_done(contact_id):
        return back_to_step_one(contact_id)
    with get_db().begin() as db:
        return render_step_two(live_contact_or_404(db, contact_id))


def typed_confirmation(typed: str, contact: Contact) -> bool:
    """The admin typed the last four digits (full-width too) or the word for erase."""
    text = "".join(unicodedata.normalize("NFKC", typed).split())
    return text in (last_four(contact), CONFIRM_WORD)


@bp.post("/<int:contact_id>/erase/final")
def erase(contact_id: int) -> Any:
    """Erase, if both confirmations were given; a recording the provider would not delete
    stops it before anything changes, and the page says so."""
    user = signed_in_user()
    if not step_one_done(contact_id):
        return back_to_step_one(contact_id)
    try:
        with get_db().begin() as db:
            contact = live_contact_or_404(db, contact_id, lock=True)
            if not typed_confirmation(request.form.get("confirm", ""), contact):
                return render_step_two(contact, _(
                    "That is not what was asked. Type the last four digits of the number, or "
                    "the word 删除. Nothing was erased."), 400)
            report = erase_contact(db, contact)
            audit(db, user, AuditAction.ERASE_CONTACT, contact_id=contact.id,
                  detail=json.dumps(report.as_dict()))
    except RecordingNotDeleted:
        # The transaction above is rolled back whole: the worker's data is as it was.
        log.warning("erasure of contact %s stopped: the provider did not delete a recording",
                    contact_id)
        with get_db().begin() as db:
            audit(db, user, AuditAction.ERASE_CONTACT, contact_id=contact_id,
                  detail="not erased: the provider did not delete a recording")
        session.pop(STEP_ONE_KEY, None)
        return render_template("staff/privacy_erase_failed.html", contact_id=contact_id), 502
    session.pop(STEP_ONE_KEY, None)
    return redirect(url_for("privacy_admin.erased", contact_id=contact_id), code=303)


@bp.get("/<int:contact_id>/erased")
def erased(contact_id: int) -> Any:
    """What the erasure removed, in counts, read back from the audit log."""
    with get_db().begin() as db:
        contact = contact_or_404(db, contact_id)
        if contact.erased_at is None:
            abort(404)
        details = db.scalars(select(AuditLog.detail).where(
            AuditLog.contact_id == contact_id, AuditLog.action == AuditAction.ERASE_CONTACT)
            .order_by(AuditLog.id.desc()))
        counts: dict[str, int] = {}
        for detail in details:
            try:
                counts = json.loads(detail or "")
                break
            except ValueError:  # a failed attempt's note, not the erasure's counts
                continue
        return render_template("staff/privacy_erased.html", contact=contact, counts=counts)
