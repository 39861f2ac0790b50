"""kombu's Redis transport, publishing without building a client and reading the exchange's
bindings on every message.

kombu's Redis channel makes a new `redis.Redis` object for each command it sends outside the
consumer's connection (constructing one fills its table of ~160 response callbacks: about
0.15 ms), and looks up the queues bound to the exchange with an SMEMBERS round trip before each
LPUSH. A webhook publishes one task per text, so that overhead cost more than the Redis write
it makes. Here each channel keeps one client (redis-py clients are thread-safe: each command
takes a connection from the same pool kombu uses) and remembers an exchange's bindings for a
short while — only the exchanges named in the transport option `static_exchanges` (the task
queues'; a reply exchange gains a queue per caller); an exchange with no bindings is never
remembered, so a queue declared later (or after Redis lost its data) is found at once. The
message format, priorities, acks and visibility handling are kombu's own, untouched.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import redis as kombu_redis

# Bindings change only when a queue is declared or deleted, which this project does at start.
BINDINGS_TTL_SECONDS = 30.0


class Channel(kombu_redis.Channel):
    """A Redis channel with one reusable client and briefly remembered bindings."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._reused_client: Any = None
        self._bindings: dict[str, tuple[float, list[tuple[str, ...]]]] = {}
        super().__init__(*args, **kwargs)
        options = self.connection.client.transport_options or {}
        # The task queues' exchanges, one fixed binding each (hotline.infra.queues).
        self._static = frozenset(options.get("static_exchanges", ()))

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        """The given client, else this channel's own (made once, on the shared pool)."""
        if client:
            yield client
            return
        if self._reused_client is None:
            self._reused_client = self._create_client()
        yield self._reused_client

    def get_table(self, exchange: str) -> list[tuple[str, ...]]:
        """The exchange's bindings, read from Redis at most every BINDINGS_TTL_SECONDS."""
        if exchange not in self._static:
            # Reply and broadcast exchanges (a `celery inspect ping`) gain a queue per caller.
            table: list[tuple[str, ...]] = super().get_table(exchange)
            return table
        now = time.monotonic()
        hit = self._bindings.get(exchange)
        if hit is not None and now - hit[0] < BINDINGS_TTL_SECONDS:
            return hit[1]
        table = super().get_table(exchange)
        if table:
            self._bindings[exchange] = (now, table)
        return table

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        self._bindings.pop(exchange, None)
        super()._queue_bind(exchange, routing_key, pattern, queue)

    def _delete(self, queue: str, *args: Any, **kwargs: Any) -> None:
        self._bindings.clear()
        super()._delete(queue, *args, **kwargs)


class Transport(kombu_redis.Transport):
    """kombu's Redis transport with the channel above."""

    Channel = Channel


# kombu finds a transport by the scheme of the broker URL: "hotline-redis://host:6379/0", or
# "hotline-redis+socket:///path" for the embedded server's socket (hotline.infra.queues).
TRANSPORT_ALIAS = "hotline-redis"
TRANSPORT_ALIASES[TRANSPORT_ALIAS] = f"{__name__}:Transport"
