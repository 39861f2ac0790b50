"""A global token bucket per sender in Redis, counting SMS segments, shared by every worker.

Celery's `rate_limit` is per worker process; a Lua script makes the refill-and-take atomic
across all of them, with Redis's own clock so workers on other machines agree on time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis
from flask import current_app

# Both scripts start by refilling the bucket (KEYS[1]; ARGV[1] rate, ARGV[2] burst) from
# Redis's own clock, so every worker on every host sees one bucket.
REFILL_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or burst
local stamp = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
"""

# KEYS[1]: the bucket hash. ARGV: rate (tokens/s), burst (capacity), then the cumulative cost
# of each message in order. Grants the longest prefix that fits, and says how long to wait
# for the first message left out (0 when all fit).
# Returns {granted_count, wait_seconds_as_string, tokens_left_string}.
TAKE_SCRIPT = REFILL_SCRIPT + """
local granted = 0
for i = 3, #ARGV do
  if tonumber(ARGV[i]) <= tokens + 1e-9 then granted = i - 2 else break end
end
local wait = 0
if granted > 0 then
  tokens = tokens - tonumber(ARGV[granted + 2])
end
if granted + 3 <= #ARGV then
  -- the first message left out: when will its cost be in the bucket?
  local used = granted > 0 and tonumber(ARGV[granted + 2]) or 0
  wait = math.max(0, tonumber(ARGV[granted + 3]) - used - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(2 * burst / rate) + 60)  -- a debt of -burst refills too
return {granted, tostring(wait), tostring(tokens)}
"""


# Take tokens without waiting: a worker's reply or a volunteer's offer goes at once, and the
# campaign sharing the sender gets that much less. The balance may go negative (down to
# -burst, so a flood of replies cannot starve a campaign for long). Same KEYS/ARGV layout
# (rate, burst, segments). Returns the tokens left, as a string.
DEBIT_SCRIPT = REFILL_SCRIPT + """
tokens = math.max(-burst, tokens - tonumber(ARGV[3]))
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(2 * burst / rate) + 60)
return tostring(tokens)
"""


@dataclass(frozen=True)
class Grant:
    """How many of the asked-for messages may go now, and else how long to wait."""

    count: int
    wait: float
    tokens_left: float


def redis_for_url(url: str) -> redis.Redis:
    """A redis-py client for a Celery-style broker URL (redis:// or redis+socket://)."""
    if url.startswith("redis+socket://"):
        return redis.Redis(unix_socket_path=url[len("redis+socket://"):])
    return redis.Redis.from_url(url)


def sender_bucket(sender: str, rate: float | None = None) -> TokenBucket:
    """The shared bucket of a sender at `rate` (default: the configured campaign rate)."""
    cfg = current_app.config
    rate = rate or cfg["CAMPAIGN_RATE_PER_SECOND"]
    return TokenBucket(app_redis(), sender, rate, rate * cfg["CAMPAIGN_BURST_SECONDS"])


def app_redis() -> redis.Redis:
    """The app's Redis client for throttling, created on first use."""
    ext = current_app.extensions
    if "campaign_redis" not in ext:
        ext["campaign_redis"] = redis_for_url(current_app.config["REDIS_URL"])
    client: redis.Redis = ext["campaign_redis"]
    return client


class TokenBucket:
    """Segments per second for one sender, with a burst capacity, shared through Redis."""

    def __init__(self, client: redis.Redis, sender: str, rate: float, burst: float) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate}")
        self.key = f"hotline:throttle:{sender}"
        self.rate, self.burst = float(rate), max(float(burst), 1.0)
        self._script: Any = client.register_script(TAKE_SCRIPT)
        self._debit: Any = client.register_script(DEBIT_SCRIPT)

    def take(self, costs: list[int]) -> Grant:
        """Take tokens for the longest prefix of `costs` that fits now (segments per message)."""
        if not costs:
            return Grant(0, 0.0, self.burst)
        cumulative, total = [], 0
        for cost in costs:
            total += cost
            cumulative.append(total)
        # A message longer than the burst could never go: let it through on a full bucket.
        burst = max(self.burst, float(costs[0]))
        granted, wait, left = self._script(keys=[self.key],
                                           args=[self.rate, burst, *cumulative])
        return Grant(int(granted), float(wait), float(left))

    def debit(self, segments: int) -> float:
        """Take `segments` tokens now, never waiting (may leave the bucket negative)."""
        return float(self._debit(keys=[self.key], args=[self.rate, self.burst, segments]))

    def reset(self, client: redis.Redis) -> None:
        """Forget the bucket's state (it starts full again)."""
        client.delete(self.key)
