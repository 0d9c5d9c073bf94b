"""SQL of the outbox: every e-mail the server wrote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

INSERT_MESSAGE = """
INSERT INTO outbox (recipient, subject, body) VALUES ($1, $2, $3) RETURNING id
"""
MARK_SENT = "UPDATE outbox SET sent_at = now() WHERE id = $1"
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


async def insert_message(
    connection: asyncpg.Connection, recipient: str, subject: str, body: str
) -> int:
    return int(await connection.fetchval(INSERT_MESSAGE, recipient, subject, body))


async def mark_sent(connection: asyncpg.Connection, message_id: int) -> None:
    await connection.execute(MARK_SENT, message_id)


async def messages_to(
    connection: asyncpg.Connection, recipient: str, limit: int = 20
) -> list[OutboxMessage]:
    rows = await connection.fetch(SELECT_MESSAGES, recipient, limit)
    return [OutboxMessage(**dict(row)) for row in rows]
