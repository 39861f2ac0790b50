"""Webhook receipts: a carrier's delivery recorded once, so a retry or a replay writes nothing.

Twilio sends the same I-Twilio-Idempotency-Token on every retry of one webhook; Alibaba's
pushes are keyed by their own ids. The receipt is written in the caller's transaction.
"""

from __future__ import annotations

from functools import lru_cache
from typing import cast

from flask import request
from sqlalchemy import Insert, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hotline.infra.clock import offer_db_now
from models import WebhookReceipt

IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"


def idempotency_token() -> str | None:
    """Twilio's I-Twilio-Idempotency-Token of this delivery (the same on every retry of one
    webhook), or None when absent or not something Twilio would send."""
    token = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not token or len(token) > 128 or not (token.isascii() and token.isprintable()):
        return None
    return token


def seen_before(session: Session, token: str | None, kind: str) -> bool:
    """True when this delivery was handled already; else record it in the caller's
    transaction (two racing retries: the second waits on the key until the first commits,
    then sees it as handled)."""
    if token is None:
        return False
    # One statement: a retry racing the first delivery waits for it on the key, then adds
    # nothing (PostgreSQL and SQLite both speak ON CONFLICT DO NOTHING).
    statement = receipt_statement(session.get_bind().dialect.name)
    row = session.execute(statement, {"token": token, "kind": kind}).first()
    if row is None:
        return True
    # The receipt's time is the database's clock now: a request that pinned its clock
    # (hotline.infra.clock) reads no other.
    offer_db_now(session, row.received_at)
    return False


@lru_cache(maxsize=4)
def receipt_statement(dialect: str) -> Insert:
    """INSERT of the receipt (:token, :kind) that adds nothing when the key exists, returning
    the key only when it added the row (RETURNING, not rowcount: psycopg reports -1 here)."""
    table = cast(Table, WebhookReceipt.__table__)
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return (insert.values(token=bindparam("token"), kind=bindparam("kind"))
            .on_conflict_do_nothing().returning(table.c.token, table.c.received_at))
