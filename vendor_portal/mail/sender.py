"""Delivering the outbox: a background sender in every worker process, through SMTP when
``ACTIVATION_SMTP_URL`` is set.

Every message is written to the outbox table first (``outbox.enqueue``), so an operator can read
what is queued even with no mail server, as in the offline demo. The senders of all worker
processes share the queue without sending a message twice (each claims rows with
``FOR UPDATE SKIP LOCKED`` and a lease); a refusing or unreachable server is retried with
exponentially growing delays, and a delivered message that held a code is blanked.

``ACTIVATION_SMTP_URL`` forms: ``smtp://user:password@host:587`` (STARTTLS when the server offers
it), ``smtps://user:password@host:465`` (TLS from the first byte), ``smtp://host:25``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib
import asyncpg

from activation_server.background import background
from activation_server.db.pool import UNAVAILABLE_ERRORS
from activation_server.settings import ConfigError
from vendor_portal.mail import outbox, queries

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 15.0
# A message is given up after this many refused attempts (about a day and a half of retries).
MAX_ATTEMPTS = 12
MAX_RETRY_SECONDS = 3600.0
# How long a claimed message is left to its sender before another may take it.
LEASE_SECONDS = 2 * SMTP_TIMEOUT_SECONDS + 30
BATCH = 20
# One-time codes live at most this long: undelivered bodies holding one are blanked after it.
STALE_SECRET_SECONDS = 2 * 24 * 3600 + 3600


@dataclass(frozen=True)
class SmtpServer:
    hostname: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigError("ACTIVATION_SMTP_URL must look like smtp://user:pass@host:587")
        implicit_tls = parts.scheme == "smtps"
        try:
            port = parts.port or (465 if implicit_tls else 25)
        except ValueError:
            raise ConfigError("ACTIVATION_SMTP_URL has an invalid port") from None
        return cls(
            hostname=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit_tls,
        )


class Mailer:
    def __init__(
        self,
        smtp_url: str | None,
        mail_from: str,
        *,
        retry_seconds: float = 30.0,
        poll_seconds: float = 1.0,
    ) -> None:
        self.server = SmtpServer.from_url(smtp_url) if smtp_url else None
        self.mail_from = mail_from
        self.retry_seconds = retry_seconds
        self.poll_seconds = poll_seconds

    async def send(self, pool: asyncpg.Pool, recipient: str, subject: str, body: str) -> int:
        """Queues a plain message (see ``outbox.enqueue``); returns its outbox id."""
        async with pool.acquire() as connection:
            return await outbox.enqueue(connection, recipient=recipient, subject=subject, text=body)

    def retry_delay(self, attempts: int) -> float:
        return float(min(self.retry_seconds * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS))

    async def deliver(self, message: queries.QueuedMessage) -> None:
        """Hands one message to the SMTP server; raises what the server or network raised."""
        assert self.server is not None
        email = EmailMessage()
        email["From"] = self.mail_from
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Message-ID"] = make_msgid(domain="activation-server")
        email.set_content(message.body)
        if message.html_body is not None:
            email.add_alternative(message.html_body, subtype="html")
        # After the body: making it multipart moves the Content-* headers into the first part.
        email["Content-Language"] = message.language
        options: dict[str, Any] = {
            "hostname": self.server.hostname,
            "port": self.server.port,
            "use_tls": self.server.implicit_tls,
            "timeout": SMTP_TIMEOUT_SECONDS,
        }
        if self.server.username:
            options["username"] = self.server.username
            options["password"] = self.server.password or ""
        await aiosmtplib.send(email, **options)

    async def send_due(self, pool: asyncpg.Pool) -> int:
        """Delivers the messages that are due; returns how many went out."""
        async with pool.acquire() as connection:
            await queries.scrub_stale(connection, STALE_SECRET_SECONDS)
            if self.server is None:
                return 0
            claimed = await queries.claim_due(connection, BATCH, LEASE_SECONDS, MAX_ATTEMPTS)
        sent = 0
        for message in claimed:
            try:
                await self.deliver(message)
            except (aiosmtplib.SMTPException, OSError) as exc:
                delay = self.retry_delay(message.attempts)
                log.warning(
                    "mail to %s (outbox %d) not delivered, attempt %d, next in %.0f s: %r",
                    message.recipient,
                    message.id,
                    message.attempts,
                    delay,
                    exc,
                )
                async with pool.acquire() as connection:
                    await queries.mark_failed(connection, message.id, delay, repr(exc))
                continue
            async with pool.acquire() as connection:
                await queries.mark_sent(connection, message.id)
            sent += 1
        return sent

    async def run(self, pool: asyncpg.Pool) -> None:
        while True:
            try:
                # A full batch means more may be waiting: go on without sleeping.
                if await self.send_due(pool) >= BATCH:
                    continue
            except UNAVAILABLE_ERRORS as exc:
                log.warning("mail sender skipped a round, database unavailable: %r", exc)
            except Exception:
                # The sender must outlive a bad round, or mail would silently stop.
                log.exception("mail sender round failed")
            await asyncio.sleep(self.poll_seconds)


@contextlib.asynccontextmanager
async def running(mailer: Mailer, pool: asyncpg.Pool) -> AsyncIterator[None]:
    """The background sender, for a ``cleanup_ctx``."""
    async with background(mailer.run(pool)):
        yield
