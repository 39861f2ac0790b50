"""Starting, scheduling, pausing, resuming and cancelling campaigns; the periodic tick that
starts scheduled ones, lifts quiet-hour holds, restarts stalled ones and reconciles sends whose
outcome was lost (asking the provider, never resending blindly). Every time compared here
comes from the database's clock (hotline.infra.clock), never the host's own."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from flask import current_app
from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session

from hotline.infra.clock import database_now, db_now
from hotline.infra.db import get_db
from hotline.infra.queues import CAMPAIGNS, QUEUE_PRIORITY, enqueue
from models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Contact,
    Recipient,
    RecipientStatus,
)
from models.campaign import RECIPIENT_STATUS_OF
from notifications.campaigns.compose import CampaignNotReady, check_campaign
from notifications.campaigns.counts import move, totals
from notifications.campaigns.report import progress
from notifications.campaigns.tasks import kick, settle_campaign, start
from notifications.providers import MessageLookup, ProviderError, ProviderMessage, get_provider
from notifications.providers.base import batch_sender
from notifications.reconcile import OUTCOME_HORIZON, find_unclaimed

log = logging.getLogger(__name__)
R = RecipientStatus
RECONCILE_BATCH = 200


class CampaignNotFound(LookupError):
    """No campaign with that id."""


def _load(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id, with_for_update=True)
    if campaign is None:
        raise CampaignNotFound(f"no campaign {campaign_id}")
    return campaign


def progress_many(session: Session, campaigns: Sequence[Campaign]) -> list[dict[str, Any]]:
    """`progress` of several campaigns from their counters (notifications.campaigns.counts):
    one statement reading a few rows per campaign, whatever the number of recipients."""
    counted = totals(session, [c.id for c in campaigns])
    none = {str(s): 0 for s in RecipientStatus}
    return [progress(session, c, counted.get(c.id, none)) for c in campaigns]


def request_start(campaign_id: int, at: datetime | None = None) -> Campaign:
    """Check the campaign and start it now (or schedule it); raise CampaignNotReady if not."""
    with get_db().begin() as session:
        campaign = _load(session, campaign_id)
        problems = check_campaign(session, campaign)
        if problems:
            raise CampaignNotReady(problems)
        now = db_now(session)
        if at is not None and at > now:
            campaign.scheduled_at = at
            campaign.move_to(CampaignStatus.SCHEDULED)
            return campaign
        campaign.move_to(CampaignStatus.SENDING)
        campaign.last_progress_at = now
    enqueue(start, campaign_id, queue=CAMPAIGNS)
    return campaign


def pause(campaign_id: int) -> Campaign:
    """Stop sending after the chunks in flight; nothing is lost."""
    with get_db().begin() as session:
        campaign = _load(session, campaign_id)
        campaign.move_to(CampaignStatus.PAUSED)
        return campaign


def resume(campaign_id: int) -> Campaign:
    """Carry on sending a paused campaign (or wait for its schedule if it was scheduled)."""
    with get_db().begin() as session:
        campaign = _load(session, campaign_id)
        if campaign.status != CampaignStatus.PAUSED:
            raise CampaignNotReady([f"campaign {campaign_id} is {campaign.status}, not paused"])
        now = db_now(session)
        due = campaign.scheduled_at is None or campaign.scheduled_at <= now
        campaign.move_to(CampaignStatus.SENDING if due else CampaignStatus.SCHEDULED)
        campaign.last_progress_at = now
    if due:
        enqueue(start, campaign_id, queue=CAMPAIGNS)
    return campaign


def cancel(campaign_id: int) -> Campaign:
    """Cancel: nobody still waiting gets the text; what was sent stays recorded.

    The campaign row first, then its recipients: the order a sending worker's claim takes
    them too (notifications.campaigns.tasks.claim_chunk), so the two wait for each other and
    never deadlock."""
    with get_db().begin() as session:
        campaign = _load(session, campaign_id)
        campaign.move_to(CampaignStatus.CANCELLED)
        move(session, R.CANCELLED, and_(Recipient.campaign_id == campaign_id,
                                        Recipient.status == R.PENDING))
        return campaign


def start_due_campaigns(now: datetime) -> list[int]:
    """Move SCHEDULED campaigns whose time has come to SENDING; return their ids."""
    with get_db().begin() as session:
        due = session.scalars(select(Campaign).where(
            Campaign.status == CampaignStatus.SCHEDULED, Campaign.scheduled_at <= now)
            .with_for_update(skip_locked=True)).all()
        for campaign in due:
            campaign.move_to(CampaignStatus.SENDING)
            campaign.last_progress_at = now
        return [c.id for c in due]


def campaigns_to_wake(now: datetime) -> list[int]:
    """SENDING campaigns whose quiet-hour hold is over, or whose chunk tasks went silent."""
    stall = now - timedelta(seconds=current_app.config["CAMPAIGN_STALL_SECONDS"])
    with get_db().begin() as session:
        woken = session.scalars(select(Campaign).where(
            Campaign.status == CampaignStatus.SENDING,
            ((Campaign.hold_until.is_not(None)) & (Campaign.hold_until <= now))
            | (Campaign.hold_until.is_(None) & (
                Campaign.last_progress_at.is_(None) | (Campaign.last_progress_at < stall))))
            .with_for_update(skip_locked=True)).all()
        for campaign in woken:
            campaign.hold_until = None
            campaign.last_progress_at = now  # one wake-up per stall period
        return [c.id for c in woken]


def _adopt(session: Session, recipient_id: int, found: ProviderMessage) -> None:
    new = RECIPIENT_STATUS_OF.get(found.status, R.ACCEPTED)
    move(session, new, Recipient.id == recipient_id, provider_sid=found.sid,
         segments=found.segments, error_code=found.error_code,
         error_message="reconciled from the provider")


def reconcile(campaign_id: int) -> dict[str, int]:
    """Settle stale SENDING/UNKNOWN rows: adopt what the provider sent, requeue what it didn't
    (or cancel it, when the campaign was cancelled meanwhile)."""
    after = timedelta(seconds=current_app.config["CAMPAIGN_RECONCILE_AFTER_SECONDS"])
    provider = get_provider()
    counts = {"adopted": 0, "requeued": 0, "unresolved": 0, "still_sending": 0}
    with get_db().begin() as session:
        found = session.execute(select(Campaign.sender, Campaign.status).where(
            Campaign.id == campaign_id)).first()
        if found is None:
            return counts
        sender, status = found
        # A cancelled (or finished) campaign sends nothing more: a row the provider never got
        # is cancelled, not queued again. A paused one sends it when resumed.
        stopped = status not in (CampaignStatus.SENDING, CampaignStatus.PAUSED,
                                 CampaignStatus.SCHEDULED)
        # The lease: `claimed_at` is written and renewed with the database's clock while a
        # chunk sends (notifications.campaigns.lease), and compared with the same clock here.
        expired = db_now(session) - after
        rows = session.execute(select(Recipient.id, Recipient.phone, Recipient.body).where(
            Recipient.campaign_id == campaign_id, Recipient.status.in_([R.SENDING, R.UNKNOWN]),
            Recipient.claimed_at < expired).limit(RECONCILE_BATCH)).all()
    # Each provider lookup runs outside any transaction (on SQLite one is the write lock) and
    # its answer is applied on its own; `transition` lists the statuses it may move from.
    for rid, phone, body in rows:
        outcome = _reconcile_one(provider, sender, rid, phone, body, stopped, expired)
        counts[outcome] += 1
        if outcome == "unresolved":
            break  # the provider cannot answer now; the next tick goes on
    if any(counts.values()):
        log.info("campaign %s reconciled: %s", campaign_id, counts)
    return counts


def lookup_for(provider: object) -> object:
    """What campaign reconciliation asks: the provider's batch sender when it has one (its
    lookups tell a batch's texts apart), else the provider."""
    return batch_sender(provider) or provider


def _reconcile_one(provider: object, sender: str, rid: int, phone: str,
                   body: str | None, stopped: bool = False,
                   expired: datetime | None = None) -> str:
    provider = lookup_for(provider)
    if not isinstance(provider, MessageLookup):
        with get_db().begin() as session:
            move(session, R.UNKNOWN, Recipient.id == rid,
                 error_message="provider cannot be asked")
        return "unresolved"
    try:
        match = find_unclaimed(provider, phone, sender, body,
                               lambda sids: _sids_owned_by_others(rid, sids))
    except ProviderError as exc:
        log.warning("reconcile recipient %s: provider lookup failed: %s", rid, exc)
        return "unresolved"
    with get_db().begin() as session:
        if match is not None:
            _adopt(session, rid, match)
            return "adopted"
        # Only while the lease is still out: a sender that renewed it meanwhile is alive and
        # may be sending this very text now (the provider had not seen it yet).
        leased = Recipient.claimed_at < expired if expired is not None else Recipient.id == rid
        if not move(session, R.PENDING, (Recipient.id == rid) & leased,
                    error_message="not found at the provider; sent again"):
            return "still_sending"
        if stopped:
            move(session, R.CANCELLED, Recipient.id == rid,
                 error_message="not found at the provider; the campaign had stopped")
    return "requeued"


def _sids_owned_by_others(recipient_id: int, sids: Iterable[str]) -> set[str]:
    with get_db().begin() as session:
        return {sid for sid in session.scalars(select(Recipient.provider_sid).where(
            Recipient.provider_sid.in_(list(sids)), Recipient.id != recipient_id)) if sid}


def refresh_lost_outcomes(now: datetime) -> int:
    """Ask the provider about sends still ACCEPTED hours later: their callbacks were lost.

    Twilio does not retry status callbacks, so an outage of our webhook leaves rows ACCEPTED
    for good and the report short of deliveries. Only ACCEPTED rows are asked about: "sent"
    is final for carriers that return no delivery receipt, so asking again would never end.
    """
    provider = lookup_for(get_provider())
    if not isinstance(provider, MessageLookup):
        return 0
    cfg = current_app.config
    quiet_since = now - timedelta(seconds=cfg["OUTCOME_REFRESH_SECONDS"])
    with get_db().begin() as session:
        # Whatever the campaign's state: a paused or cancelled one's sent texts still report.
        recent = select(Campaign.id).where(
            Campaign.finished_at.is_(None) | (Campaign.finished_at > now - OUTCOME_HORIZON))
        rows = session.execute(select(Recipient.id, Recipient.provider_sid).where(
            Recipient.campaign_id.in_(recent), Recipient.status == R.ACCEPTED,
            Recipient.provider_sid.is_not(None), Recipient.updated_at < quiet_since)
            .order_by(Recipient.id).limit(RECONCILE_BATCH)).all()
    settled = 0
    # No transaction is held across a provider call (on SQLite it would be the write lock);
    # each answer is applied on its own, and `transition` refuses to move a row that a
    # callback has meanwhile taken further.
    for rid, sid in rows:
        try:
            found = provider.fetch_sms(str(sid))
        except ProviderError as exc:
            log.warning("refresh recipient %s: provider lookup failed: %s", rid, exc)
            break  # the provider is struggling: the next tick tries again
        new = RECIPIENT_STATUS_OF.get(found.status) if found else None
        with get_db().begin() as session:
            if found is not None and new is not None and new != R.ACCEPTED:
                move(session, new, Recipient.id == rid, error_code=found.error_code)
                settled += 1
            else:  # still on its way (or unknown there): ask again after another quiet spell
                session.execute(update(Recipient).where(
                    Recipient.id == rid, Recipient.status == R.ACCEPTED).values(updated_at=now))
    if settled:
        log.info("campaign outcomes refreshed from the provider: %d", settled)
    return settled


def mark_stale_after_recheck(now: datetime) -> int:
    """Re-check campaigns past their reply window: contacts who did not confirm become stale."""
    marked = 0
    with get_db().begin() as session:
        done = session.scalars(select(Campaign).where(
            Campaign.kind == CampaignKind.RECHECK, Campaign.status == CampaignStatus.DONE,
            Campaign.stale_marked_at.is_(None)).with_for_update(skip_locked=True)).all()
        for campaign in done:
            assert campaign.finished_at is not None
            if campaign.finished_at + timedelta(hours=campaign.reply_window_hours) > now:
                continue
            silent = select(Recipient.contact_id).where(
                Recipient.campaign_id == campaign.id, Recipient.reply.is_(None))
            result = session.execute(update(Contact).where(
                Contact.id.in_(silent), (Contact.verified_at.is_(None))
                | (Contact.verified_at < campaign.started_at)).values(stale_at=now))
            campaign.stale_marked_at = now
            marked += int(getattr(result, "rowcount", 0) or 0)
    return marked


def tick_now() -> dict[str, int]:
    """One tick: start due campaigns, wake held or stalled ones, reconcile, finish."""
    now = database_now()
    started = start_due_campaigns(now)
    for campaign_id in started:
        enqueue(start, campaign_id, queue=CAMPAIGNS)
    woken = campaigns_to_wake(now)
    reconciled = 0
    with get_db().begin() as session:
        sending = set(session.scalars(select(Campaign.id).where(
            Campaign.status == CampaignStatus.SENDING)))
        # Rows left SENDING/UNKNOWN by a crash stay unresolved whatever the campaign became
        # since (paused, cancelled): they are reconciled too.
        unresolved = set(session.scalars(select(Campaign.id).where(exists().where(
            Recipient.campaign_id == Campaign.id,
            Recipient.status.in_([R.SENDING, R.UNKNOWN])))))
    for campaign_id in sorted(sending | unresolved):
        reconciled += sum(reconcile(campaign_id).values())
    for campaign_id in sorted(sending):
        settle_campaign(campaign_id)
    for campaign_id in woken:
        kick(campaign_id)
    return {"started": len(started), "woken": len(woken), "reconciled": reconciled,
            "refreshed": refresh_lost_outcomes(now), "stale": mark_stale_after_recheck(now)}


@shared_task(name="notifications.campaigns.tick", priority=QUEUE_PRIORITY[CAMPAIGNS])
def tick() -> dict[str, int]:
    """Celery beat task wrapper around tick_now."""
    return tick_now()


def watch_now() -> int:
    """Start a chain in every free slot of each sending campaign with recipients waiting;
    return how many chains started. A chain whose worker died frees its slot within
    seconds (notifications.campaigns.lease), so its work goes on long before the broker's
    visibility timeout would hand its task to another worker."""
    with get_db().begin() as session:
        ids = list(session.scalars(select(Campaign.id).where(
            Campaign.status == CampaignStatus.SENDING, Campaign.hold_until.is_(None),
            Campaign.materialized_at.is_not(None),
            exists().where(Recipient.campaign_id == Campaign.id, Recipient.status == R.PENDING))))
    started = sum(kick(campaign_id) for campaign_id in ids)
    if started:
        log.info("campaign watch: %d chain(s) restarted", started)
    return started


@shared_task(name="notifications.campaigns.watch", priority=0)
def watch() -> int:
    """Celery beat task (every few seconds) wrapper around watch_now."""
    return watch_now()
