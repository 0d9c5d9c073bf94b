"""Fixtures of the SDK's tests; the pieces they are made of are in sdk_helpers.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from client_sdk import Client
from tests.client_sdk.sdk_helpers import FP, PRODUCT, Clock, FakeServer, Signer, serve


@pytest.fixture
def signer() -> Signer:
    return Signer()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "licenses" / PRODUCT


@pytest.fixture
def offline_client(signer: Signer, store: Path) -> Client:
    """A client with pinned keys and no server: everything it does is local."""
    return Client(None, PRODUCT, store_path=store, public_keys=signer.jwks, fingerprint=FP)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    with serve(FakeServer(url="")) as server:
        yield server
