"""Fixtures of the vendor API's tests: cheap password hashing, signed-in users, an SMTP server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from activation_server.settings import Settings
from vendor_portal.accounts import service as accounts
from vendor_portal.accounts.passwords import Passwords
from vendor_portal.actor import system_actor

PASSWORD = "correct horse battery"
CHEAP = {"password_time_cost": 1, "password_memory_kib": 1024, "password_parallelism": 1}


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

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 Message accepted for delivery"

    def last_to(self, address: str) -> str:
        import email

        for envelope in reversed(self.messages):
            if address in envelope.rcpt_tos:
                message = email.message_from_bytes(envelope.content)
                payload = message.get_payload(decode=True)
                assert isinstance(payload, bytes)
                return payload.decode()
        raise AssertionError(f"no mail to {address}")


@dataclass
class SmtpServer:
    url: str
    mailbox: Mailbox


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a loopback port, collecting what it receives."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(f"smtp://127.0.0.1:{port}", mailbox)
    finally:
        controller.stop()
