"""The Redis token bucket: prefix grants by segments, waits instead of sleeping, shared pacing."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest
import redis as redis_lib

from notifications.throttle import TokenBucket, redis_for_url
from tests.conftest import REDIS_URL


@pytest.fixture
def client(redis_client: redis_lib.Redis) -> redis_lib.Redis:
    """The test Redis, emptied."""
    redis_client.flushdb()
    return redis_client


GRANTS = [
    # (burst, costs asked, messages granted)
    (10, [1, 1, 1], 3),
    (10, [4, 4, 4], 2),  # 8 of 10 tokens: the third (12) does not fit
    (10, [2] * 10, 5),
    (3, [5, 1], 1),  # longer than the burst: goes alone on a full bucket
    (10, [], 0),
]


@pytest.mark.parametrize(("burst", "costs", "granted"), GRANTS)
def test_grants_longest_prefix_that_fits(client: redis_lib.Redis, burst: float,
                                         costs: list[int], granted: int) -> None:
    bucket = TokenBucket(client, "+8610000", rate=1.0, burst=burst)
    assert bucket.take(costs).count == granted


def test_empty_bucket_says_how_long_to_wait(client: redis_lib.Redis) -> None:
    bucket = TokenBucket(client, "+8610001", rate=10.0, burst=2)
    assert bucket.take([1, 1]).count == 2
    denied = bucket.take([3])
    assert denied.count == 0 and 0.25 < denied.wait <= 0.31
    time.sleep(0.35)
    assert bucket.take([3]).count == 1


def test_senders_have_separate_buckets(client: redis_lib.Redis) -> None:
    a = TokenBucket(client, "+8610002", rate=1.0, burst=1)
    b = TokenBucket(client, "MG123", rate=1.0, burst=1)
    assert a.take([1]).count == 1 and b.take([1]).count == 1
    assert a.take([1]).count == 0


def test_rejects_a_zero_rate(client: redis_lib.Redis) -> None:
    with pytest.raises(ValueError, match="rate"):
        TokenBucket(client, "x", rate=0, burst=1)


def _pump(url: str, seconds: float, out: multiprocessing.Queue[int],
          start: threading.Barrier) -> None:
    bucket = TokenBucket(redis_for_url(url), "+8610003", rate=50.0, burst=5)
    # One window for all four: on a busy machine the processes start seconds apart, and
    # windows one after another would let each take the full rate.
    start.wait(timeout=60)
    taken, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        grant = bucket.take([1, 1, 1])
        taken += grant.count
        if grant.count == 0:
            time.sleep(max(grant.wait, 0.001))
    out.put(taken)


def test_four_processes_share_one_rate(client: redis_lib.Redis) -> None:
    queue: multiprocessing.Queue[int] = multiprocessing.Queue()
    start = multiprocessing.Barrier(4)
    procs = [multiprocessing.Process(target=_pump, args=(REDIS_URL, 2.0, queue, start))
             for _ in range(4)]
    for proc in procs:
        proc.start()
    total = sum(queue.get(timeout=30) for _ in procs)
    for proc in procs:
        proc.join()
    # 50/s for 2 s plus the burst of 5, whatever the number of competing processes.
    assert 95 <= total <= 110, total


def test_partial_grant_says_when_the_next_message_fits(client: redis_lib.Redis) -> None:
    bucket = TokenBucket(client, "+8610004", rate=10.0, burst=3)
    grant = bucket.take([1, 2, 3])  # 1 + 2 fit; the third (3 segments) needs 0.3 s of refill
    assert grant.count == 2 and 0.25 < grant.wait <= 0.3
    assert bucket.take([1, 1]).count == 0


def test_debit_never_waits_and_is_bounded(client: redis_lib.Redis) -> None:
    bucket = TokenBucket(client, "+8610005", rate=0.01, burst=4)
    assert bucket.debit(3) == pytest.approx(1, abs=0.01)
    assert bucket.debit(3) == pytest.approx(-2, abs=0.01)  # a reply goes, the bucket owes
    assert bucket.debit(100) == pytest.approx(-4, abs=0.01)  # at most one burst owed
    denied = bucket.take([1])
    assert denied.count == 0 and denied.wait > 400  # the campaign waits for the debt
