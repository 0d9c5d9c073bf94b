"""SQL of the outbox: every e-mail the server wrote, queued for the background sender."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

INSERT_MESSAGE = """
INSERT INTO outbox (recipient, subject, body, html_body, language, secret)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
"""
# Claims due messages for one sender: SKIP LOCKED lets the senders of other worker processes
# take other rows instead of waiting, and the lease (next_attempt_at moved ahead) keeps a row
# from being taken again while it is being sent; a sender that dies mid-way lets it expire.
CLAIM_DUE = """
UPDATE outbox SET next_attempt_at = now() + make_interval(secs => $2), attempts = attempts + 1
WHERE id IN (
    SELECT id FROM outbox
    WHERE sent_at IS NULL AND next_attempt_at <= now() AND attempts < $3
    ORDER BY next_attempt_at, id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
RETURNING id, recipient, subject, body, html_body, language, secret, attempts
"""
# A delivered message that held a one-time code keeps no copy of it.
MARK_SENT = """
UPDATE outbox SET sent_at = now(), last_error = NULL,
    body = CASE WHEN secret THEN '' ELSE body END,
    html_body = CASE WHEN secret THEN NULL ELSE html_body END,
    scrubbed_at = CASE WHEN secret THEN now() END
WHERE id = $1
"""
MARK_FAILED = """
UPDATE outbox SET next_attempt_at = now() + make_interval(secs => $2), last_error = left($3, 500)
WHERE id = $1
"""
# Codes expire within two days: after that a message never delivered (no mail server, or it
# kept refusing) need not keep its code either.
SCRUB_STALE = """
UPDATE outbox SET body = '', html_body = NULL, scrubbed_at = now()
WHERE secret AND scrubbed_at IS NULL AND created_at < now() - make_interval(secs => $1)
"""
SELECT_MESSAGES = """
SELECT id, recipient, subject, body, created_at, sent_at FROM outbox
WHERE recipient = $1 ORDER BY id DESC LIMIT $2
"""


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    recipient: str
    subject: str
    body: str
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class QueuedMessage:
    id: int
    recipient: str
    subject: str
    body: str
    html_body: str | None
    language: str
    secret: bool
    attempts: int


async def insert_message(
    connection: asyncpg.Connection,
    recipient: str,
    subject: str,
    body: str,
    html_body: str | None = None,
    language: str = "en",
    secret: bool = False,
) -> int:
    return int(
        await connection.fetchval(
            INSERT_MESSAGE, recipient, subject, body, html_body, language, secret
        )
    )


async def claim_due(
    connection: asyncpg.Connection, limit: int, lease_seconds: float, max_attempts: int
) -> list[QueuedMessage]:
    rows = await connection.fetch(CLAIM_DUE, limit, lease_seconds, max_attempts)
    return [QueuedMessage(**dict(row)) for row in rows]


async def mark_sent(connection: asyncpg.Connection, message_id: int) -> None:
    await connection.execute(MARK_SENT, message_id)


async def mark_failed(
    connection: asyncpg.Connection, message_id: int, retry_in_seconds: float, error: str
) -> None:
    await connection.execute(MARK_FAILED, message_id, retry_in_seconds, error)


async def scrub_stale(connection: asyncpg.Connection, older_than_seconds: float) -> None:
    await connection.execute(SCRUB_STALE, older_than_seconds)


async def messages_to(
    connection: asyncpg.Connection, recipient: str, limit: int = 20
) -> list[OutboxMessage]:
    rows = await connection.fetch(SELECT_MESSAGES, recipient, limit)
    return [OutboxMessage(**dict(row)) for row in rows]
