"""web sessions that can be revoked: users.session_version; login attempts counted per address

Revision ID: 0009_web_sessions
Revises: 0008_campaign_scope
Create Date: 2026-11-28 23:59:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_web_sessions"
down_revision: str | None = "0008_campaign_scope"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A session names the version it was made under; logout and a new password bump it,
    # so every older (or copied) session cookie stops working at once.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), nullable=False,
                                      server_default="0"))
    # Failures are also counted per address across accounts (password spraying).
    op.create_index("ix_login_attempts_ip_at", "login_attempts", ["ip", "at"])


def downgrade() -> None:
    op.drop_index("ix_login_attempts_ip_at", table_name="login_attempts")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")
