"""Who may see which case, and the audit trail of every reveal of a worker's number or voice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, and_, or_, select, true
from sqlalchemy.orm import Session

from models import (
    AuditAction,
    AuditLog,
    Case,
    CaseOrganisation,
    Offer,
    OfferStatus,
    Role,
    User,
)
from models.campaign import Campaign
from notifications.campaigns.audience import NO_ORGANISATION


def signed_in_user() -> User:
    """The logged-in account (views call this only behind a role guard)."""
    user: User = current_user._get_current_object()
    return user


def guard(*roles: Role) -> Callable[[], Any]:
    """A before_request hook: anonymous → login page; a role not listed → 403."""

    def check() -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if current_user.role not in roles:
            abort(403)
        return None

    return check


def organisation_clause(user: User) -> ColumnElement[bool]:
    """Staff see the cases in their organisation's queue and every case it held before
    handing it over, with their whole history (origin and destination manage together;
    after A → B → C, A and B both still follow it); staff of no organisation see the cases
    of none."""
    if user.organisation_id is None:
        return Case.organisation_id.is_(None)
    held = select(CaseOrganisation.case_id).where(
        CaseOrganisation.organisation_id == user.organisation_id)
    return or_(Case.organisation_id == user.organisation_id, Case.id.in_(held))


def volunteer_clause(volunteer_id: int | None) -> ColumnElement[bool]:
    """A volunteer sees cases assigned to them and cases with an open offer to them."""
    offered = select(Offer.case_id).where(Offer.volunteer_id == volunteer_id,
                                          Offer.status == OfferStatus.PENDING)
    return or_(Case.assigned_volunteer_id == volunteer_id, Case.id.in_(offered))


def case_scope(user: User) -> ColumnElement[bool]:
    """The WHERE clause of the cases this user may see."""
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.STAFF:
        return organisation_clause(user)
    if user.volunteer_id is None:  # a volunteer login not linked to a volunteer sees nothing
        return Case.id.is_(None)
    return volunteer_clause(user.volunteer_id)


def campaign_scope(user: User) -> ColumnElement[bool]:
    """The WHERE clause of the campaigns this user may see and steer (staff: their own org's).

    A campaign of no organisation made by an admin or the CLI reaches every contact, so it is
    the admins' alone; staff of no organisation steer only campaigns whose audience is limited
    to the contacts of no organisation (the ones they compose themselves).
    """
    if user.role == Role.ADMIN:
        return true()
    if user.role != Role.STAFF:
        return Campaign.id.is_(None)
    if user.organisation_id is None:
        return and_(Campaign.organisation_id.is_(None),
                    Campaign.audience["organisation_id"].as_integer() == NO_ORGANISATION)
    return Campaign.organisation_id == user.organisation_id


def campaign_or_404(session: Session, user: User, campaign_id: int) -> Campaign:
    """The campaign if the user may see it; otherwise 404, as for cases."""
    campaign = session.scalar(select(Campaign).where(Campaign.id == campaign_id,
                                                     campaign_scope(user)))
    if campaign is None:
        abort(404)
    return campaign


def visible_cases(user: User) -> Select[Case]:
    """SELECT of the cases `user` may see, to filter further."""
    return select(Case).where(case_scope(user))


def case_or_404(session: Session, user: User, number: int, *, lock: bool = False) -> Case:
    """The case with this number if the user may see it; otherwise 404 (never 403: no probing)."""
    query = visible_cases(user).where(Case.number == number)
    if lock:
        query = query.with_for_update(of=Case)
    case = session.scalar(query)
    if case is None:
        abort(404)
    return case


def audit(session: Session, user: User, action: AuditAction, *, case: Case | None = None,
          contact_id: int | None = None, call_id: int | None = None,
          detail: str | None = None) -> AuditLog:
    """Write who saw or did what, and when, in the caller's transaction."""
    entry = AuditLog(user_id=user.id, action=action, case_id=case.id if case else None,
                     contact_id=contact_id if contact_id else (case.contact_id if case else None),
                     call_id=call_id, ip=(request.remote_addr or "")[:64], detail=detail)
    session.add(entry)
    return entry
