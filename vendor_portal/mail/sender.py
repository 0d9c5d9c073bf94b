"""Sending e-mail: through SMTP when ``ACTIVATION_SMTP_URL`` is set, else to the outbox and log.

Every message is written to the outbox table first, so an operator can read what was sent (or
would have been) even with no mail server, as in the offline demo.

``ACTIVATION_SMTP_URL`` forms: ``smtp://user:password@host:587`` (STARTTLS when the server offers
it), ``smtps://user:password@host:465`` (TLS from the first byte), ``smtp://host:25``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib
import asyncpg

from activation_server.settings import ConfigError
from vendor_portal.mail import queries

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 15.0


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
    def __init__(self, smtp_url: str | None, mail_from: str) -> None:
        self.server = SmtpServer.from_url(smtp_url) if smtp_url else None
        self.mail_from = mail_from

    async def send(self, pool: asyncpg.Pool, recipient: str, subject: str, body: str) -> bool:
        """Writes the message to the outbox and delivers it; True when an SMTP server took it.

        A refusing or unreachable mail server is logged, not raised: the action that sent the
        mail (a registration, a reset request) has happened and the user can ask again.
        """
        async with pool.acquire() as connection:
            message_id = await queries.insert_message(connection, recipient, subject, body)
        if self.server is None:
            log.info("mail to %s (outbox %d): %s\n%s", recipient, message_id, subject, body)
            return False
        message = EmailMessage()
        message["From"] = self.mail_from
        message["To"] = recipient
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="activation-server")
        message.set_content(body)
        options: dict[str, Any] = {
            "hostname": self.server.hostname,
            "port": self.server.port,
            "use_tls": self.server.implicit_tls,
            "timeout": SMTP_TIMEOUT_SECONDS,
        }
        if self.server.username:
            options["username"] = self.server.username
            options["password"] = self.server.password or ""
        try:
            await aiosmtplib.send(message, **options)
        except (aiosmtplib.SMTPException, OSError) as exc:
            log.warning("mail to %s (outbox %d) not delivered: %r", recipient, message_id, exc)
            return False
        async with pool.acquire() as connection:
            await queries.mark_sent(connection, message_id)
        return True
