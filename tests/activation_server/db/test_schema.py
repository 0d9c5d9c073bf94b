"""The schema snapshot is what the migrations make of an empty database."""

from __future__ import annotations

import uuid

from activation_server.db import schema
from tests.conftest import require


async def test_migrating_an_empty_database_gives_exactly_the_schema_snapshot(
    pg_admin_url: str,
) -> None:
    executable = schema.pg_dump()
    require(executable is not None, "no pg_dump to read the schema with")
    assert executable is not None
    snapshot = schema.SNAPSHOT.read_text()
    major = schema.major_version(executable)
    require(
        schema.snapshot_major(snapshot) == major,
        f"the snapshot was made by another pg_dump than this one ({major})",
    )
    made = await schema.migrated_schema(pg_admin_url, f"s_{uuid.uuid4().hex[:12]}", executable)
    assert made == snapshot, "the migrations and schema.sql differ: run `make schema`"
    # Nothing but the schema's statements: no settings, no comments but the header.
    assert "CREATE TABLE public.serials" in made
    assert not any(line.startswith(("SET ", "\\restrict")) for line in made.splitlines())
