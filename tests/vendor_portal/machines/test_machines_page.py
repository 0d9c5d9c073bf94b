"""The Machines page: every machine of the vendor's serials, found by host name, released."""

from __future__ import annotations

import asyncpg
from aiohttp.test_utils import TestClient

from activation_server.settings import Settings
from tests.conftest import PASSWORD, Factory, fingerprint, make_account
from tests.vendor_portal.pages.portal import Portal


async def test_machines_are_listed_found_by_host_and_released(
    client: TestClient, pool: asyncpg.Pool, settings: Settings, factory: Factory
) -> None:
    account = await make_account(
        client, pool, settings, "alice@vendor-a.example", company="Vendor A"
    )
    other = await factory.serial("SP3")  # another vendor's machine never shows
    await client.post(
        "/v1/activations",
        json={"serial": other, "fingerprint": fingerprint("x"), "client": {"hostname": "CAD-9"}},
    )
    serial = await factory.serial("SP3", product="MINE", vendor_id=account.vendor_id)
    ids = {}
    for host in ("CAD-01", "ACCOUNTS-PC"):
        answer = await client.post(
            "/v1/activations",
            json={"serial": serial, "fingerprint": fingerprint(host), "client": {"hostname": host}},
        )
        ids[host] = (await answer.json())["activation_id"]
    portal = Portal(client)
    await portal.login("alice@vendor-a.example", PASSWORD)
    page = await portal.get("/portal/machines")
    assert "CAD-01" in page and "ACCOUNTS-PC" in page and "CAD-9" not in page
    found = await portal.get("/portal/machines?q=cad")
    assert "CAD-01" in found and "ACCOUNTS-PC" not in found
    await portal.post(f"/portal/machines/{ids['CAD-01']}/release")
    assert f'data-activation="{ids["CAD-01"]}"' not in portal.last
    assert f'data-activation="{ids["ACCOUNTS-PC"]}"' in portal.last
    # Another vendor's or an unknown machine is not found.
    await portal.post("/portal/machines/00000000-0000-0000-0000-000000000000/release", status=404)
