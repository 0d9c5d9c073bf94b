"""The signing-keys page: the JWKS ready to paste, and staged rotation by its buttons."""

from __future__ import annotations

import json
import re

import asyncpg
from aiohttp.test_utils import TestClient

from activation_server.settings import Settings
from tests.conftest import PASSWORD, make_account
from tests.vendor_portal.pages.portal import Portal


def _states(text: str) -> list[tuple[str, str]]:
    return re.findall(r'data-kid="([^"]+)" data-state="([^"]+)"', text)


async def test_the_keys_page_shows_the_jwks_and_rotates_in_stages(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    await make_account(client, pool, settings, "alice@vendor-a.example", company="Vendor A")
    portal = Portal(client)
    await portal.login("alice@vendor-a.example", PASSWORD)
    assert 'data-test="signing-keys"' in await portal.get("/portal/products")
    page = await portal.get("/portal/keys")
    ((current, state),) = _states(page)
    assert state == "current"
    url = re.search(r'data-test="jwks-url">([^<]+)<', page)
    assert url is not None
    path = "/" + url.group(1).split("/", 3)[3]  # the page names the public, absolute address
    published = await (await client.get(path)).json()
    pasted = re.search(r'data-test="jwks">KEYS = (.*?)\nclient', page, re.S)
    assert pasted is not None
    assert json.loads(pasted.group(1).replace("&#34;", '"').replace("&quot;", '"')) == published

    await portal.post("/portal/keys/next")
    states = _states(portal.last)
    assert [state for _, state in states] == ["current", "next"]
    await portal.post("/portal/keys/promote")
    assert _states(portal.last) == [(states[1][0], "current"), (current, "retired")]
    # Promoting with nothing staged is refused on the page, not with an error page.
    await portal.post("/portal/keys/promote", status=422)
