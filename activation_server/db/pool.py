"""The asyncpg connection pool and what counts as "the database is unavailable"."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import msgspec

from activation_server.settings import Settings

# Errors that mean the database cannot be reached right now (as opposed to a refused statement):
# the answer to the client is 503 with Retry-After, never a 500.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.QueryCanceledError,
    # Raised when a connection that broke mid-statement is handed back to the pool (its reset
    # finds the protocol in the failed operation's state); the pool has dropped that connection.
    asyncpg.exceptions.InternalClientError,
    # A node that was the primary and is a standby now (a failover while this connection was
    # open): the write goes to the new primary on a new connection.
    asyncpg.exceptions.ReadOnlySQLTransactionError,
)


def is_refused_value(error: BaseException) -> bool:
    """Whether a statement failed for a value it was given (SQLSTATE class 22, or a parameter
    that asyncpg could not encode) rather than for the database's state."""
    return isinstance(error, asyncpg.DataError) or (
        # asyncpg's client-side DataError is both an InterfaceError and a ValueError.
        isinstance(error, asyncpg.InterfaceError) and isinstance(error, ValueError)
    )


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def _json_text(value: Any) -> str:
    return _encode(value).decode()


async def _init_connection(connection: asyncpg.Connection) -> None:
    # msgspec rather than the standard library: the batched statements of the hot path pass
    # their requests as one JSON parameter (a third of the encoding time).
    for kind in ("json", "jsonb"):
        await connection.set_type_codec(
            kind, encoder=_json_text, decoder=_decode, schema="pg_catalog"
        )


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Pool release without asyncpg's default ``RESET ALL; CLOSE ALL; UNLISTEN *; ...``.

    That reset is a second round trip (and four statements) after every query, as costly as an
    activation's own statement. asyncpg still rolls back a transaction left open before calling
    this; nothing in the service leaves other session state behind (settings are ``SET LOCAL``,
    advisory locks are transaction-scoped or released in ``finally``).
    """


async def create_pool(url: str, settings: Settings, **overrides: Any) -> asyncpg.Pool:
    options: dict[str, Any] = {
        "min_size": settings.pool_min_size,
        "max_size": settings.pool_max_size,
        "timeout": settings.db_connect_timeout,
        "command_timeout": settings.db_command_timeout,
        "statement_cache_size": settings.statement_cache_size,
        "init": _init_connection,
        "reset": _keep_session,
        "server_settings": {"application_name": "activation-server"},
    }
    options.update(overrides)
    pool = await asyncpg.create_pool(url, **options)
    assert pool is not None
    return pool


async def connect(url: str, settings: Settings | None = None) -> asyncpg.Connection:
    timeout = settings.db_connect_timeout if settings else 10.0
    cache = settings.statement_cache_size if settings else 100
    connection = await asyncpg.connect(url, timeout=timeout, statement_cache_size=cache)
    await _init_connection(connection)
    return connection


def with_database(url: str, database: str) -> str:
    """The URL of another database on the server of ``url``."""
    base, _, query = url.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{database}" + (f"?{query}" if query else "")
