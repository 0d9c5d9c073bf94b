"""Secrets at rest and in logs: mail goes out from the background sender through a real SMTP
server (aiosmtpd), is retried when the server refuses, is sent once however many senders share
the outbox, and a message holding a one-time code keeps no copy of it once delivered. Codes are
never logged, and a reset request answers alike for known and unknown addresses."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from activation_server.composition import build_app
from activation_server.settings import Settings
from tests.conftest import Account, SmtpServer
from tests.reliability.servers import wait_until
from vendor_portal.mail import outbox
from vendor_portal.mail.sender import Mailer


@pytest.fixture
async def mail_client(settings: Settings, smtp_server: SmtpServer, aiohttp_client: Any) -> Any:
    app: web.Application = build_app(settings.with_overrides(smtp_url=smtp_server.url))
    return await aiohttp_client(app)


def _code(text: str) -> str:
    match = re.search(r"Reset code[^:]*: (\S+)", text)
    assert match, text
    return match[1]


async def test_the_sender_delivers_retries_a_refusing_server_and_scrubs_codes(
    mail_client: TestClient,
    smtp_server: SmtpServer,
    vendor: Account,
    pool: asyncpg.Pool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    smtp_server.mailbox.refuse = 2
    answer = await mail_client.post("/v1/auth/password-reset", json={"email": vendor.email})
    assert answer.status == 202
    body = await smtp_server.mailbox.receive(vendor.email)
    code = _code(body)
    assert smtp_server.mailbox.refused == 2

    async def scrubbed() -> bool:
        async with pool.acquire() as connection:
            return bool(
                await connection.fetchval("SELECT bool_and(sent_at IS NOT NULL) FROM outbox")
            )

    assert await wait_until(scrubbed, 10)
    async with pool.acquire() as connection:
        row = await connection.fetchrow(
            "SELECT body, attempts, sent_at, scrubbed_at FROM outbox WHERE recipient = $1",
            vendor.email,
        )
        assert (
            await connection.fetchval(
                "SELECT count(*) FROM outbox WHERE body LIKE $1", "%" + code + "%"
            )
            == 0
        )
    assert row["attempts"] == 3 and row["sent_at"] is not None
    # The code is gone from the outbox once delivered, and was never in the log.
    assert code not in row["body"] and row["scrubbed_at"] is not None
    # (Everything the server side logged, at every level; not the test's mail sink's own log.)
    server_log = "\n".join(
        record.getMessage() for record in caplog.records if not record.name.startswith("mail.")
    )
    assert "queued (outbox" in server_log and code not in server_log
    assert "not delivered" in caplog.text
    # The delivered code works.
    reset = await mail_client.post(
        "/v1/auth/password-reset/confirm", json={"token": code, "password": "a brand new secret"}
    )
    assert reset.status == 200


async def test_a_plain_message_keeps_its_body_and_html_goes_along(
    pool: asyncpg.Pool, smtp_server: SmtpServer
) -> None:
    async with pool.acquire() as connection:
        await outbox.enqueue(
            connection,
            recipient="billing@vendor.example",
            subject="Order 7 invoiced",
            text="Invoice 7 is ready.",
            html="<p>Invoice 7 is <b>ready</b>.</p>",
            language="ru",
        )
    mailer = Mailer(smtp_server.url, "Server <no-reply@example.com>")
    assert await mailer.send_due(pool) == 1
    envelope = smtp_server.mailbox.messages[-1]
    assert b"text/html" in envelope.content and b"Content-Language: ru" in envelope.content
    async with pool.acquire() as connection:
        kept = await connection.fetchval("SELECT body FROM outbox")
    assert kept == "Invoice 7 is ready."


async def test_several_senders_share_the_outbox_without_sending_twice(
    pool: asyncpg.Pool, smtp_server: SmtpServer
) -> None:
    count = 60
    async with pool.acquire() as connection:
        for n in range(count):
            await outbox.enqueue(
                connection, recipient=f"r{n}@example.com", subject=f"message {n}", text="hello"
            )
    senders = [Mailer(smtp_server.url, "s@example.com") for _ in range(4)]

    async def drain(mailer: Mailer) -> int:
        total = 0
        while sent := await mailer.send_due(pool):
            total += sent
        return total

    totals = await asyncio.gather(*(drain(mailer) for mailer in senders))
    recipients = [rcpt for envelope in smtp_server.mailbox.messages for rcpt in envelope.rcpt_tos]
    assert sum(totals) == count
    assert sorted(recipients) == sorted(f"r{n}@example.com" for n in range(count))


@pytest.fixture
def silent_smtp() -> Iterator[str]:
    """A mail server that accepts connections and never says a word (a hung relay)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"smtp://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


async def test_a_reset_request_answers_alike_whether_the_address_exists(
    settings: Settings, silent_smtp: str, aiohttp_client: Any, vendor: Account
) -> None:
    client = await aiohttp_client(build_app(settings.with_overrides(smtp_url=silent_smtp)))
    answers: dict[str, list[tuple[int, str, float]]] = {"known": [], "unknown": []}
    for round_ in range(3):
        for kind, email in (("known", vendor.email), ("unknown", f"nobody{round_}@x.example")):
            started = time.perf_counter()
            answer = await client.post("/v1/auth/password-reset", json={"email": email})
            answers[kind].append(
                (answer.status, await answer.text(), time.perf_counter() - started)
            )
    statuses = {status for kind in answers for status, _, _ in answers[kind]}
    bodies = {text for kind in answers for _, text, _ in answers[kind]}
    assert statuses == {202} and len(bodies) == 1
    # The mail server hangs, yet the known address answers as fast as the unknown one: the
    # request only queues the mail.
    slowest_known = max(seconds for _, _, seconds in answers["known"])
    assert slowest_known < 1.0, answers
