"""the office a stored text answers: Alibaba's replies name the office by its extend code, and
the text is now read after its push is answered (hotline.arrivals), so the office is kept with
the row until then

Revision ID: 0020_arrived_office
Revises: 0019_collective_own_claims
Create Date: 2026-12-07 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_arrived_office"
down_revision: str | None = "0019_collective_own_claims"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_messages_organisation_id_organisations"),
                                    "organisations", ["organisation_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_messages_organisation_id_organisations"),
                                 type_="foreignkey")
        batch_op.drop_column("organisation_id")
