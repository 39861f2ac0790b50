"""A collective dispute as one thing: its lead case and the cases linked to it.

Kept apart from hotline.collective (which forms disputes and routes them) so that what shows a
dispute — the offer SMS, the case page — reads it without depending on routing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Case, CaseCategory


@dataclass(frozen=True)
class Dispute:
    """A collective dispute as a whole: its lead case first, then every case linked to it."""

    lead: Case
    cases: list[Case]

    @property
    def members(self) -> list[Case]:
        """The linked cases, without the lead."""
        return self.cases[1:]

    @property
    def owed(self) -> Decimal | None:
        """What the workers who came to us are owed in all: each case's own claim, once;
        None when none of them said a sum."""
        sums = [c.amount_owed for c in self.cases if c.amount_owed is not None]
        return sum(sums, Decimal(0)) if sums else None


def dispute_of(session: Session, case: Case) -> Dispute | None:
    """The collective dispute `case` leads or belongs to; None for a case of one worker (a
    collective case nobody has joined yet is one worker's report, whatever its head count)."""
    if case.collective_case_id is not None:
        lead = session.get(Case, case.collective_case_id)
    elif case.category == CaseCategory.COLLECTIVE:
        lead = case
    else:
        return None  # no statement for the cases of one worker: nearly all of them
    if lead is None:
        return None
    members = members_of(session, lead)
    return Dispute(lead, [lead, *members]) if members else None


def members_of(session: Session, lead: Case) -> list[Case]:
    """The worker cases linked to a collective case."""
    return list(session.scalars(select(Case).where(Case.collective_case_id == lead.id)
                                .order_by(Case.id)))


def owed_as_offered(session: Session, case: Case) -> Decimal | None:
    """The sum an offer of `case` tells a volunteer: all its workers' for a dispute's lead
    (its head count counts them all), the case's own otherwise."""
    dispute = dispute_of(session, case)
    if dispute is not None and dispute.lead is case:
        return dispute.owed
    return case.amount_owed
