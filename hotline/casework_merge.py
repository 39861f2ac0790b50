"""Merging a duplicate case into another case of the same worker (or the same collective dispute).

The duplicate's messages, calls and timeline events are re-pointed to the surviving case, so the
whole history reads from one timeline in time order. Offers stay on the duplicate (an offer is
unique per case and volunteer) but their timeline entries move, so they stay readable too; the
duplicate's pending offers are withdrawn. The duplicate is then CLOSED with "merged into #N".
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hotline.offers import withdraw_other_offers
from models import Call, Case, CaseEvent, CaseStatus, EventKind, Message, utcnow
from models.flow import FlowSession

# Facts the surviving case takes from the duplicate when it has none of its own.
FILLABLE_FACTS = ("employer", "employer_key", "work_province", "work_city", "amount_owed",
                  "months_unpaid", "summary", "voicemail_url", "dialect")


class MergeRefused(ValueError):
    """A merge that must not happen; the message says why, for the person who asked."""


@dataclass(frozen=True)
class MergeResult:
    """What moved from the duplicate to the surviving case."""

    messages: int
    calls: int
    events: int
    offers_withdrawn: int
    facts_filled: tuple[str, ...]


def same_collective(a: Case, b: Case) -> bool:
    """True when both cases belong to one collective dispute (or one is that dispute)."""
    if a.collective_case_id is not None and a.collective_case_id == b.collective_case_id:
        return True
    return a.collective_case_id == b.id or b.collective_case_id == a.id


def check_merge(session: Session, duplicate: Case, survivor: Case) -> None:
    """Raise MergeRefused with a clear reason when `duplicate` cannot merge into `survivor`."""
    if duplicate.id == survivor.id:
        raise MergeRefused(f"case #{duplicate.number} cannot be merged into itself")
    if duplicate.status == CaseStatus.CLOSED:
        raise MergeRefused(f"case #{duplicate.number} is already closed")
    if survivor.status == CaseStatus.CLOSED:
        raise MergeRefused(f"case #{survivor.number} is closed; merge into an open case")
    if duplicate.contact_id != survivor.contact_id and not same_collective(duplicate, survivor):
        raise MergeRefused(f"cases #{duplicate.number} and #{survivor.number} are of different "
                           "workers and not of the same collective dispute")
    members = session.scalar(select(func.count()).select_from(Case).where(
        Case.collective_case_id == duplicate.id)) or 0
    if members and survivor.collective_case_id == duplicate.id:
        raise MergeRefused(f"case #{duplicate.number} is the collective dispute of {members} "
                           f"case(s); merge case #{survivor.number} into it instead")


def repoint_history(session: Session, duplicate: Case, survivor: Case) -> tuple[int, int, int]:
    """Move messages, calls, timeline events and flow sessions; return the three counts."""
    moved = []
    for model in (Message, Call, CaseEvent):
        result = session.execute(update(model).where(model.case_id == duplicate.id)
                                 .values(case_id=survivor.id)
                                 .execution_options(synchronize_session=False))
        moved.append(int(getattr(result, "rowcount", 0) or 0))
    session.execute(update(FlowSession).where(FlowSession.case_id == duplicate.id)
                    .values(case_id=survivor.id).execution_options(synchronize_session=False))
    # Workers' cases linked to the duplicate (a collective dispute) now link to the survivor.
    session.execute(update(Case).where(Case.collective_case_id == duplicate.id,
                                       Case.id != survivor.id)
                    .values(collective_case_id=survivor.id)
                    .execution_options(synchronize_session=False))
    return moved[0], moved[1], moved[2]


def fill_missing_facts(duplicate: Case, survivor: Case) -> tuple[str, ...]:
    """Copy facts the survivor lacks from the duplicate; return the names copied."""
    filled = []
    for name in FILLABLE_FACTS:
        if getattr(survivor, name) in (None, "") and getattr(duplicate, name) not in (None, ""):
            setattr(survivor, name, getattr(duplicate, name))
            filled.append(name)
    return tuple(filled)


def lock_pair(session: Session, first_id: int, second_id: int) -> tuple[Case, Case]:
    """Both cases locked FOR UPDATE in id order (two crossed merges cannot deadlock)."""
    rows = {c.id: c for c in session.scalars(
        select(Case).where(Case.id.in_((first_id, second_id))).order_by(Case.id)
        .with_for_update().execution_options(populate_existing=True))}
    if first_id not in rows or second_id not in rows:
        raise MergeRefused("case not found")
    return rows[first_id], rows[second_id]


def merge_cases(session: Session, duplicate: Case, survivor: Case, *,
                actor: str) -> MergeResult:
    """Merge `duplicate` into `survivor` in the caller's transaction (both rows locked)."""
    duplicate, survivor = lock_pair(session, duplicate.id, survivor.id)
    check_merge(session, duplicate, survivor)
    session.flush()  # pending timeline entries must be rows before they are re-pointed
    messages, calls, events = repoint_history(session, duplicate, survivor)
    # After the move, so the "case taken" texts to those volunteers stay on the duplicate.
    withdrawn = withdraw_other_offers(session, duplicate, keep=None, now=utcnow())
    facts = fill_missing_facts(duplicate, survivor)
    duplicate.move_to(CaseStatus.CLOSED, actor=actor, note=f"merged into #{survivor.number}")
    survivor.log(EventKind.NOTE,
                 f"case #{duplicate.number} merged into this case: {messages} message(s), "
                 f"{calls} call(s), {events} timeline entries moved",
                 actor=actor, data={"merged_from": duplicate.number, "messages": messages,
                                    "calls": calls, "events": events,
                                    "facts_filled": list(facts)})
    survivor.updated_at = utcnow()
    return MergeResult(messages, calls, events, len(withdrawn), facts)
