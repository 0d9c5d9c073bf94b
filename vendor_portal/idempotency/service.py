"""Taking effect once per key: the first request under a key runs and its answer is kept; a
repetition with the same fingerprint gets that answer again, one with another fingerprint is
refused (422), and a repetition arriving while the first still runs waits for its answer.

The API's keys (``Idempotency-Key``) and the portal's form nonces are kept per user for a day.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

from activation_server.errors import ApiError, Conflict, InvalidRequest
from vendor_portal.idempotency import queries

KEEP_SECONDS = 24 * 3600
# How long a repetition waits for the first request's answer before it is told to retry.
WAIT_SECONDS = 15.0
MAX_KEY_CHARS = 255


class IdempotencyKeyReused(ApiError):
    code = "IDEMPOTENCY_KEY_REUSED"
    status = 422
    default_message = (
        "This Idempotency-Key was already used for a different request; use a new key."
    )


class IdempotencyInProgress(Conflict):
    code = "IDEMPOTENCY_IN_PROGRESS"
    default_message = (
        "A request with this Idempotency-Key is still being processed; retry in a moment."
    )


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str | None = None
    body: bytes | None = None
    location: str | None = None


def check_key(key: str) -> str:
    """A key as the API accepts it: 1 to 255 visible ASCII characters."""
    if not 1 <= len(key) <= MAX_KEY_CHARS or not all(33 <= ord(char) <= 126 for char in key):
        raise InvalidRequest(
            "The Idempotency-Key header must be 1 to 255 visible ASCII characters."
        )
    return key


def fingerprint(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


async def run_once(
    pool: asyncpg.Pool,
    scope: str,
    key: str,
    print_: str,
    produce: Callable[[], Awaitable[Answer | None]],
) -> tuple[Answer | None, bool]:
    """The answer under ``key`` and whether it is a repetition's. ``produce`` runs only for the
    first request; when it returns None or raises, nothing is kept and the key is free again."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        async with pool.acquire() as connection:
            claimed = await queries.claim(connection, scope, key, print_, KEEP_SECONDS)
            existing = None if claimed else await queries.stored(connection, scope, key)
            # Now and then a claim clears out a few expired keys; no job needs scheduling.
            if claimed and random.random() < 0.01:  # noqa: S311
                await queries.purge_expired(connection)
        if claimed:
            break
        if existing is None:
            # Released or expired between the two statements: claim it again.
            continue
        if existing.fingerprint != print_:
            raise IdempotencyKeyReused()
        if existing.status is not None:
            return (
                Answer(existing.status, existing.content_type, existing.body, existing.location),
                True,
            )
        if time.monotonic() > deadline:
            raise IdempotencyInProgress()
        await asyncio.sleep(0.05)
    try:
        answer = await produce()
    except BaseException:
        await asyncio.shield(_release(pool, scope, key))
        raise
    if answer is None:
        await _release(pool, scope, key)
        return None, False
    async with pool.acquire() as connection:
        await queries.complete(
            connection,
            scope,
            key,
            status=answer.status,
            content_type=answer.content_type,
            body=answer.body,
            location=answer.location,
        )
    return answer, False


async def _release(pool: asyncpg.Pool, scope: str, key: str) -> None:
    async with pool.acquire() as connection:
        await queries.release(connection, scope, key)
