"""each case of a collective dispute keeps its own worker's claim: a lead case held the sum of
its own and its first members' claims (written when the dispute formed), so every total over
cases (the dashboard's yuan claimed, the monthly report) counted the members' wages twice.
The lead's own claim is what it held less the members' claims named in the dispute's first
event; a lead whose members' sums have since changed (less would be left than nothing) is
left as it is.

Revision ID: 0019_collective_own_claims
Revises: 0018_cases_by_worker_office
Create Date: 2026-12-07 11:00:00
"""
import json
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "0019_collective_own_claims"
down_revision: str | None = "0018_cases_by_worker_office"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    formed = bind.execute(sa.text(
        "SELECT e.case_id, e.data, c.amount_owed FROM case_events e "
        "JOIN cases c ON c.id = e.case_id "
        "WHERE e.kind = 'collective' AND c.amount_owed IS NOT NULL ORDER BY e.id")).all()
    done: set[int] = set()
    for case_id, raw, held in formed:
        data = json.loads(raw) if isinstance(raw, str) else (raw or {})
        members = data.get("members") if isinstance(data, dict) else None
        # Only the event that formed the dispute names its members; a joining case's does not.
        if not members or case_id in done:
            continue
        done.add(case_id)
        theirs = bind.execute(sa.text(
            "SELECT COALESCE(SUM(amount_owed), 0) FROM cases WHERE number IN :numbers")
            .bindparams(sa.bindparam("numbers", expanding=True)),
            {"numbers": [int(n) for n in members]}).scalar_one()
        own = Decimal(str(held)) - Decimal(str(theirs))  # SQLite hands back floats
        if own < 0 or not theirs:
            continue
        bind.execute(sa.text("UPDATE cases SET amount_owed = :own WHERE id = :id")
                     .bindparams(sa.bindparam("own", type_=sa.Numeric(12, 2))),
                     {"own": own if own > 0 else None, "id": case_id})


def downgrade() -> None:
    """The lead's sum is added up again where the dashboards of 0018 expect it."""
    bind = op.get_bind()
    leads = bind.execute(sa.text(
        "SELECT DISTINCT collective_case_id FROM cases WHERE collective_case_id IS NOT NULL"
    )).scalars().all()
    for lead in leads:
        bind.execute(sa.text(
            "UPDATE cases SET amount_owed = (SELECT SUM(amount_owed) FROM cases "
            "WHERE id = :id OR collective_case_id = :id) WHERE id = :id"), {"id": lead})
