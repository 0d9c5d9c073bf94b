"""Failed-attempt limits per client address (guessing serials, guessing passwords).

Counters live in the database, so every worker process and machine counts the same attempts.
An attempt is counted before it is answered, by one statement that adds it and returns the
count reached: a flood of concurrent attempts gets exactly ``limit`` answers and then 429, however
the requests interleave. Each process also remembers the addresses it has seen go over the limit,
so a blocked address is refused without a database round trip, and a successful request never
pays for the limiter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import asyncpg

from activation_server.errors import RateLimited
from activation_server.ratelimit import queries

_MAX_REMEMBERED = 100_000
# The key of requests whose address is unknown (a Unix socket): they share one counter rather
# than escape the limit.
UNKNOWN_ADDRESS = "unknown"


@dataclass
class FailureLimiter:
    scope: str
    limit: int
    window_seconds: int
    _blocked_until: dict[str, float] = field(default_factory=dict)

    def key(self, name: str | None) -> str:
        return f"{self.scope}:{name or UNKNOWN_ADDRESS}"

    def check(self, address: str | None) -> None:
        """Raises RateLimited while this address is known (to this process) to be over its
        limit; costs no database round trip (and no string building: it is on the hot path)."""
        until = self._blocked_until.get(address or UNKNOWN_ADDRESS)
        if until is None:
            return
        remaining = until - time.monotonic()
        if remaining <= 0:
            self._blocked_until.pop(address or UNKNOWN_ADDRESS, None)
            return
        raise RateLimited(max(1, int(remaining + 0.999)))

    async def record_failure(self, connection: asyncpg.Connection, address: str | None) -> None:
        """Counts a failed attempt; raises RateLimited when it is past the limit, so the caller
        answers 429 instead of the failure (which would tell the guesser something)."""
        await self.attempt(connection, [address])

    async def attempt(
        self,
        connection: asyncpg.Connection,
        names: list[str | None],
        limits: dict[str | None, int] | None = None,
    ) -> None:
        """Counts one attempt under each name (an address, an account, ...) in one statement;
        raises RateLimited when any of them is past its limit (``limits`` overrides the
        limiter's own per name)."""
        by_key = {self.key(name): name or UNKNOWN_ADDRESS for name in names}
        counts = await queries.record_hits(connection, list(by_key), self.window_seconds)
        over = []
        for key, (hits, retry) in counts.items():
            name = by_key[key]
            limit = (limits or {}).get(name, self.limit)
            if hits >= limit:
                self._remember(name, retry)
            if hits > limit:
                over.append(retry)
        if over:
            raise RateLimited(max(over))

    async def refund(self, connection: asyncpg.Connection, names: list[str | None]) -> None:
        """Gives back an attempt that turned out legitimate (a right password)."""
        await queries.refund_hits(
            connection, [self.key(name) for name in names], self.window_seconds
        )
        for name in names:
            self._blocked_until.pop(name or UNKNOWN_ADDRESS, None)

    def _remember(self, name: str, retry_after: int) -> None:
        if len(self._blocked_until) >= _MAX_REMEMBERED:
            now = time.monotonic()
            self._blocked_until = {a: t for a, t in self._blocked_until.items() if t > now}
        self._blocked_until[name] = time.monotonic() + retry_after
