"""Staff triage: cases nobody has said the problem of, and workers' texts that opened no case.

One click sorts a case into a category, opens a case from a text, adds a text to a case of
the same office, or dismisses it. Staff see their own office's queue only (admins: all).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import cases as front_door
from hotline.infra.db import get_db
from hotline.web.access import audit, case_or_404, guard, signed_in_user, visible_cases
from hotline.web.i18n import category_name
from hotline.web.i18n import gettext as _
from models import AuditAction, Case, CaseCategory, Contact, Message, Role, User

bp = Blueprint("triage", __name__, url_prefix="/staff/triage")
bp.before_request(guard(Role.ADMIN, Role.STAFF))
SORTABLE = [c for c in CaseCategory if c != CaseCategory.UNKNOWN]


def offices(user: User) -> Collection[int | None] | None:
    """The organisations whose queues this user works: admins all (None), staff their own."""
    return None if user.role == Role.ADMIN else [user.organisation_id]


def back() -> Any:
    """Back to the triage page after an action."""
    return redirect(url_for("triage.queue"), code=303)


@bp.get("/")
def queue() -> Any:
    """Cases waiting to be sorted (urgent first) and the texts waiting in the inbox."""
    user = signed_in_user()
    with get_db().begin() as session:
        waiting = front_door.triage_queue(session, offices(user))
        texts = front_door.inbox_messages(session, offices(user))
        contacts = {c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(
            {m.contact_id for m in texts if m.contact_id} | {c.contact_id for c in waiting})))}
        return render_template("staff/triage.html", cases=waiting, texts=texts,
                               contacts=contacts, categories=SORTABLE)


def chosen_category(optional: bool = False) -> CaseCategory | None:
    """The category of the button pressed; a missing or unknown one is refused (400)."""
    raw = request.form.get("category", "")
    if optional and not raw:
        return None
    try:
        category = CaseCategory(raw)
    except ValueError:
        abort(400)
    if category == CaseCategory.UNKNOWN:
        abort(400)
    return category


@bp.post("/cases/<int:number>/category")
def categorise(number: int) -> Any:
    """Sort a case: it leaves the triage queue and is routed to volunteers."""
    user = signed_in_user()
    category = chosen_category()
    assert category is not None
    with get_db().begin() as session:
        case = case_or_404(session, user, number, lock=True)
        if not case.is_open:
            flash(_("Case #%(number)s is finished; reopen it on its page first.",
                    number=number), "error")
            return back()
        front_door.categorise(session, case, category, user.actor)
        audit(session, user, AuditAction.TRIAGE, case=case, detail=f"sorted as {category}")
    flash(_("Case #%(number)s sorted as %(category)s.", number=number,
            category=category_name(category)), "info")
    return back()


def inbox_message_or_404(session: Session, user: User, message_id: int) -> Message:
    """A text waiting in this user's office's inbox, locked; anything else is 404."""
    message = session.scalar(select(Message).where(Message.id == message_id)
                             .with_for_update())
    if message is None or message.inbox_state != front_door.INBOX_OPEN:
        abort(404)
    allowed = offices(user)
    if allowed is not None and front_door.message_organisation(session, message) not in allowed:
        abort(404)
    return message


@bp.post("/messages/<int:message_id>/open")
def open_case(message_id: int) -> Any:
    """Open a case from a text (sorted at once when a category is chosen)."""
    user = signed_in_user()
    category = chosen_category(optional=True)
    with get_db().begin() as session:
        message = inbox_message_or_404(session, user, message_id)
        office = front_door.message_organisation(session, message)
        try:
            case = front_door.open_case_from_message(session, message, user.actor, category)
        except ValueError:
            flash(_("This text has no known sender, so it cannot open a case."), "error")
            return back()
        if case.organisation_id is None and office is not None:
            # No office's region names where the worker works: the case stays with the office
            # whose inbox held the text (else the staff who opened it could not see it).
            case.organisation_id = office
        audit(session, user, AuditAction.TRIAGE, case=case, detail="case opened from a text")
        number = case.number
    flash(_("Case #%(number)s opened from the text.", number=number), "info")
    return redirect(url_for("staff.case_page", number=number), code=303)


@bp.post("/messages/<int:message_id>/merge")
def merge(message_id: int) -> Any:
    """Add a text to a case of the same office, picked by its number."""
    user = signed_in_user()
    raw = request.form.get("case_number", "").strip().lstrip("#＃")
    with get_db().begin() as session:
        message = inbox_message_or_404(session, user, message_id)
        case = session.scalar(visible_cases(user).where(Case.number == int(raw)).with_for_update(
            of=Case)) if raw.isdigit() and len(raw) < 10 else None
        if case is None:
            flash(_("There is no case #%(number)s in your queue.", number=raw[:12]), "error")
            return back()
        if case.organisation_id != front_door.message_organisation(session, message):
            flash(_("Case #%(number)s belongs to another office: the text stays in the inbox.",
                    number=case.number), "error")
            return back()
        if message.contact_id != case.contact_id:
            # The case's replies go to its own worker: another worker's words there would be
            # answered to the wrong phone and shown as theirs.
            flash(_("The text is from another worker than case #%(number)s's: open a case "
                    "from it instead.", number=case.number), "error")
            return back()
        front_door.merge_message_into_case(session, message, case, user.actor)
        audit(session, user, AuditAction.TRIAGE, case=case, detail="text added from the inbox")
        number = case.number
    flash(_("The text was added to case #%(number)s.", number=number), "info")
    return back()


@bp.post("/messages/<int:message_id>/dismiss")
def dismiss(message_id: int) -> Any:
    """Take a text out of the inbox (thanks, greetings): it stays stored."""
    user = signed_in_user()
    with get_db().begin() as session:
        message = inbox_message_or_404(session, user, message_id)
        front_door.dismiss_message(session, message, user.actor)
        audit(session, user, AuditAction.TRIAGE, contact_id=message.contact_id,
              detail="text dismissed from the inbox")
    flash(_("The text was dismissed."), "info")
    return back()
