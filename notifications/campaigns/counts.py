"""Campaign counters: every move of a recipient from one status to another, counted in its
campaign's row of `campaign_counts` in the transaction that makes the move.

A move first locks the rows it may change (SELECT ... FOR NO KEY UPDATE on PostgreSQL, the
lock its UPDATE takes anyway; on SQLite BEGIN IMMEDIATE already holds the write lock), so it
knows the status each one leaves, then moves exactly those rows. A duplicate or late report
finds its row already moved on (not in a status it may leave) and counts nothing. A
transaction's moves are added up per campaign and written once, just before it commits, to
one of the campaign's COUNT_SHARDS counter rows picked at random: a counter row is the last
lock a transaction takes, so whoever holds it waits for no recipient row (a chunk's record
and a status callback on one of its rows cannot deadlock over it), and callbacks of one
campaign queue for the same row's commit only when they happen to pick the same row.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, delete, event, func, insert, select, update
from sqlalchemy.orm import Session

from models.campaign import (
    COUNT_SHARDS,
    RECIPIENT_SOURCES,
    CampaignCounts,
    Recipient,
    RecipientStatus,
)

PENDING_COUNTS = "campaign_counts"  # session.info key: Counter of (campaign id, status) -> n


def move(session: Session, new: RecipientStatus, where: Any, **values: Any) -> int:
    """Move the recipients `where` selects to `new` (only from the statuses it may leave,
    as Recipient.transition does) and count each move; return how many moved."""
    sources = RECIPIENT_SOURCES[new]
    if len(sources) == 1:
        # One status to leave (e.g. PENDING -> CANCELLED for a whole campaign): the UPDATE
        # names the campaign of each row it moved, with no lock taken beforehand.
        moved = session.execute(Recipient.transition(new, where, **values)
                                .returning(Recipient.campaign_id)).scalars().all()
        _count(session, [(cid, sources[0]) for cid in moved], new)
        return len(moved)
    found = session.execute(select(Recipient.id, Recipient.campaign_id, Recipient.status)
                            .where(where, Recipient.status.in_(sources))
                            .with_for_update(key_share=True)).all()
    if not found:
        return 0
    # By id: exactly the rows locked above, whatever committed since the statement began.
    session.execute(Recipient.transition(new, Recipient.id.in_([r.id for r in found]),
                                         **values))
    _count(session, [(r.campaign_id, r.status) for r in found], new)
    return len(found)


def move_many(session: Session, new: RecipientStatus, params: list[dict[str, Any]],
              **values: Any) -> int:
    """`move` for many rows by id in one executemany: each dict names its row under "b_id"
    and fills the bind parameters `values` uses; return how many moved."""
    if not params:
        return 0
    found = session.execute(select(Recipient.id, Recipient.campaign_id, Recipient.status)
                            .where(Recipient.id.in_([p["b_id"] for p in params]),
                                   Recipient.status.in_(RECIPIENT_SOURCES[new]))
                            .with_for_update(key_share=True)).all()
    moving = {r.id for r in found}
    rows = [p for p in params if p["b_id"] in moving]
    if rows:
        session.connection().execute(
            Recipient.transition(new, Recipient.id == bindparam("b_id"), **values), rows)
        _count(session, [(r.campaign_id, r.status) for r in found], new)
    return len(rows)


def added(session: Session, campaign_id: int, n: int) -> None:
    """`n` new PENDING recipients of a campaign just written (materialising): its counter
    rows start here."""
    session.execute(delete(CampaignCounts).where(CampaignCounts.campaign_id == campaign_id))
    session.execute(insert(CampaignCounts), [
        {"campaign_id": campaign_id, "shard": shard, "pending": n if shard == 0 else 0}
        for shard in range(COUNT_SHARDS)])


def totals(session: Session, campaign_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Recipients per status of each campaign (every status present) from its counter rows,
    in one statement; a campaign without counters is left out."""
    ids = list(campaign_ids)
    if not ids:
        return {}
    table = CampaignCounts.__table__.c
    rows = session.execute(select(CampaignCounts.campaign_id, *(
        func.sum(table[s.value]) for s in RecipientStatus))
        .where(CampaignCounts.campaign_id.in_(ids)).group_by(CampaignCounts.campaign_id))
    return {row[0]: {str(s): int(n or 0) for s, n in zip(RecipientStatus, row[1:], strict=True)}
            for row in rows}


def _count(session: Session, left: list[tuple[int, RecipientStatus]],
           new: RecipientStatus) -> None:
    pending: Counter[tuple[int, str]] = session.info.setdefault(PENDING_COUNTS, Counter())
    for campaign_id, old in left:
        pending[(campaign_id, RecipientStatus(old).value)] -= 1
        pending[(campaign_id, new.value)] += 1


@event.listens_for(Session, "before_commit")
def _write_counts(session: Session) -> None:
    pending: Counter[tuple[int, str]] | None = session.info.pop(PENDING_COUNTS, None)
    if not pending:
        return
    per_campaign: dict[int, dict[str, int]] = {}
    for (campaign_id, status), n in pending.items():
        if n:
            per_campaign.setdefault(campaign_id, {})[status] = n
    # One shard for the whole transaction, campaign by campaign in id order: two
    # transactions never take two rows crosswise.
    shard = random.randrange(COUNT_SHARDS)
    table = CampaignCounts.__table__.c
    for campaign_id in sorted(per_campaign):
        deltas = per_campaign[campaign_id]
        session.execute(update(CampaignCounts).where(
            CampaignCounts.campaign_id == campaign_id, CampaignCounts.shard == shard)
            .values({table[s]: table[s] + n for s, n in deltas.items()}))


@event.listens_for(Session, "after_rollback")
def _forget_counts(session: Session) -> None:
    session.info.pop(PENDING_COUNTS, None)
