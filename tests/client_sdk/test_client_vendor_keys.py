"""Per-vendor signing keys and staged rotation, seen by applications that pin their vendor's
keys, against the real server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from activation_server.appkeys import ACTIVATIONS, DB_POOL
from activation_server.keys import keyring as keys
from activation_server.keys import queries
from client_sdk import ActivationError, Client, LicenseError
from tests.conftest import LiveServer

MACHINE_1 = "11" * 32
MACHINE_2 = "22" * 32
MACHINE_3 = "33" * 32


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refusal:
        return refusal.code, json.loads(refusal.read())


def _vendor(server: LiveServer, name: str) -> tuple[int, str]:
    """A new vendor and the address of its JWKS."""

    async def make() -> tuple[int, str]:
        vendor_id = await server.factory.vendor(name)
        async with server.app[DB_POOL].acquire() as connection:
            public_id = await queries.public_id(connection, vendor_id)
        return vendor_id, f"{server.url}/v1/vendors/{public_id}/keys"

    result: tuple[int, str] = server.run(make())
    return result


def _stage(server: LiveServer, vendor_id: int, step: str) -> str:
    """Adds a next key or promotes it, as the vendor's API or the CLI does; the running server
    sees it at once (it would within seconds anyway)."""

    async def run() -> str:
        keyring = server.app[ACTIVATIONS].keyring
        async with server.app[DB_POOL].acquire() as connection:
            if step == "next":
                kid = await keys.add_next_key(
                    connection, keyring.directory, keyring.passphrase, vendor_id
                )
            else:
                promoted = await keys.promote(connection, vendor_id)
                assert promoted is not None
                kid = promoted
            await keyring.refresh(connection)
        return kid

    result: str = server.run(run())
    return result


def _app(server: LiveServer, store: Path, machine: str, pinned: Any) -> Client:
    return Client(server.url, "ACME", store_path=store, fingerprint=machine, public_keys=pinned)


def test_a_license_of_one_vendor_never_verifies_under_another_vendors_keys(
    live_server: LiveServer, tmp_path: Path
) -> None:
    vendor_a, jwks_a = _vendor(live_server, "Vendor A")
    vendor_b, jwks_b = _vendor(live_server, "Vendor B")
    # Both vendors call their product ACME: codes are unique per vendor.
    serial_a = live_server.make_serial("SP3", product="ACME", vendor_id=vendor_a)
    serial_b = live_server.make_serial("SP3", product="ACME", vendor_id=vendor_b)
    status_a, keys_a = _get(jwks_a)
    status_b, keys_b = _get(jwks_b)
    assert status_a == status_b == 200
    kids_a = {key["kid"] for key in keys_a["keys"]}
    kids_b = {key["kid"] for key in keys_b["keys"]}
    assert kids_a and kids_b and not kids_a & kids_b

    licensed = _app(live_server, tmp_path / "a", MACHINE_1, keys_a).activate(serial_a)
    assert licensed.key_id in kids_a
    # Vendor B's application pins B's keys: A's license is refused, online and offline.
    with pytest.raises(ActivationError) as refused:
        _app(live_server, tmp_path / "b", MACHINE_1, keys_b).activate(serial_a)
    assert refused.value.code == "SIGNATURE_INVALID"
    with pytest.raises(LicenseError) as not_installed:
        _app(live_server, tmp_path / "b2", MACHINE_1, keys_b).install(licensed.token)
    assert not_installed.value.code == "SIGNATURE_INVALID"
    assert _app(live_server, tmp_path / "b3", MACHINE_2, keys_b).activate(serial_b).key_id in kids_b
    # GET /v1/keys still lists every key that signs, so a reader of it verifies both.
    _, every = _get(f"{live_server.url}/v1/keys")
    assert kids_a | kids_b <= {key["kid"] for key in every["keys"]}


def test_unknown_vendor_keys_answer_404(live_server: LiveServer) -> None:
    for handle in ("00000000-0000-0000-0000-000000000000", "1", "not-a-uuid"):
        status, body = _get(f"{live_server.url}/v1/vendors/{handle}/keys")
        assert status == 404 and body["error"]["code"] == "NOT_FOUND"


def test_a_pinned_application_survives_two_staged_rotations(
    live_server: LiveServer, tmp_path: Path
) -> None:
    vendor, jwks_url = _vendor(live_server, "Rotating Ltd")
    serial = live_server.make_serial("SP5", product="ACME", vendor_id=vendor)

    # Release 1 of the application pins the vendor's JWKS after a next key was published.
    _, first_keys = _get(jwks_url)
    (k1,) = [key["kid"] for key in first_keys["keys"]]
    k2 = _stage(live_server, vendor, "next")
    _, release_1 = _get(jwks_url)
    assert [key["kid"] for key in release_1["keys"]] == [k1, k2]
    machine_1 = _app(live_server, tmp_path / "m1", MACHINE_1, release_1)
    assert machine_1.activate(serial).key_id == k1  # a next key signs nothing

    # First rotation: the next key becomes current; release 1 accepts its licenses.
    assert _stage(live_server, vendor, "promote") == k2
    machine_2 = _app(live_server, tmp_path / "m2", MACHINE_2, release_1)
    assert machine_2.activate(serial).key_id == k2
    assert _app(live_server, tmp_path / "m1", MACHINE_1, release_1).load().key_id == k1

    # Second rotation: release 2 ships pinning the vendor's keys once k3 is published.
    k3 = _stage(live_server, vendor, "next")
    _, release_2 = _get(jwks_url)
    assert [key["kid"] for key in release_2["keys"]] == [k2, k3, k1]
    assert _stage(live_server, vendor, "promote") == k3
    machine_3 = _app(live_server, tmp_path / "m3", MACHINE_3, release_2)
    assert machine_3.activate(serial).key_id == k3
    # Machines that kept older licenses start as before, under either release.
    for store, machine, kid in (("m1", MACHINE_1, k1), ("m2", MACHINE_2, k2)):
        assert _app(live_server, tmp_path / store, machine, release_2).load().key_id == kid
    # Their next activation is signed by k3, which release 2 pins.
    assert _app(live_server, tmp_path / "m1", MACHINE_1, release_2).activate(serial).key_id == k3
    # An application that never pinned k3 refuses it: which is why keys are staged.
    with pytest.raises(ActivationError) as refused:
        _app(live_server, tmp_path / "old", MACHINE_3, release_1).activate(serial)
    assert refused.value.code == "SIGNATURE_INVALID"
    # A promotion with no next key waiting changes nothing.
    assert live_server.run(_promote_nothing(live_server, vendor)) is None


async def _promote_nothing(server: LiveServer, vendor_id: int) -> str | None:
    async with server.app[DB_POOL].acquire() as connection:
        return await keys.promote(connection, vendor_id)
