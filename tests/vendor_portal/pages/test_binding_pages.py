"""Tolerant binding in the portal: the product page sets it, and the Machines page and the
serial's card say which hardware changed when a machine's activation moved to it."""

from __future__ import annotations

import re

import asyncpg
from aiohttp.test_utils import TestClient

from activation_server.settings import Settings
from tests.activation_server.activations.test_binding import machine
from tests.conftest import PASSWORD, Factory, make_account
from tests.vendor_portal.pages.portal import Portal


def _selected(page: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, page[:2000]
    chosen = re.search(r'<option value="([^"]*)" selected>', select.group(1))
    return chosen.group(1) if chosen else None


async def test_the_tolerance_is_set_on_the_product_page_and_changes_are_shown(
    client: TestClient, pool: asyncpg.Pool, settings: Settings, factory: Factory
) -> None:
    account = await make_account(
        client, pool, settings, "alice@vendor-a.example", company="Vendor A"
    )
    portal = Portal(client)
    await portal.login("alice@vendor-a.example", PASSWORD)
    await portal.get("/portal/products/new")
    await portal.post("/portal/products/new", {"code": "CAD", "name": "CAD", "features": "x"})
    page = await portal.get("/portal/products/CAD/edit")
    assert _selected(page, "binding_tolerance") == "0"
    refused = await portal.post(
        "/portal/products/CAD/edit",
        {"name": "CAD", "features": "x", "binding_tolerance": "9"},
        status=422,
    )
    assert "Choose one of the options." in refused
    await portal.post(
        "/portal/products/CAD/edit", {"name": "CAD", "features": "x", "binding_tolerance": "2"}
    )
    answer = await client.get("/v1/products/CAD", headers=account.headers)
    assert (await answer.json())["binding_tolerance"] == 2
    assert _selected(await portal.get("/portal/products/CAD/edit"), "binding_tolerance") == "2"
    # A form without the field leaves the policy as it is.
    await portal.post("/portal/products/CAD/edit", {"name": "CAD 2", "features": "x"})
    answer = await client.get("/v1/products/CAD", headers=account.headers)
    assert (await answer.json())["binding_tolerance"] == 2

    serial = await factory.serial("SP1", product="CAD", vendor_id=account.vendor_id)
    first = await client.post(
        "/v1/activations",
        json={"serial": serial, **machine("pc"), "client": {"hostname": "DRAFT-PC"}},
    )
    assert first.status == 201
    page = await portal.get("/portal/machines")
    assert "DRAFT-PC" in page and 'data-test="hardware-change"' not in page
    moved = await client.post(
        "/v1/activations", json={"serial": serial, **machine("pc", disk="new")}
    )
    assert moved.status == 200
    for path in ("/portal/machines", f"/portal/serials/{serial}"):
        page = await portal.get(path)
        change = re.search(r'data-test="hardware-change">([^<]*)<', page)
        assert change, page[:3000]
        assert "disk" in change.group(1) and "network" not in change.group(1)
