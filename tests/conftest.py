"""Fixtures shared by every test: a real PostgreSQL, a fresh database per test, the app.

PostgreSQL is the embedded server (started once per test session in a temporary directory), or
the server named by ``TEST_DATABASE_URL`` (a URL whose user may create databases). A template
database is migrated once; each test gets its own copy, so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from activation_server.activations.service import ActivationService
from activation_server.appkeys import ACTIVATIONS, DB_POOL
from activation_server.composition import build_app
from activation_server.db.migrate import migrate
from activation_server.db.pool import with_database
from activation_server.keys.keyring import Keyring
from activation_server.settings import Settings
from vendor_portal.accounts import service as accounts
from vendor_portal.accounts.passwords import Passwords
from vendor_portal.actor import system_actor
from vendor_portal.products import queries as product_queries
from vendor_portal.serials.issuing import SerialBatch, issue_serials

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


def license_vendor(keyring: Keyring, token: str) -> int:
    """The vendor whose key signed this license."""
    vendor_id = keyring.vendor_of(jwt.get_unverified_header(token)["kid"])
    assert vendor_id is not None
    return vendor_id


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
        connection = await asyncpg.connect(with_database(pg_admin_url, name))
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
    return name, with_database(pg_admin_url, name)


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


PASSWORD = "correct horse battery"
# Argon2 parameters that keep the suite fast; the server's defaults stay strong.
CHEAP_PASSWORDS: dict[str, Any] = {
    "password_time_cost": 1,
    "password_memory_kib": 1024,
    "password_parallelism": 1,
}
TEST_SECRET = "test-secret-key-" + "x" * 32


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    """Settings for a test server: small pool, plain-HTTP cookies, cheap password hashing."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "pool_min_size": 1,
        "pool_max_size": 10,
        "cookie_secure": False,
        "secret_key": TEST_SECRET,
        # Mail is delivered in the background: tests look at the outbox often.
        "mail_poll_seconds": 0.05,
        "mail_retry_seconds": 0.2,
        **CHEAP_PASSWORDS,
    }
    values.update(overrides)
    return Settings.of(**values)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def app(settings: Settings) -> web.Application:
    return build_app(settings)


@pytest.fixture
async def client(app: web.Application, aiohttp_client: Any) -> TestClient:
    return await aiohttp_client(app)


@pytest.fixture
def pool(client: TestClient) -> asyncpg.Pool:
    return client.app[DB_POOL]


@pytest.fixture
def activations(client: TestClient) -> ActivationService:
    return client.app[ACTIVATIONS]


async def issue(
    connection: asyncpg.Connection,
    product: product_queries.Product,
    license_type: str,
    quantity: int,
    *,
    features: list[str] | None = None,
    trial_days: int = 30,
    limit: int | None = None,
) -> list[str]:
    """New serials, issued by the path that order fulfilment takes. ``limit`` then resizes their
    pool: a test fills a trial pool of 50, where production's would take 30 000 activations."""
    [serials] = await issue_serials(
        connection,
        [
            SerialBatch(
                product.id,
                license_type,
                quantity,
                features if features is not None else product.features,
            )
        ],
        trial_days=trial_days,
    )
    if limit is not None:
        await connection.execute(
            "UPDATE serials SET activation_limit = $2 WHERE serial = ANY($1::text[])",
            serials,
            limit,
        )
    return serials


class Factory:
    """Creates vendors, products and serials directly in the database."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def vendor(self, name: str = "Test Vendor") -> int:
        async with self.pool.acquire() as connection:
            return await product_queries.insert_vendor(connection, name)

    async def product(
        self,
        code: str | None = None,
        features: list[str] | None = None,
        vendor_id: int | None = None,
    ) -> product_queries.Product:
        code = code or f"P{uuid.uuid4().hex[:8].upper()}"
        async with self.pool.acquire() as connection:
            existing = await product_queries.product_by_code(connection, code, vendor_id)
            if existing is not None:
                return existing
            if vendor_id is None:
                vendor_id = await product_queries.insert_vendor(connection, "Test Vendor")
            return await product_queries.insert_product(
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
        vendor_id: int | None = None,
    ) -> list[str]:
        record = await self.product(product, vendor_id=vendor_id)
        async with self.pool.acquire() as connection, connection.transaction():
            return await issue(
                connection,
                record,
                license_type,
                quantity,
                features=features,
                trial_days=trial_days,
                limit=limit,
            )

    async def serial(self, license_type: str = "SP3", **options: Any) -> str:
        return (await self.serials(license_type, 1, **options))[0]


@pytest.fixture
def factory(pool: asyncpg.Pool) -> Factory:
    return Factory(pool)


class LiveServer:
    """The whole service on a loopback port, served from a background thread's event loop."""

    def __init__(self, settings: Settings, port: int = 0) -> None:
        self.settings = settings
        self.port = port
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
        site = web.TCPSite(self.runner, "127.0.0.1", self.port)
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


@contextlib.contextmanager
def running_server(
    data_dir: Path, pg_admin_url: str, template_database: str, *, port: int = 0, **overrides: Any
) -> Iterator[LiveServer]:
    """The whole service on its own fresh database; ``port`` fixes the port (so that links in
    e-mails, built from the public URL, lead back to it)."""
    name, url = asyncio.run(create_test_database(pg_admin_url, template_database))
    if port:
        overrides.setdefault("public_url", f"http://127.0.0.1:{port}")
    server = LiveServer(make_settings(data_dir, url, **overrides), port=port)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        asyncio.run(drop_test_database(pg_admin_url, name))


@pytest.fixture
def live_server(tmp_path: Path, pg_admin_url: str, template_database: str) -> Iterator[LiveServer]:
    with running_server(tmp_path / "server", pg_admin_url, template_database) as server:
        yield server


@dataclass
class Account:
    email: str
    token: str
    user_id: int
    vendor_id: int | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_account(
    client: TestClient,
    pool: asyncpg.Pool,
    settings: Settings,
    email: str,
    role: str = "vendor",
    company: str | None = None,
) -> Account:
    user = await accounts.create_user(
        pool,
        Passwords.from_settings(settings),
        system_actor("test"),
        email=email,
        password=PASSWORD,
        role=role,
        company=company if role == "vendor" else None,
    )
    response = await client.post("/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert response.status == 200, await response.text()
    token = (await response.json())["access_token"]
    return Account(email, token, user.id, user.vendor_id)


@pytest.fixture
async def staff(client: TestClient, pool: asyncpg.Pool, settings: Settings) -> Account:
    return await make_account(client, pool, settings, "staff@operator.example", "staff")


@pytest.fixture
async def vendor(client: TestClient, pool: asyncpg.Pool, settings: Settings) -> Account:
    return await make_account(client, pool, settings, "alice@vendor-a.example", company="Vendor A")


@pytest.fixture
async def other_vendor(client: TestClient, pool: asyncpg.Pool, settings: Settings) -> Account:
    return await make_account(client, pool, settings, "bob@vendor-b.example", company="Vendor B")


@dataclass
class Mailbox:
    messages: list[Any] = field(default_factory=list)
    # How many of the next messages to refuse with a temporary failure.
    refuse: int = 0
    refused: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse > 0:
            self.refuse -= 1
            self.refused += 1
            return "451 4.3.0 Try again later"
        self.messages.append(envelope)
        return "250 Message accepted for delivery"

    received: dict[str, int] = field(default_factory=dict)

    def bodies_to(self, address: str) -> list[str]:
        import email

        bodies = []
        for envelope in self.messages:
            if address in envelope.rcpt_tos:
                message = email.message_from_bytes(envelope.content)
                part = message.get_body(("plain",)) if message.is_multipart() else message
                assert part is not None
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                bodies.append(payload.decode())
        return bodies

    def last_to(self, address: str, timeout: float = 10.0) -> str:
        """The latest mail to an address, waiting for the first (from a test in another thread
        than the server's loop)."""
        deadline = time.monotonic() + timeout
        while not self.bodies_to(address) and time.monotonic() < deadline:
            time.sleep(0.05)
        bodies = self.bodies_to(address)
        if not bodies:
            raise AssertionError(f"no mail to {address}")
        return bodies[-1]

    async def receive(self, address: str, timeout: float = 10.0) -> str:
        """The next mail to an address that this test has not received yet, waiting for the
        background sender (the server shares the test's loop, so the wait must not block it)."""
        seen = self.received.get(address, 0)
        deadline = time.monotonic() + timeout
        while len(self.bodies_to(address)) <= seen:
            if time.monotonic() > deadline:
                raise AssertionError(f"no new mail to {address}")
            await asyncio.sleep(0.05)
        self.received[address] = seen + 1
        return self.bodies_to(address)[seen]


@dataclass
class SmtpServer:
    url: str
    mailbox: Mailbox


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a loopback port, collecting what it receives."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(f"smtp://127.0.0.1:{port}", mailbox)
    finally:
        controller.stop()
