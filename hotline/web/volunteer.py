"""Volunteer inbox (phone-first): offers to answer, my cases, notes, outcome, call and relay."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.assignment import Answer, answer_offer
from hotline.deadlines import BadAmount, parse_amount
from hotline.disputes import owed_as_offered
from hotline.infra.db import get_db
from hotline.volunteer_sms import set_duty
from hotline.web import casework, relay
from hotline.web.access import case_or_404, guard, signed_in_user
from hotline.web.i18n import current_language
from hotline.web.i18n import gettext as _
from models import (
    OPEN_STATUSES,
    Case,
    CaseStatus,
    InvalidTransition,
    Offer,
    OfferStatus,
    Role,
    User,
    Volunteer,
)

bp = Blueprint("volunteer", __name__, url_prefix="/inbox")
bp.before_request(guard(Role.VOLUNTEER))
OUTCOMES = (CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED, CaseStatus.REFERRED)


def my_volunteer(session: Session, user: User) -> Volunteer:
    """The volunteer this login acts for (404 when the account is not linked to one)."""
    volunteer = session.get(Volunteer, user.volunteer_id) if user.volunteer_id else None
    if volunteer is None:
        abort(404)
    return volunteer


@bp.get("/")
def inbox() -> Any:
    """Open offers first, then the volunteer's own open cases, then recently finished ones."""
    user = signed_in_user()
    with get_db().begin() as session:
        volunteer = my_volunteer(session, user)
        offers = session.execute(
            select(Offer, Case).join(Case, Case.id == Offer.case_id)
            .where(Offer.volunteer_id == volunteer.id, Offer.status == OfferStatus.PENDING)
            .order_by(Case.urgency.desc(), Offer.created_at)).all()
        mine = session.scalars(select(Case).where(Case.assigned_volunteer_id == volunteer.id)
                               .order_by(Case.updated_at.desc()).limit(100)).all()
        return render_template(
            "volunteer/inbox.html", volunteer=volunteer,
            offers=[(offer, case, owed_as_offered(session, case)) for offer, case in offers],
            open_cases=[c for c in mine if c.status in OPEN_STATUSES],
            done_cases=[c for c in mine if c.status not in OPEN_STATUSES][:20])


@bp.post("/duty")
def duty() -> Any:
    """Go on or off duty, as the ON/OFF text would; the answer says when offers will come."""
    user = signed_in_user()
    with get_db().begin() as session:
        volunteer = my_volunteer(session, user)
        said = set_duty(volunteer, request.form.get("on_duty") == "1", current_language())
    flash(said, "info")
    return redirect(url_for("volunteer.inbox"), code=303)


@bp.post("/offers/<int:number>")
def answer(number: int) -> Any:
    """Accept or decline an offer, exactly as a 'Y 1024' / 'N 1024' SMS would."""
    user = signed_in_user()
    accept = request.form.get("answer") == "accept"
    with get_db().begin() as session:
        volunteer = my_volunteer(session, user)
        # The routing engine re-routes a declined case and texts the losers of a race,
        # after this transaction commits.
        result, _case = answer_offer(session, volunteer, number, accept)
    if result == Answer.TAKEN:
        flash(_("Someone else took case %(number)s first.", number=number), "error")
        return redirect(url_for("volunteer.inbox"), code=303)
    if result == Answer.NOT_YOURS:
        flash(_("Case %(number)s is no longer offered to you.", number=number), "error")
        return redirect(url_for("volunteer.inbox"), code=303)
    if result == Answer.ACCEPTED:
        flash(_("Case %(number)s is yours now.", number=number), "info")
        return redirect(url_for("volunteer.case_page", number=number), code=303)
    flash(_("You declined case %(number)s.", number=number), "info")
    return redirect(url_for("volunteer.inbox"), code=303)


def render_case(session: Session, user: User, case: Case, status: int = 200) -> Any:
    """The volunteer's case page: no full phone number, the timeline, and the forms."""
    mine = case.assigned_volunteer_id == user.volunteer_id
    return render_template("volunteer/case.html", case=case, mine=mine, outcomes=OUTCOMES,
                           **casework.page_context(session, case,
                                                   request.args.get("before", type=int),
                                                   volunteer_id=user.volunteer_id),
                           intake_url=url_for("volunteer.case_intake", number=case.number),
                           can_call=relay.can_call()), status


@bp.get("/cases/<int:number>")
def case_page(number: int) -> Any:
    """A case offered or assigned to this volunteer; any other number is 404."""
    user = signed_in_user()
    with get_db().begin() as session:
        return render_case(session, user, case_or_404(session, user, number))


@bp.get("/cases/<int:number>/intake")
def case_intake(number: int) -> Any:
    """The intake questions and answers folded on the case page (htmx fragment)."""
    user = signed_in_user()
    with get_db().begin() as session:
        case = case_or_404(session, user, number)
        return render_template("_intake.html", chat=casework.intake_transcript(session, case))


def assigned_case(session: Session, user: User, number: int) -> Case:
    """A case this volunteer owns (an offer alone does not allow working it): else 404."""
    case = case_or_404(session, user, number, lock=True)
    if case.assigned_volunteer_id != user.volunteer_id:
        abort(404)
    return case


class CaseFinished(Exception):
    """The volunteer tried to reach the worker or change the outcome of a finished case."""


def working_case(session: Session, user: User, number: int) -> Case:
    """An open case this volunteer owns: texting, calling and outcomes stop once it is
    resolved, referred or closed (as the SMS commands refuse them); else CaseFinished."""
    case = assigned_case(session, user, number)
    if not case.is_open:
        raise CaseFinished(case.number)
    return case


@bp.errorhandler(CaseFinished)
def case_finished(error: CaseFinished) -> Any:
    """409 with the case page and why nothing was done (the transaction has rolled back)."""
    number = int(error.args[0])
    flash(_("Case %(number)s is finished; ask the office to reopen it.", number=number), "error")
    user = signed_in_user()
    with get_db().begin() as session:
        return render_case(session, user, case_or_404(session, user, number), status=409)


@bp.post("/calls/<int:call_id>/recording")
def play_recording(call_id: int) -> Any:
    """Play a recording on one of the volunteer's own cases (audited; offers alone do not)."""
    return casework.play_recording(signed_in_user(), call_id, assigned_case,
                                   "volunteer.case_page")


@bp.post("/cases/<int:number>/note")
def add_note(number: int) -> Any:
    """A note on the timeline of the volunteer's own case."""
    user = signed_in_user()
    text = request.form.get("text", "").strip()
    with get_db().begin() as session:
        case = assigned_case(session, user, number)
        if not text or len(text) > 4000:
            flash(_("A note must have between 1 and 4000 characters."), "error")
            return render_case(session, user, case, status=400)
        casework.add_note(case, user, text)
    return redirect(url_for("volunteer.case_page", number=number) + "#timeline", code=303)


@bp.post("/cases/<int:number>/outcome")
def outcome(number: int) -> Any:
    """Report progress or the result: in progress, resolved or referred, and money recovered."""
    user = signed_in_user()
    with get_db().begin() as session:
        case = working_case(session, user, number)
        try:
            status = CaseStatus(request.form.get("status", ""))
            if status not in OUTCOMES:
                raise ValueError(_("Choose an outcome."))
            amount = parse_amount(request.form.get("amount_recovered", ""))
            casework.record_volunteer_report(session, case, my_volunteer(session, user), status,
                                             amount, request.form.get("note", "").strip()[:2000])
        except BadAmount:
            flash(_("Outcome not saved: %(reason)s",
                    reason=_("amount must be yuan, e.g. 12000 or 1.2万")), "error")
            return render_case(session, user, case, status=400)
        except (ValueError, InvalidTransition) as exc:
            flash(_("Outcome not saved: %(reason)s", reason=str(exc)), "error")
            return render_case(session, user, case, status=400)
    flash(_("Outcome saved."), "info")
    return redirect(url_for("volunteer.case_page", number=number), code=303)


@bp.post("/cases/<int:number>/call")
def call(number: int) -> Any:
    """Ring the volunteer's phone and bridge to the worker, the hotline as caller ID."""
    user = signed_in_user()
    with get_db().begin() as session:
        case = working_case(session, user, number)
        error = relay.start_call(session, case, my_volunteer(session, user))
    flash(error or _("The hotline is calling your phone now."), "error" if error else "info")
    return redirect(url_for("volunteer.case_page", number=number), code=303)


@bp.post("/cases/<int:number>/relay")
def relay_text(number: int) -> Any:
    """Text the worker through the hotline number (the volunteer's number stays private)."""
    user = signed_in_user()
    body = request.form.get("body", "").strip()
    with get_db().begin() as session:
        case = working_case(session, user, number)
        error = relay.send_text(session, case, my_volunteer(session, user), body)
        if error:
            flash(error, "error")
            return render_case(session, user, case, status=400)
    flash(_("Your text is on its way to the worker."), "info")
    return redirect(url_for("volunteer.case_page", number=number) + "#timeline", code=303)
