"""intake flows: flow sessions, voice-step replays, case voicemail

Revision ID: 0002_flows
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_flows"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flow_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.Enum("sms", "voice", "web", name="channel", native_enum=False,
                                     length=20), nullable=False),
        sa.Column("flow", sa.String(length=40), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("status", sa.Enum("active", "done", "abandoned", name="flowstatus",
                                    native_enum=False, length=20), nullable=False),
        sa.Column("node", sa.String(length=60), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("routed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_flow_sessions_case_id_cases")),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"],
                                name=op.f("fk_flow_sessions_contact_id_contacts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_sessions")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_flow_sessions_call_sid")),
    )
    op.create_index("ix_flow_sessions_contact_status", "flow_sessions",
                    ["contact_id", "status"], unique=False)
    op.create_index(op.f("ix_flow_sessions_case_id"), "flow_sessions", ["case_id"], unique=False)
    op.create_index(op.f("ix_flow_sessions_contact_id"), "flow_sessions", ["contact_id"],
                    unique=False)
    op.create_table(
        "flow_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("node", sa.String(length=60), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_steps")),
        sa.UniqueConstraint("call_sid", "step", name=op.f("uq_flow_steps_call_sid_step")),
    )
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("voicemail_url", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("voicemail_url")
    op.drop_table("flow_steps")
    op.drop_index(op.f("ix_flow_sessions_contact_id"), table_name="flow_sessions")
    op.drop_index(op.f("ix_flow_sessions_case_id"), table_name="flow_sessions")
    op.drop_index("ix_flow_sessions_contact_status", table_name="flow_sessions")
    op.drop_table("flow_sessions")
