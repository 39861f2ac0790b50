"""Alembic environment: the URL comes from the caller (hotline db upgrade) or the app config."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

import models
from hotline.infra.db import make_engine

config = context.config
target_metadata = models.Base.metadata


def database_url() -> str:
    """The URL given by `hotline.infra.migrate`, else the one the app would use."""
    url = config.attributes.get("database_url")
    if url:
        return str(url)
    from hotline import create_app

    return str(create_app().config["DATABASE_URL"])


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our UTCDateTime as a plain timezone-aware DateTime so migrations stand alone."""
    if type_ == "type" and obj.__class__.__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


# Indexes only the migrations declare: the PostgreSQL trigram index for case search needs
# pg_trgm's operator class, which the models cannot declare for SQLite too, and Alembic
# cannot compare its operator classes anyway (0014_console_indexes).
MIGRATION_ONLY_INDEXES = frozenset({"ix_cases_search_trgm"})


def include_object(obj: Any, name: str | None, type_: str, reflected: bool,
                   compare_to: Any) -> bool:
    """Leave the migration-only indexes out of the models-versus-database comparison."""
    return not (type_ == "index" and name in MIGRATION_ONLY_INDEXES)


def run_migrations_offline() -> None:
    """Emit SQL without a connection (`alembic upgrade head --sql`)."""
    context.configure(url=database_url(), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations over a real connection; batch mode because SQLite cannot ALTER much."""
    engine = make_engine(database_url())
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, compare_type=True,
                          render_item=render_item, include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
