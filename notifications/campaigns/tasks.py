"""Sending a campaign: chunk tasks claim recipients, take tokens, call the provider, record.

A provider that takes many texts per request (providers.base.BatchSender: Alibaba's
SendBatchSms) gets the chunk in batches; any other, one request per text on a few threads.

Each chunk task commits its recipients as SENDING (with the exact text) before any provider
call, so a task that is killed or redelivered never sends twice: rows left in SENDING or
UNKNOWN are reconciled by asking the provider what it has, and only sent again if it has
nothing. Each chain of chunk tasks re-enqueues itself without a Celery countdown (see
send_chunk) and holds a slot that the watch task restarts within seconds if its worker dies
(notifications.campaigns.lease); a periodic tick starts scheduled campaigns, lifts quiet-hour
holds and reconciles. Every time that another host compares is the database's.
"""

from __future__ import annotations

import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from celery import shared_task
from flask import current_app
from sqlalchemy import bindparam, func, literal_column, select, update
from sqlalchemy.orm import Session

from hotline.consent import CARRIER_OPT_OUT, withdraw_many
from hotline.infra.clock import db_now
from hotline.infra.db import get_db
from hotline.infra.queues import CAMPAIGNS, QUEUE_PRIORITY, enqueue
from models import (
    Campaign,
    CampaignStatus,
    Contact,
    Recipient,
    RecipientStatus,
)
from notifications.campaigns.audience import materialize, open_case_number
from notifications.campaigns.counts import move_many
from notifications.campaigns.lease import Chain, SendingLease, resume_chain, take_free_slots
from notifications.campaigns.rendering import (
    MissingField,
    compose,
    in_quiet_hours,
    pick_template,
    placeholders,
    quiet_window,
    render,
    variant_bodies,
)
from notifications.providers import (
    ErrorOutcome,
    Provider,
    ProviderError,
    SendResult,
    TransientFailure,
    error_outcome,
    get_provider,
)
from notifications.providers.base import BatchItem, BatchRefused, BatchSender, batch_sender
from notifications.segments import count_segments
from notifications.throttle import TokenBucket, sender_bucket

log = logging.getLogger(__name__)
R = RecipientStatus
MIN_COUNTDOWN = 0.05  # the shortest wait run_chunk asks for when throttled
THROTTLED_BACKOFF = 2.0  # seconds after a 429 from the provider (plus jitter)
# The longest a chain waits inside its task before re-enqueueing itself; below the slot's
# time-to-live, so a waiting chain is never taken for a dead one.
MAX_PAUSE = 2.0


@dataclass
class Claimed:
    """A recipient committed as SENDING, with the exact text to send."""

    id: int
    phone: str
    body: str
    segments: int


@dataclass
class Outcome:
    """What happened to one provider call (or why it was not made)."""

    item: Claimed
    result: SendResult | None = None
    error: ProviderError | None = None
    attempted: bool = True


def bucket_for(campaign: Campaign) -> TokenBucket:
    """The sender's shared token bucket at the campaign's (or the configured) rate."""
    return sender_bucket(campaign.sender, campaign.rate_per_second)


def quiet_zones(campaign: Campaign, now: datetime) -> list[str]:
    """The campaign's time zones where it is now quiet hours."""
    return [tz for tz in campaign.timezones if in_quiet_hours(campaign, now.astimezone(
        ZoneInfo(tz)))]


def quiet_ends(campaign: Campaign, zone: str, now: datetime) -> datetime:
    """When quiet hours end next in `zone` (as an aware UTC-comparable datetime)."""
    local = now.astimezone(ZoneInfo(zone))
    _, end = quiet_window(campaign)
    candidate = local.replace(hour=end // 60, minute=end % 60, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate


def callback_url(recipient_id: int) -> str | None:
    """Where the provider posts this recipient's delivery reports."""
    base = current_app.config.get("PUBLIC_URL")
    return f"{base.rstrip('/')}/twilio/status/campaign?r={recipient_id}" if base else None


def claim_chunk(campaign_id: int) -> tuple[Campaign | None, list[Claimed], float | None, int]:
    """Commit up to a chunk of recipients as SENDING; return (campaign, items, wait, handled).

    Opted-out contacts and texts with a missing field are settled here without a send.
    `wait` is set when the token bucket let only part (or none) of the chunk through.
    """
    with get_db().begin() as session:
        # Lock order, the same on every path: the campaign row, then its recipients. A claim
        # shares the campaign row with other chains' claims; cancel, pause and settle take it
        # exclusively, so they wait for the claims in flight instead of deadlocking with them.
        campaign = session.scalar(select(Campaign).where(Campaign.id == campaign_id)
                                  .with_for_update(read=True))
        if campaign is None or campaign.status != CampaignStatus.SENDING:
            return None, [], None, 0
        now = db_now(session)  # the claim is the lease the reconciler reads on another host
        rows = _pending_rows(session, campaign, now)
        granted, wait, settled = _claim_rows(session, campaign, rows, now) if rows else (
            [], None, 0)
    # In a transaction of its own, after the claim's: two claims sharing the campaign row
    # could not both upgrade their lock to write this (each would wait for the other).
    with get_db().begin() as session:
        session.execute(update(Campaign).where(Campaign.id == campaign_id)
                        .values(last_progress_at=now))
    return campaign, granted, wait, settled


def _claim_rows(session: Session, campaign: Campaign, rows: list[Any], now: datetime
                ) -> tuple[list[Claimed], float | None, int]:
    """Settle opted-out and unrenderable rows; commit what the bucket grants as SENDING."""
    ready, opted, missing = _render_rows(session, campaign, rows)
    grant = bucket_for(campaign).take([c.segments for c in ready])
    granted = ready[:grant.count]
    move_many(session, R.OPTED_OUT, [{"b_id": i} for i in opted],
              error_message="opted out before sending")
    move_many(session, R.FAILED, [{"b_id": i, "b_err": err} for i, err in missing],
              error_message=bindparam("b_err"))
    move_many(session, R.SENDING,
              [{"b_id": c.id, "b_body": c.body, "b_seg": c.segments} for c in granted],
              body=bindparam("b_body"), segments=bindparam("b_seg"), claimed_at=now,
              sent_at=now, attempts=Recipient.attempts + 1)
    wait = grant.wait if grant.count < len(ready) else None
    return granted, wait, len(opted) + len(missing)


def _pending_rows(session: Session, campaign: Campaign, now: datetime) -> list[Any]:
    cfg = current_app.config
    needs_case = any(name == "case_number" for body in variant_bodies(
        session, campaign.id).values() for name, _ in placeholders(body))
    query = (select(Recipient.id, Recipient.phone, Recipient.language, Contact.opted_out_at,
                    Contact.name, Contact.home_province, Contact.work_city,
                    Contact.work_province,
                    open_case_number(Contact.id) if needs_case else literal_column("NULL"))
             .join(Contact, Contact.id == Recipient.contact_id)
             .where(Recipient.campaign_id == campaign.id, Recipient.status == R.PENDING)
             .order_by(Recipient.id).limit(cfg["CAMPAIGN_CHUNK_SIZE"])
             .with_for_update(of=Recipient, skip_locked=True))
    quiet = quiet_zones(campaign, now)
    if quiet:
        query = query.where(Recipient.timezone.not_in(quiet))
    return list(session.execute(query).all())


def _render_rows(session: Session, campaign: Campaign, rows: list[Any]
                 ) -> tuple[list[Claimed], list[int], list[tuple[int, str]]]:
    bodies = variant_bodies(session, campaign.id)
    ready: list[Claimed] = []
    opted: list[int] = []
    missing: list[tuple[int, str]] = []
    for row in rows:
        if row.opted_out_at is not None:
            opted.append(row.id)
            continue
        language, template = pick_template(bodies, row.language, campaign.default_language)
        values = {"name": row.name, "province": row.home_province, "city": row.work_city,
                  "work_province": row.work_province, "case_number": row[8]}
        try:
            body = compose(campaign, render(template, values), language)
        except MissingField as exc:
            missing.append((row.id, f"{exc}: not sent rather than sent with a blank"))
            continue
        ready.append(Claimed(row.id, row.phone, body, count_segments(body).segments))
    return ready, opted, missing


def send_items(provider: Provider, sender: str, items: list[Claimed], threads: int,
               budget: float) -> list[Outcome]:
    """Call the provider for each item; after a throttle or a refused connection, stop.

    No call starts after `budget` seconds: the reconciler treats rows claimed longer ago
    than twice that as abandoned, so a slow chunk must never still be working on them.
    """
    urls = {item.id: callback_url(item.id) for item in items}
    deadline = time.monotonic() + budget
    stop = False

    def send(item: Claimed) -> Outcome:
        nonlocal stop
        late = item is not items[0] and time.monotonic() > deadline  # always make progress
        if stop or late:
            return Outcome(item, attempted=False)
        try:
            return Outcome(item, result=provider.send_sms(item.phone, item.body, from_=sender,
                                                          status_callback=urls[item.id]))
        except ProviderError as exc:
            if error_outcome(exc) == ErrorOutcome.RETRY:
                stop = True  # throttled or refused: the rest of the chunk waits too
            return Outcome(item, error=exc)
        except Exception as exc:  # a bug or an unexpected library error: it may have gone
            log.exception("campaign send to recipient %s raised", item.id)
            return Outcome(item, error=TransientFailure(repr(exc), maybe_sent=True))

    if threads <= 1 or len(items) <= 1:
        return [send(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(threads, len(items))) as pool:
        return list(pool.map(send, items))


def send_batches(batches: BatchSender, provider: Provider, campaign: Campaign,
                 items: list[Claimed], threads: int, budget: float) -> list[Outcome]:
    """Send the items in the provider's batches (up to `threads` requests at once); texts of
    a batch refused for one number or text are then sent one by one, so only that one fails.

    As in send_items: no request starts after `budget` seconds, and after a throttle or a
    refused connection no further request starts."""
    deadline = time.monotonic() + budget
    size = max(1, batches.max_batch)
    parts = [items[i:i + size] for i in range(0, len(items), size)]
    stop = False

    def send(part: list[Claimed]) -> list[Outcome]:
        nonlocal stop
        late = part is not parts[0] and time.monotonic() > deadline  # always make progress
        if stop or late:
            return [Outcome(item, attempted=False) for item in part]
        try:
            results: list[SendResult | ProviderError] = batches.send_batch(
                [BatchItem(c.id, c.phone, c.body) for c in part], from_=campaign.sender,
                campaign_id=campaign.id)
        except Exception as exc:  # a bug or an unexpected library error: it may have gone
            log.exception("campaign batch to recipients %s.. raised", part[0].id)
            results = [TransientFailure(repr(exc), maybe_sent=True)] * len(part)
        out = []
        for item, result in zip(part, results, strict=True):
            if isinstance(result, SendResult):
                out.append(Outcome(item, result=result))
                continue
            if error_outcome(result) == ErrorOutcome.RETRY and not isinstance(
                    result, BatchRefused):
                stop = True  # throttled or refused: the rest of the chunk waits too
            out.append(Outcome(item, error=result))
        return out

    if threads <= 1 or len(parts) <= 1:
        done = [send(part) for part in parts]
    else:
        with ThreadPoolExecutor(max_workers=min(threads, len(parts))) as pool:
            done = list(pool.map(send, parts))
    outcomes = [o for group in done for o in group]
    alone = [o.item for o in outcomes if isinstance(o.error, BatchRefused)]
    if not alone:
        return outcomes
    rest = max(0.0, deadline - time.monotonic())
    again = {o.item.id: o for o in send_items(provider, campaign.sender, alone, threads, rest)}
    return [again.get(o.item.id, o) if isinstance(o.error, BatchRefused) else o
            for o in outcomes]


def record_outcomes(outcomes: list[Outcome]) -> float | None:
    """Write every outcome of a chunk in one transaction; return a back-off if throttled."""
    accepted: list[dict[str, Any]] = []
    requeue: list[dict[str, Any]] = []
    unknown: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    opted: list[dict[str, Any]] = []
    backoff: float | None = None
    for out in outcomes:
        err = out.error
        outcome = error_outcome(err) if err is not None else None
        if out.result is not None:
            accepted.append({"b_id": out.item.id, "b_sid": out.result.sid,
                             "b_seg": out.result.segments})
        elif not out.attempted or outcome == ErrorOutcome.RETRY:
            requeue.append({"b_id": out.item.id})  # the provider surely did not act
            if err is not None:
                backoff = THROTTLED_BACKOFF + random.random()
        elif err is not None:
            row = {"b_id": out.item.id, "b_code": err.code, "b_err": str(err)[:500]}
            if outcome == ErrorOutcome.UNKNOWN:
                unknown.append(row)
            elif outcome == ErrorOutcome.OPTED_OUT:
                opted.append(row)
            else:
                failed.append(row)
    with get_db().begin() as session:
        move_many(session, R.ACCEPTED, accepted, provider_sid=bindparam("b_sid"),
                  segments=bindparam("b_seg"))
        move_many(session, R.PENDING, requeue)
        errors: dict[str, Any] = {"error_code": bindparam("b_code"),
                                  "error_message": bindparam("b_err")}
        move_many(session, R.UNKNOWN, unknown, **errors)
        move_many(session, R.FAILED, failed, **errors)
        move_many(session, R.OPTED_OUT, opted, **errors)
        if opted:
            opt_out_contacts(session, [o["b_id"] for o in opted])
    return backoff


def opt_out_contacts(session: Session, recipient_ids: list[int]) -> None:
    """The provider says these people unsubscribed at the carrier: their consent is withdrawn."""
    contact_ids = select(Recipient.contact_id).where(Recipient.id.in_(recipient_ids))
    withdraw_many(session, contact_ids, CARRIER_OPT_OUT, "campaign send refused")


def run_chunk(campaign_id: int, chain: Chain | None = None) -> float | None:
    """Claim, send and record one chunk; return when to run again (None: this task ends)."""
    # Build the provider client before taking tokens: sends must follow their grant at once.
    provider = get_provider()
    campaign, items, wait, settled = claim_chunk(campaign_id)
    if campaign is None:
        return None
    if not items and not settled and wait is None:
        settle_campaign(campaign_id)
        return None
    backoff = None
    if items:
        cfg = current_app.config
        budget = cfg["CAMPAIGN_RECONCILE_AFTER_SECONDS"] / 2
        threads = cfg["CAMPAIGN_SEND_THREADS"]
        batches = batch_sender(provider)  # a provider that takes many texts per request
        with SendingLease([item.id for item in items], chain):
            if batches is not None:
                outcomes = send_batches(batches, provider, campaign, items, threads, budget)
            else:
                outcomes = send_items(provider, campaign.sender, items, threads, budget)
        backoff = record_outcomes(outcomes)
    if backoff is not None:
        return backoff
    return max(wait, MIN_COUNTDOWN) if wait is not None else 0.0


def settle_campaign(campaign_id: int) -> str:
    """With nothing claimable now: finish the campaign, hold it for quiet hours, or wait."""
    with get_db().begin() as session:
        campaign = session.get(Campaign, campaign_id, with_for_update=True)
        if campaign is None or campaign.status != CampaignStatus.SENDING:
            return "stopped"
        now = db_now(session)
        if campaign.materialized_at is None:
            return "waiting"  # the start task has not written the recipients yet
        counts = dict(session.execute(
            select(Recipient.timezone, func.count()).where(
                Recipient.campaign_id == campaign_id, Recipient.status == R.PENDING)
            .group_by(Recipient.timezone)).all())
        in_flight = session.scalar(select(func.count()).where(
            Recipient.campaign_id == campaign_id, Recipient.status.in_([R.SENDING, R.UNKNOWN])))
        if not counts and not in_flight:
            campaign.move_to(CampaignStatus.DONE)
            return "done"
        quiet = set(quiet_zones(campaign, now))
        if counts and set(counts) <= quiet:
            campaign.hold_until = min(quiet_ends(campaign, tz, now) for tz in counts)
            return "held"
        return "waiting"


def kick(campaign_id: int) -> int:
    """Start a chain of chunk tasks in each slot no live chain holds (after commit); return
    how many started. Safe to call any number of times: live chains are never doubled."""
    chains = take_free_slots(campaign_id, current_app.config["CAMPAIGN_PARALLELISM"])
    for chain in chains:
        if not enqueue(send_chunk, campaign_id, chain.slot, chain.token, queue=CAMPAIGNS):
            chain.release()  # the broker is down: the next watch tries again
    return len(chains)


@shared_task(name="notifications.campaigns.start", priority=QUEUE_PRIORITY[CAMPAIGNS])
def start(campaign_id: int) -> None:
    """Celery task: write the recipient rows once (idempotent), then start the chunk tasks."""
    with get_db().begin() as session:
        campaign = session.get(Campaign, campaign_id, with_for_update=True)
        if campaign is None or campaign.status != CampaignStatus.SENDING:
            return
        if campaign.materialized_at is None:
            count = materialize(session, campaign, current_app.config["CAMPAIGN_TIMEZONE"])
            log.info("campaign %s: %s recipients", campaign_id, count)
    kick(campaign_id)


@shared_task(name="notifications.campaigns.send_chunk", priority=QUEUE_PRIORITY[CAMPAIGNS])
def send_chunk(campaign_id: int, slot: int | None = None, token: str | None = None) -> None:
    """Celery task: one chunk of a chain, then the chain's next step (re-enqueued at once).

    No Celery countdown: it becomes an absolute ETA on the sending host's clock that the
    consuming host compares with its own, so a host minutes ahead would park the campaign
    for minutes. The throttle's wait is a duration from Redis's clock, waited here on this
    process's monotonic clock (a few seconds at most), renewing the chain's slot first."""
    chain = resume_chain(campaign_id, slot, token)
    if chain is None:
        return  # a newer chain holds this slot (this one was taken for dead): end quietly
    again = run_chunk(campaign_id, chain)
    if again is None:
        chain.release()
        return
    if again > 0:
        chain.renew()
        time.sleep(min(again, MAX_PAUSE))
    if chain.renew():
        enqueue(send_chunk, campaign_id, chain.slot, chain.token, queue=CAMPAIGNS)
