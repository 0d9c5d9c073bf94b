"""Fixtures shared by every test: a real PostgreSQL, a fresh database per test, the app.

PostgreSQL is the embedded server (started once per test session in a temporary directory), or
the server named by ``TEST_DATABASE_URL`` (a URL whose user may create databases). A template
database is migrated once; each test gets its own copy, so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from activation_server.appkeys import DB_POOL
from activation_server.catalog import queries as catalog
from activation_server.cli import build_app
from activation_server.db.migrate import migrate
from activation_server.serials.issuing import issue_serials
from activation_server.settings import Settings

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skips a test that needs something missing, except in CI, where missing means failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def fingerprint(label: object) -> str:
    """A deterministic machine fingerprint for tests."""
    return hashlib.sha256(f"machine-{label}".encode()).hexdigest()


def _with_database(url: str, database: str) -> str:
    base, _, query = url.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{database}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield external
        return
    from activation_server.db.embedded import server_url, start_embedded

    directory = Path(tempfile.mkdtemp(prefix="activation-tests-"))
    server = start_embedded(directory, stop_on_exit=True)
    yield server_url(server, "postgres")
    server.cleanup()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def template_database(pg_admin_url: str) -> str:
    name = f"activation_template_{os.getpid()}"

    async def create() -> None:
        admin = await asyncpg.connect(pg_admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        connection = await asyncpg.connect(_with_database(pg_admin_url, name))
        try:
            await migrate(connection)
        finally:
            await connection.close()

    asyncio.run(create())
    return name


async def create_test_database(pg_admin_url: str, template: str) -> tuple[str, str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(pg_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    return name, _with_database(pg_admin_url, name)


async def drop_test_database(pg_admin_url: str, name: str) -> None:
    admin = await asyncpg.connect(pg_admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def database_url(pg_admin_url: str, template_database: str) -> AsyncIterator[str]:
    name, url = await create_test_database(pg_admin_url, template_database)
    yield url
    await drop_test_database(pg_admin_url, name)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        pool_min_size=1,
        pool_max_size=10,
        cookie_secure=False,
        secret_key="test-secret-key-" + "x" * 32,
    )


@pytest.fixture
def app(settings: Settings) -> web.Application:
    return build_app(settings)


@pytest.fixture
async def client(app: web.Application, aiohttp_client: Any) -> TestClient:
    return await aiohttp_client(app)


@pytest.fixture
def pool(client: TestClient) -> asyncpg.Pool:
    return client.app[DB_POOL]


class Factory:
    """Creates vendors, products and serials directly in the database."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def vendor(self, name: str = "Test Vendor") -> int:
        async with self.pool.acquire() as connection:
            return await catalog.insert_vendor(connection, name)

    async def product(
        self,
        code: str | None = None,
        features: list[str] | None = None,
        vendor_id: int | None = None,
    ) -> catalog.Product:
        code = code or f"P{uuid.uuid4().hex[:8].upper()}"
        async with self.pool.acquire() as connection:
            existing = await catalog.product_by_code(connection, code)
            if existing is not None:
                return existing
            if vendor_id is None:
                vendor_id = await catalog.insert_vendor(connection, "Test Vendor")
            return await catalog.insert_product(
                connection,
                vendor_id,
                code,
                f"Product {code}",
                features if features is not None else ["export", "print", "reports"],
            )

    async def serials(
        self,
        license_type: str = "SP3",
        quantity: int = 1,
        *,
        product: str = "ACME",
        features: list[str] | None = None,
        limit: int | None = None,
        trial_days: int = 30,
    ) -> list[str]:
        record = await self.product(product)
        async with self.pool.acquire() as connection, connection.transaction():
            return await issue_serials(
                connection,
                product_id=record.id,
                license_type=license_type,
                quantity=quantity,
                features=features if features is not None else record.features,
                trial_days=trial_days,
                activation_limit=limit,
            )

    async def serial(self, license_type: str = "SP3", **options: Any) -> str:
        return (await self.serials(license_type, 1, **options))[0]


@pytest.fixture
def factory(pool: asyncpg.Pool) -> Factory:
    return Factory(pool)


class LiveServer:
    """The whole service on a loopback port, served from a background thread's event loop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.url = ""

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(60)

    async def _start(self) -> None:
        self.app = build_app(self.settings)
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self.factory = Factory(self.app[DB_POOL])

    def run(self, coroutine: Any, timeout: float = 60) -> Any:
        """Runs a coroutine on the server's loop (for database set-up and checks)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def make_serial(self, license_type: str = "SP3", **options: Any) -> str:
        return str(self.run(self.factory.serial(license_type, **options)))

    def stop(self) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def live_server(tmp_path: Path, pg_admin_url: str, template_database: str) -> Iterator[LiveServer]:
    name, url = asyncio.run(create_test_database(pg_admin_url, template_database))
    server = LiveServer(
        Settings(
            data_dir=tmp_path / "server",
            database_url=url,
            pool_min_size=1,
            pool_max_size=10,
            cookie_secure=False,
            secret_key="test-secret-key-" + "x" * 32,
        )
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
        asyncio.run(drop_test_database(pg_admin_url, name))
