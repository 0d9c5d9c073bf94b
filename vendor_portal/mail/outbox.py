"""The one way to send e-mail: ``enqueue`` writes the message to the outbox in the caller's
transaction, and the background sender of ``sender.py`` delivers it.

A request never waits for a mail server, so what it answers cannot depend on whether a mail
went out (a password reset answers alike for known and unknown addresses), and a message is
sent only if the transaction that wrote it commits.
"""

from __future__ import annotations

import logging

import asyncpg

from vendor_portal.mail import queries

log = logging.getLogger(__name__)


async def enqueue(
    connection: asyncpg.Connection,
    *,
    recipient: str,
    subject: str,
    text: str,
    html: str | None = None,
    language: str = "en",
    secret: bool = False,
) -> int:
    """Queues a message; returns its outbox id.

    ``secret``: the body holds a one-time code or link, so it is blanked once delivered (or
    once the code has expired) and never written to the log.
    """
    message_id = await queries.insert_message(
        connection, recipient, subject, text, html, language, secret
    )
    # The body stays out of the log: it may hold a code that signs someone in.
    log.info("mail to %s queued (outbox %d): %s", recipient, message_id, subject)
    return message_id
