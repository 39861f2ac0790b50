"""What the web does to a case, shared by the staff console and the volunteer inbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Response, abort, flash, redirect, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import deadlines
from hotline.assignment import assign
from hotline.bridge import touch
from hotline.disputes import dispute_of
from hotline.infra.db import get_db
from hotline.offers import withdraw_other_offers
from hotline.organisations import hand_over_case
from hotline.web import case_view
from hotline.web.access import audit, campaign_scope
from hotline.web.case_summary import case_facts
from hotline.web.i18n import N_
from hotline.web.i18n import gettext as _
from hotline.web.stats import local_zone
from models import (
    AuditAction,
    Call,
    Case,
    CaseEvent,
    CaseStatus,
    EventKind,
    InvalidTransition,
    Offer,
    OfferStatus,
    Organisation,
    User,
    Volunteer,
    utcnow,
)
from models.campaign import Campaign, CampaignStatus
from notifications.campaigns.control import progress_many
from notifications.providers import ProviderError, RecordingStore, get_provider

CHANNEL_NAMES = {"sms": N_("SMS"), "voice": N_("Phone call"), "web": N_("Web")}


def page_context(session: Session, case: Case, before: int | None = None,
                 volunteer_id: int | None = None) -> dict[str, Any]:
    """What both case pages show: the summary card's facts and a page of the conversation
    (as `volunteer_id` sees it, on a volunteer's page)."""
    chat = case_view.conversation(session, case, before, volunteer_id=volunteer_id)

    def link(other: Case) -> str:
        """Another case of the dispute, linked where this page's reader may open it: staff
        any case of the office, a volunteer the cases they hold."""
        if volunteer_id is None:
            return url_for("staff.case_page", number=other.number)
        if other.assigned_volunteer_id == volunteer_id:
            return url_for("volunteer.case_page", number=other.number)
        return ""

    facts = case_facts(case, local_today(), dispute_of(session, case), link)
    return {"chat": chat, "facts": facts,
            "channel_name": _(CHANNEL_NAMES.get(str(case.channel), str(case.channel)))}


def intake_transcript(session: Session, case: Case) -> case_view.Conversation:
    """The intake questions and answers folded on the case page, for when they are opened."""
    return case_view.conversation(session, case, transcript=True)


def local_today() -> date:
    """Today in the office's time zone (legal deadlines count calendar days)."""
    return utcnow().astimezone(local_zone()).date()


def add_note(case: Case, user: User, text: str) -> CaseEvent:
    """A note on the timeline, signed by the user."""
    return case.log(EventKind.NOTE, text, actor=user.actor)


def reassign(session: Session, case: Case, volunteer: Volunteer, user: User) -> None:
    """Make `volunteer` the case's owner; pending offers to others are withdrawn."""
    if case.assigned_volunteer_id == volunteer.id:
        return
    if not case.is_open:
        raise InvalidTransition(f"case {case.number} is {case.status}")
    now, previous = utcnow(), case.assigned_volunteer_id
    offer = session.scalar(select(Offer).where(Offer.case_id == case.id,
                                               Offer.volunteer_id == volunteer.id,
                                               Offer.status == OfferStatus.PENDING))
    withdraw_other_offers(session, case, keep=offer.id if offer else None, now=now)
    if offer is not None:
        offer.answer(OfferStatus.ACCEPTED, now)
    if case.status in (CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS):
        case.assigned_volunteer_id = volunteer.id  # keeps working status: only the owner changes
        case.last_activity_at, case.reminded_at = now, None
    else:
        assign(session, case, volunteer, now, actor=user.actor)
    case.log(EventKind.ROUTING, f"reassigned to {volunteer.name} (#{volunteer.id}) by staff",
             actor=user.actor, data={"from": previous, "to": volunteer.id})


def record_volunteer_report(session: Session, case: Case, volunteer: Volunteer,
                            status: CaseStatus, amount: Decimal | None, note: str) -> None:
    """A volunteer's report: still working on it, or finished (the routing engine's outcome)."""
    now = utcnow()
    if status == CaseStatus.IN_PROGRESS:
        touch(case, now)
        case.move_to(status, actor=f"volunteer:{volunteer.id}", note=note or None)
        if amount is not None:
            case.amount_recovered = amount
        if note:
            case.log(EventKind.NOTE, note, actor=f"volunteer:{volunteer.id}")
        return
    deadlines.finish_for_volunteer(session, case, volunteer, str(status), amount, note, now)


def partner_organisations(session: Session, case: Case) -> list[Organisation]:
    """Organisations a case can be handed over to (all but its own)."""
    return list(session.scalars(select(Organisation).where(
        Organisation.id != (case.organisation_id or -1)).order_by(Organisation.name)))


def hand_over(session: Session, case: Case, user: User, organisation_id: int | None,
              note: str) -> str | None:
    """Hand the case over to a partner organisation's queue; an error message or None."""
    target = next((o for o in partner_organisations(session, case) if o.id == organisation_id),
                  None)
    if target is None:
        return _("Choose a partner organisation.")
    if not note:
        return _("Say why the case is transferred.")
    try:
        hand_over_case(session, case, target, note=note, actor=user.actor)
    except ValueError as exc:
        return str(exc)
    return None


def campaigns_in_flight(session: Session, user: User) -> list[dict[str, Any]]:
    """The user's scheduled, sending and paused campaigns with their progress."""
    live = (CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.PAUSED)
    return progress_many(session, session.scalars(
        select(Campaign).where(Campaign.status.in_(live), campaign_scope(user))
        .order_by(Campaign.id.desc()).limit(10)).all())


def play_recording(user: User, call_id: int, load_case: Callable[[Session, User, int], Case],
                   back: str) -> Any:
    """Audit, then stream a call's recording fetched with our credentials (never its URL)."""
    with get_db().begin() as session:
        call = session.get(Call, call_id)
        if call is None:
            abort(404)
        url, owner_id = call.recording_url, call.case_id
        # ?event=N: another recording of the call kept on the timeline (an answer the worker
        # gave in their own voice, e.g. the employer's name), not the call's voicemail.
        if "event" in request.args:
            event = session.get(CaseEvent, request.args.get("event", 0, type=int))
            if event is None or event.call_id != call.id:
                abort(404)
            url, owner_id = (event.data or {}).get("recording_url"), event.case_id
        if owner_id is None or not url:
            abort(404)
        owner = session.get(Case, owner_id)
        assert owner is not None and owner.number is not None
        case = load_case(session, user, owner.number)  # 404 unless this user may hear it
        audit(session, user, AuditAction.PLAY_RECORDING, case=case, call_id=call.id)
        number = case.number
    provider = get_provider()
    try:
        if not isinstance(provider, RecordingStore):
            raise ProviderError("this provider keeps no recordings")
        recording = provider.fetch_recording(url)
    except ProviderError as exc:
        flash(_("The recording could not be fetched: %(reason)s", reason=str(exc)), "error")
        return redirect(url_for(back, number=number))
    # The audio is personal data: the browser must not keep a copy.
    return Response(recording.audio, mimetype=recording.content_type,
                    headers={"Cache-Control": "no-store"})
