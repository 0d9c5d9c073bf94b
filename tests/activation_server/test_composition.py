"""Each surface served alone: ``serve --only api`` and ``serve --only portal``."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from activation_server.composition import build_app
from activation_server.settings import ConfigError, Settings
from tests.conftest import fingerprint

UNKNOWN = "7KQ2M-4X9PR-T3VW8-ANC5J"
ACTIVATION = {"serial": UNKNOWN, "fingerprint": fingerprint("composition")}


async def _served(aiohttp_client: Any, settings: Settings, surface: str) -> TestClient:
    client: TestClient = await aiohttp_client(build_app(settings.with_overrides(surface=surface)))
    return client


async def test_the_api_alone_answers_activations_and_nothing_of_the_portal(
    aiohttp_client: Any, settings: Settings
) -> None:
    client = await _served(aiohttp_client, settings, "api")
    refused = await client.post("/v1/activations", json=ACTIVATION)
    assert refused.status == 404
    assert (await refused.json())["error"]["code"] == "SERIAL_NOT_FOUND"
    assert (await client.get("/v1/keys")).status == 200
    assert (await client.get("/healthz")).status == 200
    for method, path in (
        ("GET", "/portal/"),
        ("GET", "/portal/login"),
        ("GET", "/"),
        ("GET", "/v1/price-list"),
        ("POST", "/v1/auth/token"),
        ("GET", "/v1/orders"),
    ):
        response = await client.request(method, path, allow_redirects=False)
        assert response.status == 404, (method, path, response.status)


async def test_the_portal_alone_answers_the_portal_and_vendor_api_but_no_activation(
    aiohttp_client: Any, settings: Settings
) -> None:
    client = await _served(aiohttp_client, settings, "portal")
    for path in ("/v1/activations", "/v1/validations", "/v1/offline-activations"):
        response = await client.post(path, json=ACTIVATION)
        assert response.status == 404, path
        assert (await response.json())["error"]["code"] == "NOT_FOUND"
    assert (await client.get("/v1/keys")).status == 404
    assert (await client.get("/portal/login")).status == 200
    assert (await client.get("/v1/price-list")).status == 401
    assert (await client.get("/healthz")).status == 200


async def test_everything_is_served_by_default(aiohttp_client: Any, settings: Settings) -> None:
    client: TestClient = await aiohttp_client(build_app(settings))
    refused = await client.post("/v1/activations", json=ACTIVATION)
    assert (await refused.json())["error"]["code"] == "SERIAL_NOT_FOUND"
    assert (await client.get("/portal/login")).status == 200


def test_an_unknown_surface_stops_the_start(tmp_path: Any) -> None:
    with pytest.raises(ConfigError):
        Settings.from_env({"ACTIVATION_DATA_DIR": str(tmp_path), "ACTIVATION_SURFACE": "both"})
