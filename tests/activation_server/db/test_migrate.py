from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from activation_server.db.migrate import (
    ADVISORY_LOCK_KEY,
    MigrationError,
    load_migrations,
    migrate,
)


def _write(directory: Path, name: str, sql: str) -> None:
    (directory / name).write_text(sql)


async def test_applies_each_file_once_and_records_checksums(
    database_url: str, tmp_path: Path
) -> None:
    _write(tmp_path, "0001_first.sql", "CREATE TABLE first_table (id int);")
    _write(tmp_path, "0002_second.sql", "CREATE TABLE second_table (id int);")
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("DROP TABLE schema_migrations")
        applied = await migrate(connection, tmp_path)
        assert [m.version for m in applied] == [1, 2]
        assert await migrate(connection, tmp_path) == []
        rows = await connection.fetch("SELECT version, checksum FROM schema_migrations ORDER BY 1")
        expected = {m.version: m.checksum for m in load_migrations(tmp_path)}
        assert {r["version"]: r["checksum"] for r in rows} == expected
    finally:
        await connection.close()


async def test_refuses_a_file_changed_after_it_was_applied(
    database_url: str, tmp_path: Path
) -> None:
    _write(tmp_path, "0001_first.sql", "CREATE TABLE changed_table (id int);")
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("DROP TABLE schema_migrations")
        await migrate(connection, tmp_path)
        _write(tmp_path, "0001_first.sql", "CREATE TABLE changed_table (id bigint);")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(connection, tmp_path)
    finally:
        await connection.close()


async def test_refuses_a_database_migrated_by_a_newer_release(
    database_url: str, tmp_path: Path
) -> None:
    _write(tmp_path, "0001_first.sql", "SELECT 1;")
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("DROP TABLE schema_migrations")
        await migrate(connection, tmp_path)
        await connection.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (99, 'future', 'x')"
        )
        with pytest.raises(MigrationError, match="newer release"):
            await migrate(connection, tmp_path)
    finally:
        await connection.close()


async def test_a_failing_file_leaves_nothing_applied(database_url: str, tmp_path: Path) -> None:
    _write(tmp_path, "0001_broken.sql", "CREATE TABLE half_done (id int); SELECT no_such_column;")
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("DROP TABLE schema_migrations")
        with pytest.raises(asyncpg.PostgresError):
            await migrate(connection, tmp_path)
        assert await connection.fetchval("SELECT to_regclass('half_done')") is None
        assert await connection.fetchval("SELECT count(*) FROM schema_migrations") == 0
    finally:
        await connection.close()


async def test_concurrent_runners_wait_for_the_advisory_lock(
    database_url: str, tmp_path: Path
) -> None:
    # Each file takes a while, so two runners started together would both try to apply it if
    # nothing serialised them; the lock makes the second one find it applied.
    _write(tmp_path, "0001_slow.sql", "SELECT pg_sleep(0.5); CREATE TABLE slow_table (id int);")
    first = await asyncpg.connect(database_url)
    second = await asyncpg.connect(database_url)
    try:
        await first.execute("DROP TABLE schema_migrations")
        results = await asyncio.gather(migrate(first, tmp_path), migrate(second, tmp_path))
        assert sorted(len(applied) for applied in results) == [0, 1]
    finally:
        await first.close()
        await second.close()


async def test_a_held_lock_blocks_the_runner(database_url: str, tmp_path: Path) -> None:
    _write(tmp_path, "0001_first.sql", "CREATE TABLE locked_table (id int);")
    holder = await asyncpg.connect(database_url)
    runner = await asyncpg.connect(database_url)
    try:
        await runner.execute("DROP TABLE schema_migrations")
        await holder.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
        task = asyncio.create_task(migrate(runner, tmp_path))
        await asyncio.sleep(0.5)
        assert not task.done()
        await holder.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)
        assert [m.version for m in await asyncio.wait_for(task, 10)] == [1]
    finally:
        await holder.close()
        await runner.close()


def test_the_shipped_migrations_are_numbered_in_order_without_repeats() -> None:
    # Gaps are allowed: work in progress numbers its migrations in ranges of its own.
    versions = [m.version for m in load_migrations()]
    assert versions[0] == 1
    assert versions == sorted(set(versions))
