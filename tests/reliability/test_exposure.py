"""What the server shows of itself: no version in ``Server``; ``/metrics`` only to those the
settings allow (peers of given networks, holders of a token)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from activation_server.composition import build_app
from activation_server.settings import ConfigError, Settings
from tests.conftest import make_settings


async def _client(tmp_path: Path, database_url: str, aiohttp_client: Any, **options: Any) -> Any:
    return await aiohttp_client(build_app(make_settings(tmp_path, database_url, **options)))


async def test_no_answer_names_the_server_software_or_its_version(client: TestClient) -> None:
    for method, path in (
        ("GET", "/healthz"),
        ("GET", "/v1/keys"),
        ("POST", "/v1/activations"),
        ("GET", "/nowhere"),
        ("GET", "/"),
        ("GET", "/portal/login"),
        ("GET", "/portal/static/nothing.css"),
    ):
        response = await client.request(method, path, allow_redirects=False)
        server = response.headers.get("Server", "")
        assert "aiohttp" not in server.lower() and "python" not in server.lower(), (path, server)
        assert not any(ch.isdigit() for ch in server), (path, server)


async def test_metrics_with_a_token_need_it(
    tmp_path: Path, database_url: str, aiohttp_client: Any
) -> None:
    client = await _client(tmp_path, database_url, aiohttp_client, metrics_token="s3cret-token")
    assert (await client.get("/metrics")).status == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-tokeX"})
    assert wrong.status == 401
    right = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert right.status == 200
    assert "activation_http_requests_total" in await right.text()


async def test_metrics_answer_only_peers_of_the_allowed_networks(
    tmp_path: Path, database_url: str, aiohttp_client: Any
) -> None:
    elsewhere = await _client(
        tmp_path, database_url, aiohttp_client, metrics_networks="10.0.0.0/8, fd00::/8"
    )
    # The address a client writes in a header is not its peer address.
    refused = await elsewhere.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"})
    assert refused.status == 404
    loopback = await _client(
        tmp_path, database_url, aiohttp_client, metrics_networks="127.0.0.0/8,::1/128"
    )
    assert (await loopback.get("/metrics")).status == 200


def test_a_network_list_that_is_not_one_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        Settings.from_env(
            {"ACTIVATION_DATA_DIR": str(tmp_path), "ACTIVATION_METRICS_NETWORKS": "10.0.0.0/33"}
        )
    read = Settings.from_env(
        {"ACTIVATION_DATA_DIR": str(tmp_path), "ACTIVATION_METRICS_TOKEN": "t"}
    )
    assert read.metrics_token == "t" and "metrics_token" not in repr(read)
