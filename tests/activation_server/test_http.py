"""read_body's fast path (the whole body already buffered) and the client address cache."""

from __future__ import annotations

from unittest import mock

import pytest
from aiohttp import web
from aiohttp.streams import StreamReader
from aiohttp.test_utils import make_mocked_request

from activation_server import http
from activation_server.appkeys import SETTINGS
from activation_server.errors import PayloadTooLarge


class _Settings:
    max_body_bytes = 16
    client_timeout_seconds = 5.0
    trust_forwarded_for = True
    trusted_proxy_hops = 0
    trusted_proxies = ""
    trusted_proxy_networks = ()


def _request(
    chunks: list[bytes], *, eof: bool, headers: dict[str, str] | None = None
) -> web.Request:
    app = web.Application()
    app[SETTINGS] = _Settings()  # type: ignore[assignment]
    protocol = mock.Mock(_reading_paused=False)
    content = StreamReader(protocol, 2**16, loop=mock.Mock())
    for chunk in chunks:
        content.feed_data(chunk)
    if eof:
        content.feed_eof()
    return make_mocked_request(
        "POST", "/v1/activations", headers=headers or {}, app=app, payload=content
    )


async def test_a_buffered_body_is_read_whole_without_waiting() -> None:
    request = _request([b'{"a":', b"1}"], eof=True)
    assert await http.read_body(request) == b'{"a":1}'


async def test_a_buffered_body_over_the_limit_is_refused() -> None:
    request = _request([b"x" * 10, b"y" * 10], eof=True)
    with pytest.raises(PayloadTooLarge):
        await http.read_body(request)


def test_client_addresses_are_canonical_and_cached() -> None:
    request = _request([], eof=True, headers={"X-Forwarded-For": "10.0.0.1, 2001:DB8::0001"})
    assert http.client_address(request) == "2001:db8::1"
    assert http._ADDRESSES["2001:DB8::0001"] == "2001:db8::1"
    assert http.client_address(request) == "2001:db8::1"
    # Junk in the header falls back to the peer's address (never to "no address").
    bad = _request([], eof=True, headers={"X-Forwarded-For": "not-an-address"})
    assert http.client_address(bad) == http.client_address(_request([], eof=True))
    assert "not-an-address" not in http._ADDRESSES
