"""Typed keys of the aiohttp application's state."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from activation_server.activations.service import ActivationService
from activation_server.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
DB_POOL = web.AppKey("db_pool", asyncpg.Pool)
# The activation rules with their keyring, failed-attempt limiter and batchers.
ACTIVATIONS = web.AppKey("activations", ActivationService)
