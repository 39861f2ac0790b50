"""Who is sending a campaign right now: chain slots in Redis, recipient leases in the database.

A campaign is sent by CAMPAIGN_PARALLELISM chains of chunk tasks. Each chain holds a slot key
in the shared Redis whose time-to-live runs on Redis's own clock, and renews it while it
works. A chain whose worker died (killed, or its host cut off) stops renewing; its slot falls
free after SLOT_TTL seconds and the watch task, run by beat every few seconds, starts a new
chain in it. A chain whose slot was taken meanwhile ends at its next step, so restarts never
multiply chains, and nothing waits for the broker's visibility timeout.

The recipients a chunk claimed carry `claimed_at`, written with the database's clock and
renewed while the chunk sends: that is their lease. The reconciler touches only rows whose
lease has run out, so it never sends again a text that another host may still be sending.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from flask import Flask, current_app
from sqlalchemy import update

from hotline.infra.clock import db_now
from hotline.infra.db import get_db
from models import Recipient, RecipientStatus
from notifications.throttle import app_redis

log = logging.getLogger(__name__)
SLOT_TTL = 5.0  # seconds after its last renewal that a silent chain's slot falls free
RENEW_EVERY = 1.0  # how often a working chain renews its slot and its recipients' lease

# Renew the slot if this chain holds it, take it back if it fell free (the chain was only
# slow), refuse if a newer chain holds it. KEYS[1] slot, ARGV[1] token, ARGV[2] ttl in ms.
RENEW_SCRIPT = """
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not held then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0
"""
RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def slot_key(campaign_id: int, slot: int) -> str:
    """The Redis key holding a campaign's chain slot."""
    return f"hotline:campaign:{campaign_id}:chain:{slot}"


@dataclass(frozen=True)
class Chain:
    """One chain of chunk tasks: the slot it holds and the token proving it holds it."""

    campaign_id: int
    slot: int
    token: str

    def renew(self) -> bool:
        """Keep (or take back) this chain's slot; False when a newer chain holds it."""
        script: Any = app_redis().register_script(RENEW_SCRIPT)
        return bool(script(keys=[slot_key(self.campaign_id, self.slot)],
                           args=[self.token, int(SLOT_TTL * 1000)]))

    def release(self) -> None:
        """Free the slot at once (the chain ends: nothing left to claim now)."""
        script: Any = app_redis().register_script(RELEASE_SCRIPT)
        script(keys=[slot_key(self.campaign_id, self.slot)], args=[self.token])


def take_free_slots(campaign_id: int, parallelism: int) -> list[Chain]:
    """Take every slot no live chain holds; return a new chain for each."""
    client = app_redis()
    taken = []
    for slot in range(parallelism):
        token = uuid.uuid4().hex
        if client.set(slot_key(campaign_id, slot), token, nx=True, px=int(SLOT_TTL * 1000)):
            taken.append(Chain(campaign_id, slot, token))
    return taken


def resume_chain(campaign_id: int, slot: int | None, token: str | None) -> Chain | None:
    """The chain a chunk task belongs to, if it still holds its slot.

    A task queued before chains had slots takes a free one, or ends when all are held."""
    if slot is None or token is None:
        free = take_free_slots(campaign_id, current_app.config["CAMPAIGN_PARALLELISM"])
        for extra in free[1:]:
            extra.release()
        return free[0] if free else None
    chain = Chain(campaign_id, slot, token)
    return chain if chain.renew() else None


class SendingLease:
    """While a chunk sends: renew its recipients' lease (database clock) and its chain's slot.

    Renewal runs in a thread, because a chunk's provider calls can outlast any fixed lease;
    a worker that dies stops renewing, and its rows become reconcilable once the lease runs
    out (CAMPAIGN_RECONCILE_AFTER_SECONDS after the last renewal)."""

    def __init__(self, recipient_ids: list[int], chain: Chain | None) -> None:
        self.ids = recipient_ids
        self.chain = chain
        self.app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="campaign-lease", daemon=True)

    def __enter__(self) -> SendingLease:
        if self.ids or self.chain is not None:
            self.thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()

    def _run(self) -> None:
        with self.app.app_context():
            while not self.stop.wait(RENEW_EVERY):
                try:
                    self.renew()
                except Exception as exc:  # the database or Redis is struggling: next time
                    log.warning("campaign %s: lease renewal failed: %s",
                                self.chain.campaign_id if self.chain else "?", exc)

    def renew(self) -> None:
        """Move the lease of the rows still being sent to the database's now."""
        if self.ids:
            with get_db().begin() as session:
                session.execute(update(Recipient).where(
                    Recipient.id.in_(self.ids), Recipient.status == RecipientStatus.SENDING)
                    .values(claimed_at=db_now(session)))
        if self.chain is not None:
            self.chain.renew()
