"""The project's kombu transport: one Redis command per published task, bindings re-read
when they may have changed, and kombu's message format untouched (a real consumer reads it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from kombu import Connection, Exchange, Queue

from hotline.infra.queues import broker_url
from hotline.infra.redis_transport import Channel
from tests.conftest import REDIS_URL

STATIC = {"static_exchanges": ["t_send", "t_late", "t_ttl"]}


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every Redis command any client sends, by name, from here on."""
    sent: list[str] = []
    original = redis.Redis.execute_command

    def record(self: redis.Redis, *args: Any, **options: Any) -> Any:
        sent.append(str(args[0]).upper())
        return original(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", record)
    redis.Redis.from_url(REDIS_URL).flushdb()
    yield sent
    redis.Redis.from_url(REDIS_URL).flushdb()


def test_broker_url_names_the_transport_for_plain_and_socket_redis() -> None:
    assert broker_url("redis://127.0.0.1:6379/3") == "hotline-redis://127.0.0.1:6379/3"
    assert broker_url("redis+socket:///tmp/r.sock") == "hotline-redis+socket:///tmp/r.sock"
    # TLS and sentinel keep kombu's own transports and their settings.
    assert broker_url("rediss://h:6380/0") == "rediss://h:6380/0"
    assert broker_url("sentinel://h:26379") == "sentinel://h:26379"


def test_each_publish_is_one_lpush_on_one_client(commands: list[str]) -> None:
    queue = Queue("t_send", Exchange("t_send"), "t_send")
    with Connection(broker_url(REDIS_URL), transport_options=STATIC) as conn:
        producer = conn.Producer()
        producer.publish({"n": 0}, exchange=queue.exchange, routing_key="t_send",
                         declare=[queue])
        channel = producer.channel
        assert isinstance(channel, Channel)
        commands.clear()
        for n in range(1, 6):
            producer.publish({"n": n}, exchange=queue.exchange, routing_key="t_send")
        assert commands == ["LPUSH"] * 5  # no SMEMBERS of the bindings per message
        received = []
        with conn.SimpleQueue(queue) as simple:
            for _ in range(6):
                message = simple.get(timeout=2)
                received.append(message.payload["n"])
                message.ack()
    assert received == [0, 1, 2, 3, 4, 5]


def test_a_queue_bound_later_is_found_at_once(commands: list[str]) -> None:
    exchange = Exchange("t_late")
    with Connection(broker_url(REDIS_URL), transport_options=STATIC) as conn:
        producer = conn.Producer()
        # Nothing bound yet: kombu drops the message (its own rule); nothing is remembered.
        producer.publish({"n": 1}, exchange=exchange, routing_key="t_late")
        assert "LPUSH" not in commands
        late = Queue("t_late", exchange, "t_late")
        commands.clear()
        producer.publish({"n": 2}, exchange=exchange, routing_key="t_late", declare=[late])
        assert commands[-2:] == ["SMEMBERS", "LPUSH"]
        with conn.SimpleQueue(late) as simple:
            assert simple.get(timeout=2).payload == {"n": 2}


def test_bindings_lost_with_redis_data_are_read_again_after_their_ttl(
        commands: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    queue = Queue("t_ttl", Exchange("t_ttl"), "t_ttl")
    with Connection(broker_url(REDIS_URL), transport_options=STATIC) as conn:
        producer = conn.Producer()
        producer.publish({"n": 1}, exchange=queue.exchange, routing_key="t_ttl",
                         declare=[queue])
        monkeypatch.setattr("hotline.infra.redis_transport.BINDINGS_TTL_SECONDS", 0.0)
        commands.clear()
        producer.publish({"n": 2}, exchange=queue.exchange, routing_key="t_ttl")
        assert commands == ["SMEMBERS", "LPUSH"]


def test_bindings_of_other_exchanges_are_read_every_time(commands: list[str]) -> None:
    """A reply exchange gains a queue per caller (celery inspect ping): never remembered."""
    queue = Queue("t_reply_a", Exchange("t_reply"), "t_reply_a")
    with Connection(broker_url(REDIS_URL), transport_options=STATIC) as conn:
        producer = conn.Producer()
        producer.publish({"n": 1}, exchange=queue.exchange, routing_key="t_reply_a",
                         declare=[queue])
        commands.clear()
        producer.publish({"n": 2}, exchange=queue.exchange, routing_key="t_reply_a")
        assert commands == ["SMEMBERS", "LPUSH"]
