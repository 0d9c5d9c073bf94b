"""Fixtures of the reliability tests."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.servers import OwnPostgres


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    """An embedded PostgreSQL of the test's own, to stop, freeze or kill (never the session's)."""
    server = OwnPostgres(Path(tempfile.mkdtemp(prefix="activation-own-")))
    try:
        yield server
    finally:
        server.close()
