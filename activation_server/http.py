"""Helpers shared by the handlers: reading JSON bodies and knowing who is asking."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import math
from typing import Any, NoReturn

from aiohttp import StreamReader, web

from activation_server.appkeys import SETTINGS
from activation_server.errors import InvalidRequest, PayloadTooLarge, RequestTimeout
from activation_server.settings import Network

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


# Deeper than any document of the API needs, shallow enough that nothing that walks a body
# (the encoder of a jsonb column, a check of its size) can run out of stack.
MAX_JSON_DEPTH = 32


def _refuse_constant(name: str) -> NoReturn:
    raise InvalidRequest(f"The request body holds {name}, which is not a JSON number.")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidRequest(f"The number {text[:40]} is too large.")
    return value


# Python's decoder takes NaN, Infinity and -Infinity, and reads 1e999 as infinity; RFC 8259 has
# none of them and PostgreSQL's jsonb refuses them.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite)


def parse_json(raw: bytes | str) -> Any:
    """A request body as strict RFC 8259 JSON in UTF-8, or 400 ``INVALID_REQUEST``.

    Refused besides what is not JSON at all: the non-finite numbers, nesting deeper than
    :data:`MAX_JSON_DEPTH`, and strings (keys too) holding a lone surrogate or a NUL, which
    could not be encoded as UTF-8 or stored in PostgreSQL. Every JSON endpoint reads its body
    here, so what passes can be stored and hashed anywhere.
    """
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = _DECODER.decode(text)
    except RecursionError:
        raise InvalidRequest(_TOO_DEEP) from None
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("The request body is not valid JSON.") from None
    # Both checks walk the document, so they run only when the text can hold what they look for:
    # an ordinary body has a bracket or two and no escaped character.
    brackets = text.count("[") + text.count("{")
    escaped = "\\u" in text
    if brackets > MAX_JSON_DEPTH or escaped:
        _check_document(value, escaped)
    return value


_TOO_DEEP = f"The request body is nested deeper than {MAX_JSON_DEPTH} levels."


def _check_document(value: Any, strings: bool) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_JSON_DEPTH:
                raise InvalidRequest(_TOO_DEEP)
            for key, inner in item.items():
                if strings:
                    _check_string(key)
                stack.append((inner, depth + 1))
        elif isinstance(item, list):
            if depth > MAX_JSON_DEPTH:
                raise InvalidRequest(_TOO_DEEP)
            stack.extend((inner, depth + 1) for inner in item)
        elif strings and isinstance(item, str):
            _check_string(item)


def _check_string(value: str) -> None:
    if "\x00" in value:
        raise InvalidRequest("The request body holds a NUL character, which is not allowed.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequest(
            "The request body holds a lone surrogate (\\ud800-\\udfff), which is not text."
        ) from None


async def read_json_object(request: web.Request, limit: int | None = None) -> dict[str, Any]:
    """The body as a JSON object (:func:`parse_json`); 400, 408 or 413 with a clear message
    otherwise.

    The Content-Type is not insisted on: a body that parses as JSON is accepted, so that a
    quick ``curl -d`` works; one that does not is refused as the contract says, with 400.
    """
    raw = await read_body(request, limit)
    if not raw.strip():
        raise InvalidRequest("The request body is empty: send a JSON object.")
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return body


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
