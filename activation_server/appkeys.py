"""Typed keys of the aiohttp application's state."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from activation_server.keys.keyring import Keyring
from activation_server.ratelimit.limiter import FailureLimiter
from activation_server.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
DB_POOL = web.AppKey("db_pool", asyncpg.Pool)
KEYRING = web.AppKey("keyring", Keyring)
FAILURE_LIMITER = web.AppKey("failure_limiter", FailureLimiter)
