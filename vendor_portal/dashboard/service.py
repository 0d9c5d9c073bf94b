"""A vendor's activity at a glance (the dashboard): what was activated lately, which serials
are close to their limit. Staff see the whole service."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from vendor_portal.actor import Actor
from vendor_portal.dashboard import queries
from vendor_portal.dashboard.queries import DayCount, NearLimit, Totals

DAYS = 30
# A serial counts as close to its limit from this share of its activations on.
NEAR_LIMIT_PERCENT = 80
NEAR_LIMIT_ROWS = 10


@dataclass(frozen=True)
class Activity:
    per_day: list[DayCount]
    near_limit: list[NearLimit]
    totals: Totals

    @property
    def activations_in_period(self) -> int:
        return sum(day.activations for day in self.per_day)


async def activity(pool: asyncpg.Pool, actor: Actor, days: int = DAYS) -> Activity:
    scope = actor.scope()
    async with pool.acquire() as connection:
        return Activity(
            per_day=await queries.activations_per_day(connection, scope, days),
            near_limit=await queries.near_limit(
                connection, scope, NEAR_LIMIT_PERCENT, NEAR_LIMIT_ROWS
            ),
            totals=await queries.totals(connection, scope),
        )
