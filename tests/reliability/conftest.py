"""Fixtures of the reliability tests: signed-in accounts of every role on the in-process app."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from activation_server.settings import Settings
from tests.vendor_portal.conftest import CHEAP, Account, make_account


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        pool_min_size=1,
        pool_max_size=10,
        cookie_secure=False,
        secret_key="test-secret-key-" + "x" * 32,
        **CHEAP,  # type: ignore[arg-type]
    )


@pytest.fixture
async def staff(client: TestClient, pool: asyncpg.Pool, settings: Settings) -> Account:
    return await make_account(client, pool, settings, "staff@operator.example", "staff")


@pytest.fixture
async def vendor(client: TestClient, pool: asyncpg.Pool, settings: Settings) -> Account:
    return await make_account(client, pool, settings, "alice@vendor-a.example", company="Vendor A")


@pytest.fixture
async def other_vendor(client: TestClient, pool: asyncpg.Pool, settings: Settings) -> Account:
    return await make_account(client, pool, settings, "bob@vendor-b.example", company="Vendor B")
