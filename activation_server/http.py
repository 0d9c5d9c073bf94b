"""Helpers shared by the handlers: reading bodies and knowing who is asking."""

from __future__ import annotations

import asyncio
import ipaddress

from aiohttp import StreamReader, web

from activation_server.appkeys import SETTINGS
from activation_server.bodies import MAX_JSON_DEPTH, parse_json
from activation_server.errors import InvalidRequest, PayloadTooLarge, RequestTimeout
from activation_server.settings import Network

__all__ = ["MAX_JSON_DEPTH", "READ_BODY", "client_address", "parse_json", "read_body"]

# The body once read by a wrapper that needed it before the handler (an idempotency check).
READ_BODY = web.RequestKey("read_body", bytes)


async def read_body(request: web.Request, limit: int | None = None) -> bytes:
    """The whole body, however many packets it arrives in; 413 as soon as it is over the limit
    (``max_body_bytes`` unless given), 408 when the client sends it too slowly."""
    if READ_BODY in request:
        return request[READ_BODY]
    settings = request.app[SETTINGS]
    limit = settings.max_body_bytes if limit is None else limit
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"The request body is over {limit} bytes.")
    content = request.content
    if content.is_eof():
        # The whole body came with the headers (nearly every request): nothing to wait for, so
        # no timeout to arm, which costs a timer handle per request.
        try:
            raw = content.read_nowait(limit + 1)
        except (ValueError, OSError) as exc:
            raise InvalidRequest("The request body could not be read.") from exc
    else:
        raw = await _read_slowly(content, limit, settings.client_timeout_seconds)
    if len(raw) > limit:
        raise PayloadTooLarge(f"The request body is over {limit} bytes.")
    return raw


async def _read_slowly(content: StreamReader, limit: int, seconds: float) -> bytes:
    """Up to ``limit + 1`` bytes of a body that is still arriving, within ``seconds``."""
    raw = bytearray()
    try:
        async with asyncio.timeout(seconds):
            while len(raw) <= limit:
                # read(n) returns what has arrived so far, so a body split over several
                # packets takes several reads.
                chunk = await content.read(limit + 1 - len(raw))
                if not chunk:
                    break
                raw += chunk
    except TimeoutError:
        raise RequestTimeout(f"The request body did not arrive within {seconds:g} s.") from None
    except (ValueError, OSError) as exc:
        raise InvalidRequest("The request body could not be read.") from exc
    return bytes(raw)


def client_address(request: web.Request) -> str | None:
    """The client's IP address: the peer's, or, behind trusted proxies, the one they vouch for.

    X-Forwarded-For is read from the right, where the proxies we trust wrote: with N trusted hops
    the client is the N-th entry from the right; with trusted proxy networks, the first entry
    from the right that is not one of them (and only when the peer itself is one). Anything else
    in the header was written by the client and proves nothing. A missing or unparsable entry
    falls back to the peer's address, so junk in the header never escapes the limiters.
    """
    settings = request.app[SETTINGS]
    peer = _canonical(request.remote)
    hops = max(settings.trusted_proxy_hops, 1 if settings.trust_forwarded_for else 0)
    networks = settings.trusted_proxy_networks
    if not hops and not networks:
        return peer
    entries = [
        entry.strip()
        for header in request.headers.getall("X-Forwarded-For", [])
        for entry in header.split(",")
    ]
    if networks:
        if peer is None or not _inside(peer, networks):
            return peer
        for entry in reversed(entries):
            address = _canonical(entry)
            if address is None:
                return peer
            if not _inside(address, networks):
                return address
        return peer
    if len(entries) < hops:
        return peer
    return _canonical(entries[-hops]) or peer


def _canonical(candidate: str | None) -> str | None:
    if not candidate:
        return None
    address = _ADDRESSES.get(candidate)
    if address is None:
        try:
            address = str(ipaddress.ip_address(candidate))
        except ValueError:
            return None
        if len(_ADDRESSES) >= _MAX_ADDRESSES:
            _ADDRESSES.clear()
        _ADDRESSES[candidate] = address
    return address


def _inside(address: str, networks: tuple[Network, ...]) -> bool:
    parsed = ipaddress.ip_address(address)
    return any(parsed in network for network in networks)


# Client addresses in their canonical form, by the text they came as: parsing one with
# ``ipaddress`` takes microseconds and a client sends many requests. Only addresses that parse
# are kept (so a key is at most an IPv6 address long), and the dict starts over when full.
_MAX_ADDRESSES = 4096
_ADDRESSES: dict[str, str] = {}
