"""Demo data for ``activation-server demo`` and ``serve --demo``."""

from __future__ import annotations

from typing import Any

import asyncpg

from activation_server import demo
from activation_server.settings import Settings


async def seed_demo(pool: asyncpg.Pool, settings: Settings) -> dict[str, Any]:
    seeded = await demo.seed_demo(pool, trial_days=settings.trial_days)
    return {**seeded, "staff": None, "vendor": None}
