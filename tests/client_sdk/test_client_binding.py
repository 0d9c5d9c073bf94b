"""The SDK sends its machine's component hashes, so that a product with a binding tolerance keeps
the activation of a machine whose disk was replaced; against the real server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jwt
import pytest

from activation_server.appkeys import DB_POOL
from client_sdk import ActivationError, Client, LicenseError, fingerprint
from client_sdk.fingerprint import Component

BOARD: list[Component] = [
    ("machine-id", b"0123456789abcdef0123456789abcdef"),
    ("mac", b"00:1b:21:3a:4f:5c"),
]


def hardware(monkeypatch: pytest.MonkeyPatch, disk: bytes) -> None:
    """What this machine's hardware reads as from now on."""
    monkeypatch.setattr(fingerprint, "components", lambda: [*BOARD, ("disk-serial", disk)])


def tolerate(server: Any, product: str, tolerance: int) -> None:
    async def update() -> None:
        async with server.app[DB_POOL].acquire() as connection:
            await connection.execute(
                "UPDATE products SET binding_tolerance = $2 WHERE code = $1", product, tolerance
            )

    server.run(update())


def test_a_replaced_disk_keeps_the_activation_on_a_tolerant_product(
    live_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = live_server.make_serial("SP1")
    tolerate(live_server, "ACME", 1)
    hardware(monkeypatch, b"DISK-ONE")
    before = Client(live_server.url, "ACME", store_path=tmp_path)
    first = before.activate(serial)

    hardware(monkeypatch, b"DISK-TWO")
    after = Client(live_server.url, "ACME", store_path=tmp_path)
    assert after.fingerprint != before.fingerprint
    with pytest.raises(LicenseError):
        after.load()  # the stored license names the old fingerprint
    second = after.activate(serial)
    claims = jwt.decode(second.token, options={"verify_signature": False})
    assert claims["aid"] == jwt.decode(first.token, options={"verify_signature": False})["aid"]
    assert claims["fp"] == after.fingerprint
    assert after.load().serial == serial


def test_without_a_tolerance_a_replaced_disk_is_a_new_machine(
    live_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = live_server.make_serial("SP1")
    hardware(monkeypatch, b"DISK-ONE")
    Client(live_server.url, "ACME", store_path=tmp_path).activate(serial)
    hardware(monkeypatch, b"DISK-TWO")
    with pytest.raises(ActivationError) as refused:
        Client(live_server.url, "ACME", store_path=tmp_path).activate(serial)
    assert refused.value.code == "ACTIVATION_LIMIT_REACHED"
