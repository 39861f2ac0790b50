"""Staff console: dashboard, case list, case page and the actions staff take on a case."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from decimal import Decimal
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from hotline import cases as front_door
from hotline.casework_merge import MergeRefused, merge_cases
from hotline.deadlines import BadAmount, finish_case, parse_amount
from hotline.infra.clock import db_now
from hotline.infra.db import get_db, row_id
from hotline.organisations import requeue_case
from hotline.web import casework, relay
from hotline.web.access import (
    audit,
    case_or_404,
    case_scope,
    guard,
    signed_in_user,
    visible_cases,
)
from hotline.web.i18n import category_name
from hotline.web.i18n import gettext as _
from hotline.web.scope_sql import probed
from hotline.web.stats import (
    case_figures,
    cases_per_day,
    collective_alerts,
    stale_cases,
    volunteer_load,
)
from models import (
    OPEN_STATUSES,
    AuditAction,
    Case,
    CaseCategory,
    CaseOrganisation,
    CaseStatus,
    InvalidTransition,
    Message,
    MessageStatus,
    Organisation,
    Role,
    Urgency,
    User,
    Volunteer,
    utcnow,
)
from models.case import CASE_TRANSITIONS

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.before_request(guard(Role.ADMIN, Role.STAFF))
PAGE_SIZE = 50
CASE_NUMBER = re.compile(r"[0-9]{1,9}")  # within a database integer


def volunteer_scope(user: User) -> Any:
    """Staff manage their own organisation's volunteers; admins everyone's."""
    if user.role == Role.ADMIN:
        return Volunteer.id.is_not(None)
    if user.organisation_id is None:
        return Volunteer.organisation_id.is_(None)
    return Volunteer.organisation_id == user.organisation_id


@bp.get("/")
def dashboard() -> Any:
    """Charts and alert lists for the office."""
    user = signed_in_user()
    with get_db().begin() as session:
        # Each part of the scope probes its own index (scope_sql), in every statement here.
        scope = probed(session, case_scope(user))
        days, per_category = cases_per_day(session, scope)
        totals = case_figures(session, scope)
        data = {
            "days": days,
            "per_day": {category_name(c): v for c, v in sorted(per_category.items())},
            "open_closed": (totals.open, totals.finished),
            "places": totals.places,
            "wages": (totals.claimed, totals.recovered),
            "load": (load := volunteer_load(session, volunteer_scope(user))),
            "load_bars": [(f"{v.name} {n}/{v.capacity}", n) for v, n in load],
            "stale": stale_cases(session, scope),
            "collective": collective_alerts(session, scope),
            "campaigns": casework.campaigns_in_flight(session, user),
            "waiting": waiting_for_staff(session, scope, user),
        }
        return render_template("staff/dashboard.html", **data)


WAITING_SHOWN = 15
INBOX_COUNTED = 100  # more than this many texts in the inbox shows as "99+"


def waiting_for_staff(session: Session, scope: Any, user: User) -> dict[str, Any]:
    """What only staff can move: escalated cases, cases to sort (triage), inbox texts."""
    urgent_first = (Case.urgency == Urgency.URGENT).desc()
    escalated = select(Case).where(scope, Case.status == CaseStatus.ESCALATED)
    # The triage page's rule (routing marked it for staff): a case whose intake is still
    # asking the worker what the problem is waits for the worker, not for staff.
    triage = select(Case).where(scope, Case.status.in_(OPEN_STATUSES),
                                Case.status != CaseStatus.ESCALATED, Case.triage_at.is_not(None))
    counted = select(func.count()).select_from
    offices = None if user.role == Role.ADMIN else [user.organisation_id]
    inbox = len(front_door.inbox_messages(session, offices, limit=INBOX_COUNTED))
    return {
        "unread": unread_texts(session),
        "escalated": session.scalars(escalated.order_by(urgent_first, Case.updated_at)
                                     .limit(WAITING_SHOWN)).all(),
        "escalated_total": session.scalar(counted(escalated.subquery())) or 0,
        "triage": session.scalars(triage.order_by(urgent_first, Case.created_at)
                                  .limit(WAITING_SHOWN)).all(),
        "triage_total": session.scalar(counted(triage.subquery())) or 0,
        "inbox": inbox, "inbox_more": inbox >= INBOX_COUNTED,
    }


def unread_texts(session: Session) -> dict[str, int] | None:
    """Texts no worker has read past twice the sweeper's grace (their number, and how many
    minutes the oldest has waited), or None: readers stopped, nobody answers any worker.
    A count only: who wrote is not known before a text is read, so no office is named."""
    now = db_now(session)
    late = now - timedelta(seconds=2 * current_app.config["SWEEP_GRACE_SECONDS"])
    count, oldest = session.execute(select(func.count(), func.min(Message.created_at)).where(
        Message.status == MessageStatus.ARRIVED, Message.created_at < late)).one()
    if not count:
        return None
    return {"count": count, "minutes": max(1, int((now - oldest).total_seconds() // 60))}


def filtered_cases(user: User, args: Any) -> Select[Case]:
    """The case list query from the filter form: status, category, urgency, volunteer, text."""
    query = select(Case).where(case_scope(user))
    status = args.get("status", "open")
    if status == "open":
        query = query.where(Case.status.in_(OPEN_STATUSES))
    elif status in CaseStatus.__members__.values():
        query = query.where(Case.status == CaseStatus(status))
    if args.get("category") in CaseCategory.__members__.values():
        query = query.where(Case.category == CaseCategory(args["category"]))
    if args.get("urgency") in Urgency.__members__.values():
        query = query.where(Case.urgency == Urgency(args["urgency"]))
    volunteer = row_id(args.get("volunteer"))
    if volunteer is not None:
        query = query.where(Case.assigned_volunteer_id == volunteer)
    text = (args.get("q") or "").strip()[:100]
    digits = unicodedata.normalize("NFKC", text)  # full-width １０２４ is a number too
    if CASE_NUMBER.fullmatch(digits):
        # A case number: one probe of its unique index (casting every number to text and
        # matching the words too read the whole table).
        query = query.where(Case.number == int(digits))
    elif text:
        # On PostgreSQL a trigram index (pg_trgm, migration 0014) serves these ILIKEs.
        like = f"%{text}%"
        query = query.where(or_(Case.employer.ilike(like), Case.summary.ilike(like),
                                Case.work_city.ilike(like), Case.work_province.ilike(like)))
    return query


@bp.get("/cases")
def cases() -> Any:
    """Case list with filters, search and pages of 50."""
    user = signed_in_user()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    query = filtered_cases(user, request.args)
    with get_db().begin() as session:
        # Two statements, not one with a window count: the count reads only an index, where
        # a window over the page query fetched every matching case's whole row.
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(Case.created_at.desc())
                               .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
        volunteers = session.scalars(select(Volunteer).where(volunteer_scope(user))
                                     .order_by(Volunteer.name)).all()
        return render_template("staff/cases.html", cases=rows, total=total, page=page,
                               pages=max(1, -(-total // PAGE_SIZE)), volunteers=volunteers,
                               args=request.args, statuses=list(CaseStatus),
                               categories=list(CaseCategory))


def render_case(session: Session, user: User, case: Case, *, revealed: bool = False,
                status: int = 200) -> Any:
    """The case page: details, timeline and every action staff may take."""
    volunteers = session.scalars(select(Volunteer).where(volunteer_scope(user))
                                 .order_by(Volunteer.name)).all()
    return render_template(
        "staff/case.html", case=case, **casework.page_context(session, case, earlier_than()),
        intake_url=url_for("staff.case_intake", number=case.number), revealed=revealed,
        # Only the moves the lifecycle allows from here (Case.move_to refuses the rest).
        volunteers=volunteers, statuses=[s for s in CaseStatus if s == case.status
                                         or s in CASE_TRANSITIONS[case.status]],
        organisations=casework.partner_organisations(session, case),
        queue=session.get(Organisation, case.organisation_id) if case.organisation_id else None,
        followers=former_offices(session, case),
        categories=list(CaseCategory)), status


def former_offices(session: Session, case: Case) -> list[Organisation]:
    """The offices that held the case before, oldest first (they still follow it)."""
    return list(session.scalars(
        select(Organisation).join(CaseOrganisation,
                                  CaseOrganisation.organisation_id == Organisation.id)
        .where(CaseOrganisation.case_id == case.id,
               Organisation.id != func.coalesce(case.organisation_id, 0))
        .order_by(CaseOrganisation.added_at, Organisation.id)))


@bp.get("/cases/<int:number>")
def case_page(number: int) -> Any:
    """One case with its whole history; the worker's number is masked."""
    user = signed_in_user()
    with get_db().begin() as session:
        return render_case(session, user, case_or_404(session, user, number))


def earlier_than() -> int | None:
    """?before=N: the page of the conversation older than event N."""
    return request.args.get("before", type=int)


@bp.get("/cases/<int:number>/intake")
def case_intake(number: int) -> Any:
    """The intake questions and answers the case page folds into one line (htmx fragment)."""
    user = signed_in_user()
    with get_db().begin() as session:
        case = case_or_404(session, user, number)
        return render_template("_intake.html", chat=casework.intake_transcript(session, case))


@bp.post("/cases/<int:number>/reveal")
def reveal_phone(number: int) -> Any:
    """Show the worker's full number, writing who asked and when to the audit log."""
    user = signed_in_user()
    with get_db().begin() as session:
        case = case_or_404(session, user, number)
        audit(session, user, AuditAction.REVEAL_PHONE, case=case)
        if request.headers.get("HX-Request"):
            return render_template("staff/_phone.html", case=case, revealed=True)
        return render_case(session, user, case, revealed=True)


@bp.post("/calls/<int:call_id>/recording")
def play_recording(call_id: int) -> Any:
    """Play a call's recording (audited) on a case this user may see."""
    return casework.play_recording(signed_in_user(), call_id, case_or_404, "staff.case_page")


@bp.post("/cases/<int:number>/text")
def text_worker(number: int) -> Any:
    """Text the worker from the hotline number (staff answer escalated cases themselves)."""
    user = signed_in_user()
    body = request.form.get("body", "").strip()
    with get_db().begin() as session:
        case = case_or_404(session, user, number, lock=True)
        error = relay.staff_text(session, case, user, body)
        if error:
            flash(error, "error")
            return render_case(session, user, case, status=400)
    flash(_("Your text is on its way to the worker."), "info")
    return redirect(url_for("staff.case_page", number=number) + "#timeline", code=303)


@bp.post("/cases/<int:number>/status")
def change_status(number: int) -> Any:
    """Move the case along its lifecycle (Case.move_to refuses what is not allowed)."""
    user = signed_in_user()
    with get_db().begin() as session:
        case = case_or_404(session, user, number, lock=True)
        note = request.form.get("note", "").strip()[:500]
        try:
            # The same reading of the money recovered as the volunteer's outcome form.
            amount = parse_amount(request.form.get("amount_recovered", ""))
            move_case(session, case, CaseStatus(request.form.get("status", "")), user, note,
                      amount)
        except BadAmount:
            flash(_("Status not changed: %(reason)s",
                    reason=_("amount must be yuan, e.g. 12000 or 1.2万")), "error")
            return render_case(session, user, case, status=400)
        except (ValueError, InvalidTransition) as exc:
            flash(_("Status not changed: %(reason)s", reason=str(exc)), "error")
            return render_case(session, user, case, status=400)
    flash(_("Status changed."), "info")
    return redirect(url_for("staff.case_page", number=number))


def move_case(session: Session, case: Case, new: CaseStatus, user: User, note: str,
              amount: Decimal | None = None) -> None:
    """Staff's status change: finishing goes through the volunteers' close path (offers
    withdrawn, money recovered stored, survey sent); back to NEW re-queues (rounds restart,
    routed at once). Money recovered is only taken when the case is finished."""
    finishing = new in (CaseStatus.RESOLVED, CaseStatus.REFERRED, CaseStatus.CLOSED)
    if amount is not None and amount != case.amount_recovered and (
            not finishing or new == case.status):
        raise ValueError(_("money recovered goes with resolved, referred or closed"))
    if new == case.status:
        return
    if finishing:
        finish_case(session, case, str(new), amount, note, utcnow(), actor=user.actor)
    elif new == CaseStatus.NEW:
        if CaseStatus.NEW not in CASE_TRANSITIONS[case.status]:
            raise InvalidTransition(f"case {case.number}: {case.status} -> {new} is not allowed")
        requeue_case(session, case, actor=user.actor, note=note or None)
    else:
        case.move_to(new, actor=user.actor, note=note or None)


@bp.post("/cases/<int:number>/reopen")
def reopen(number: int) -> Any:
    """Reopen a finished case (a worker wrote again about it): back to its volunteer if they
    are on duty, else routed again."""
    user = signed_in_user()
    with get_db().begin() as session:
        case = case_or_404(session, user, number, lock=True)
        try:
            front_door.reopen_case(session, case, user.actor)
        except ValueError:
            flash(_("Only a finished case can be reopened."), "error")
            return render_case(session, user, case, status=400)
    flash(_("Case reopened."), "info")
    return redirect(url_for("staff.case_page", number=number))


@bp.post("/cases/<int:number>/note")
def add_note(number: int) -> Any:
    """Write a note on the case timeline."""
    user = signed_in_user()
    text = request.form.get("text", "").strip()
    with get_db().begin() as session:
        case = case_or_404(session, user, number)
        if not text or len(text) > 4000:
            flash(_("A note must have between 1 and 4000 characters."), "error")
            return render_case(session, user, case, status=400)
        casework.add_note(case, user, text)
    return redirect(url_for("staff.case_page", number=number) + "#timeline")


@bp.post("/cases/<int:number>/reassign")
def reassign(number: int) -> Any:
    """Give the case to another volunteer of the office (pending offers are withdrawn)."""
    user = signed_in_user()
    with get_db().begin() as session:
        case = case_or_404(session, user, number, lock=True)
        volunteer_id = request.form.get("volunteer_id", type=int)
        volunteer = session.scalar(select(Volunteer).where(
            Volunteer.id == volunteer_id, volunteer_scope(user)))
        if volunteer is None:
            flash(_("Choose a volunteer of your organisation."), "error")
            return render_case(session, user, case, status=400)
        try:
            casework.reassign(session, case, volunteer, user)
        except InvalidTransition as exc:
            flash(_("Not reassigned: %(reason)s", reason=str(exc)), "error")
            return render_case(session, user, case, status=400)
    flash(_("Case given to %(name)s.", name=volunteer.name), "info")
    return redirect(url_for("staff.case_page", number=number))


@bp.post("/cases/<int:number>/transfer")
def hand_over(number: int) -> Any:
    """Hand the case to a partner organisation's queue with a note, keeping its history."""
    user = signed_in_user()
    with get_db().begin() as session:
        case = case_or_404(session, user, number, lock=True)
        note = request.form.get("note", "").strip()[:1000]
        error = casework.hand_over(session, case, user, request.form.get("organisation_id",
                                                                         type=int), note)
        if error:
            flash(error, "error")
            return render_case(session, user, case, status=400)
    flash(_("Case transferred."), "info")
    return redirect(url_for("staff.cases"))


@bp.post("/cases/<int:number>/merge")
def merge(number: int) -> Any:
    """Merge this (duplicate) case into another case of the same worker or collective dispute."""
    user = signed_in_user()
    with get_db().begin() as session:
        duplicate = case_or_404(session, user, number)
        into = request.form.get("into", type=int)
        survivor = session.scalar(visible_cases(user).where(Case.number == into)) \
            if into else None
        try:
            if survivor is None:
                raise MergeRefused(_("There is no case #%(number)s in your queue.",
                                     number=request.form.get("into", "").strip()[:20]))
            result = merge_cases(session, duplicate, survivor, actor=user.actor)
        except MergeRefused as exc:
            flash(_("Not merged: %(reason)s", reason=str(exc)), "error")
            return render_case(session, user, duplicate, status=400)
        target = survivor.number
    flash(_("Case #%(number)s merged into #%(into)s: %(messages)s messages and %(calls)s calls "
            "moved.",
            number=number, into=target, messages=result.messages, calls=result.calls), "info")
    return redirect(url_for("staff.case_page", number=target))
