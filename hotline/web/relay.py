"""The volunteer's two ways to reach a worker without either side seeing the other's number.

Both belong to the routing engine (hotline.bridge): texts go out from the hotline number,
calls are bridged by the hotline (`<Dial>` with the hotline as caller ID). This module only
checks the web form and hands over.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from hotline.bridge import relay_to_worker, request_call, staff_to_worker
from hotline.web.i18n import gettext as _
from hotline.web.templates_admin import relay_problem
from models import Case, User, Volunteer, utcnow

MAX_RELAY_CHARS = 500  # ~8 UCS-2 segments: longer texts cost too much on a worker's phone


def can_call() -> bool:
    """Bridged calls need a public URL Twilio can fetch the bridge TwiML from."""
    return bool(current_app.config.get("PUBLIC_URL"))


def text_problem(body: str) -> str | None:
    """Why a text to a worker cannot go as typed, or None."""
    if not body:
        return _("Write the text to send.")
    if len(body) > MAX_RELAY_CHARS:
        return _("A text may have at most %(n)s characters.", n=MAX_RELAY_CHARS)
    return None


def send_text(session: Session, case: Case, volunteer: Volunteer, body: str) -> str | None:
    """Queue a volunteer's text to the worker; return an error message, or None when queued."""
    problem = text_problem(body) or relay_problem(session, case, body)  # carrier's templates
    if problem is None:
        relay_to_worker(session, case, volunteer, body, utcnow())
    return problem


def staff_text(session: Session, case: Case, user: User, body: str) -> str | None:
    """Queue a staff member's text to the worker; return an error message, or None."""
    problem = text_problem(body) or relay_problem(session, case, body, "staff_to_worker")
    if problem is None:
        staff_to_worker(session, case, user.actor, body, utcnow())
    return problem


def start_call(session: Session, case: Case, volunteer: Volunteer) -> str | None:
    """Ask the hotline to ring the volunteer and bridge to the worker; error message or None."""
    if request_call(session, case, volunteer, utcnow()) is None:
        return _("Calls through the hotline need PUBLIC_URL to be set.")
    return None
