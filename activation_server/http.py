"""Helpers shared by the handlers: reading JSON bodies and knowing who is asking."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from aiohttp import web

from activation_server.appkeys import SETTINGS
from activation_server.errors import InvalidRequest, PayloadTooLarge


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object; 400 or 413 with a clear message otherwise.

    The Content-Type is not insisted on: a body that parses as JSON is accepted, so that a
    quick ``curl -d`` works; one that does not is refused as the contract says, with 400.
    """
    limit = request.app[SETTINGS].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"The request body is over {limit} bytes.")
    try:
        raw = await request.content.read(limit + 1)
    except (ValueError, OSError) as exc:
        raise InvalidRequest("The request body could not be read.") from exc
    if len(raw) > limit:
        raise PayloadTooLarge(f"The request body is over {limit} bytes.")
    if not raw.strip():
        raise InvalidRequest("The request body is empty: send a JSON object.")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return body


def client_address(request: web.Request) -> str | None:
    """The client's IP address (the first X-Forwarded-For hop when configured to trust it)."""
    candidate: str | None = None
    if request.app[SETTINGS].trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "")
        candidate = forwarded.split(",")[0].strip() or None
    if candidate is None:
        candidate = request.remote
    if not candidate:
        return None
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
