"""console indexes: the staff console at three years of data (opt-outs, one month of texts,
calls and timeline events, cases by creation time) and trigram search on PostgreSQL

Revision ID: 0014_console_indexes
Revises: 0013_carrier_templates
Create Date: 2026-12-03 14:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_console_indexes"
down_revision: str | None = "0013_carrier_templates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Also named in migrations/env.py, which leaves it out of the model comparison: it exists on
# PostgreSQL only and needs an extension's operator class the models cannot declare portably.
TRIGRAM_INDEX = "ix_cases_search_trgm"
SEARCHED = ("employer", "summary", "work_city", "work_province")


def upgrade() -> None:
    op.create_index("ix_contacts_opted_out_at", "contacts", ["opted_out_at"],
                    postgresql_where=sa.text("opted_out_at IS NOT NULL"),
                    sqlite_where=sa.text("opted_out_at IS NOT NULL"))
    op.create_index(op.f("ix_messages_created_at"), "messages", ["created_at"])
    op.create_index(op.f("ix_calls_created_at"), "calls", ["created_at"])
    op.create_index("ix_case_events_kind_at", "case_events", ["kind", "at"])
    op.create_index("ix_cases_created_at", "cases", ["created_at"])
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite searches with LIKE over the table; there is no trigram index there
    schema = trigram_schema(bind)
    if schema is None:
        print("pg_trgm is not available: case search works without its index, only slower")
        return
    columns = ", ".join(f"{c} {schema}.gin_trgm_ops" for c in SEARCHED)
    op.execute(f"CREATE INDEX {TRIGRAM_INDEX} ON cases USING gin ({columns})")


def trigram_schema(bind: sa.Connection) -> str | None:
    """Install pg_trgm if needed and return the (quoted) schema holding its operator classes."""
    find = sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension "
                   "WHERE extname = 'pg_trgm'")
    schema = bind.scalar(find)
    if schema is not None:
        return str(schema)
    # In `public` when we may: an extension created in a schema that is later dropped (one
    # per test run) would take every index using it, in every schema, with it.
    public = bind.scalar(sa.text("SELECT has_schema_privilege(oid, 'CREATE') FROM pg_namespace "
                                 "WHERE nspname = 'public'"))
    try:
        with bind.begin_nested():  # a failure (no privilege, or a concurrent install) is kept
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"
                                 + (" SCHEMA public" if public else "")))
    except sa.exc.DBAPIError:
        pass  # not installable here, or another migration installed it meanwhile
    found = bind.scalar(find)
    return None if found is None else str(found)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    op.drop_index("ix_cases_created_at", table_name="cases")
    op.drop_index("ix_case_events_kind_at", table_name="case_events")
    op.drop_index(op.f("ix_calls_created_at"), table_name="calls")
    op.drop_index(op.f("ix_messages_created_at"), table_name="messages")
    op.drop_index("ix_contacts_opted_out_at", table_name="contacts")
