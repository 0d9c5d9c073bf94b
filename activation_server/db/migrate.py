"""The migration runner: numbered plain SQL files, applied once each, in order.

Each applied file's version, name and SHA-256 checksum are recorded in ``schema_migrations``.
A session-level advisory lock makes concurrent runners (several workers or machines starting at
once) wait for each other instead of racing. A file changed after it was applied, or a database
that has versions this code does not know, stops the runner: the server refuses to start rather
than run against a schema it cannot vouch for.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)

# An arbitrary constant shared by every runner of this application.
ADVISORY_LOCK_KEY = 7_413_902_115
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""
SELECT_APPLIED = "SELECT version, name, checksum FROM schema_migrations ORDER BY version"
INSERT_APPLIED = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"


class MigrationError(RuntimeError):
    """The database's schema history does not match the migration files."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def default_directory() -> Path:
    return Path(str(resources.files("activation_server.db") / "migrations"))


def load_migrations(directory: Path | None = None) -> list[Migration]:
    directory = directory or default_directory()
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_name.sql")
        migrations.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version number")
    return migrations


async def migrate(connection: asyncpg.Connection, directory: Path | None = None) -> list[Migration]:
    """Applies the pending migrations; returns the ones it applied."""
    migrations = load_migrations(directory)
    await connection.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
    try:
        await connection.execute(CREATE_TABLE)
        applied = {row["version"]: row for row in await connection.fetch(SELECT_APPLIED)}
        known = {m.version for m in migrations}
        unknown = sorted(set(applied) - known)
        if unknown:
            raise MigrationError(
                f"the database has migration(s) {unknown} that this version does not know: "
                "it was migrated by a newer release"
            )
        done = []
        for migration in migrations:
            row = applied.get(migration.version)
            if row is not None:
                if row["checksum"] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name}.sql was changed "
                        "after it was applied; restore it and add a new migration instead"
                    )
                continue
            async with connection.transaction():
                await connection.execute(migration.sql)
                await connection.execute(
                    INSERT_APPLIED, migration.version, migration.name, migration.checksum
                )
            log.info("applied migration %04d_%s", migration.version, migration.name)
            done.append(migration)
        return done
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)
