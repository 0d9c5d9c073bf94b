"""Failed-attempt limits per client address (guessing serials, guessing passwords).

Counters live in the database, so every worker process and machine counts the same failures.
Each process also remembers the addresses it has seen go over the limit, so a blocked address is
refused without a database round trip, and a successful request never pays for the limiter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import asyncpg

from activation_server.errors import RateLimited
from activation_server.ratelimit import queries

_MAX_REMEMBERED = 100_000


@dataclass
class FailureLimiter:
    scope: str
    limit: int
    window_seconds: int
    _blocked_until: dict[str, float] = field(default_factory=dict)

    def key(self, address: str) -> str:
        return f"{self.scope}:{address}"

    def check(self, address: str) -> None:
        """Raises RateLimited while this address is known to be over its limit."""
        until = self._blocked_until.get(address)
        if until is None:
            return
        remaining = until - time.monotonic()
        if remaining <= 0:
            del self._blocked_until[address]
            return
        raise RateLimited(max(1, int(remaining + 0.999)))

    async def check_shared(self, connection: asyncpg.Connection, address: str) -> None:
        """Like check, but also asks the shared counters (for rare, expensive requests)."""
        self.check(address)
        hits, retry_after = await queries.current_hits(
            connection, self.key(address), self.window_seconds
        )
        if hits >= self.limit:
            self._remember(address, retry_after)
            raise RateLimited(retry_after)

    async def record_failure(self, connection: asyncpg.Connection, address: str) -> None:
        hits, retry_after = await queries.record_hit(
            connection, self.key(address), self.window_seconds
        )
        if hits >= self.limit:
            self._remember(address, retry_after)

    def _remember(self, address: str, retry_after: int) -> None:
        if len(self._blocked_until) >= _MAX_REMEMBERED:
            now = time.monotonic()
            self._blocked_until = {a: t for a, t in self._blocked_until.items() if t > now}
        self._blocked_until[address] = time.monotonic() + retry_after
