"""PostgreSQL connections are pinged only after sitting idle, and a dead idle one is replaced.

Pinging on every checkout (pool_pre_ping) cost a round trip per webhook on a connection handed
back milliseconds before. A backend that dies while its connection waits in the pool (a server
restart, an administrator's pg_terminate_backend) must still never fail the next request."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from hotline.infra import db as db_module
from hotline.infra.db import make_engine
from tests.conftest import PG_SERVER


@dataclass
class Pool:
    """The engine under test and the times its connections were pinged."""

    engine: Engine
    pings: list[float]


@pytest.fixture
def pool(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pool]:
    """The app's PostgreSQL engine (pool of one), idle threshold shortened for the test,
    its pings counted."""
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.2)
    made = make_engine(pg_url, pool_size=1, max_overflow=0)
    pings: list[float] = []
    real_ping = made.dialect.do_ping

    def counted(dbapi_conn: Any) -> bool:
        pings.append(time.monotonic())
        return real_ping(dbapi_conn)

    monkeypatch.setattr(made.dialect, "do_ping", counted)
    yield Pool(made, pings)
    made.dispose()


def backend_pid(engine: Engine) -> int:
    """The server process behind the pool's connection (used, then handed back)."""
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_in_use_is_not_pinged_again_and_again(pool: Pool) -> None:
    first = backend_pid(pool.engine)
    for _ in range(20):  # requests one after another, as under load
        assert backend_pid(pool.engine) == first
    assert pool.pings == []


def test_an_idle_connection_is_pinged_and_a_dead_one_replaced(pool: Pool) -> None:
    first = backend_pid(pool.engine)
    time.sleep(0.3)
    assert backend_pid(pool.engine) == first  # idle: pinged, alive, kept
    assert len(pool.pings) == 1
    admin = create_engine(PG_SERVER)
    try:
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"),
                                {"pid": first}).scalar_one()
    finally:
        admin.dispose()
    time.sleep(0.3)
    # The next request finds the pooled connection dead at its ping and gets a new one.
    second = backend_pid(pool.engine)
    assert second != first
    assert len(pool.pings) == 2
