"""Handlers of renewals: POST /v1/renewals/quote (price an upload), POST /v1/renewals (order).

The upload travels as the body itself (``text/plain`` or ``text/csv``: a pasted list or a CSV
file) or as JSON ``{"text": ..., "months": ...}``; the order as JSON ``{"serials": [...]}``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from activation_server.appkeys import DB_POOL, SETTINGS
from activation_server.errors import InvalidRequest, PayloadTooLarge
from activation_server.http import read_body, read_json_object
from vendor_portal import parsing
from vendor_portal.auth import current_actor
from vendor_portal.renewals import service

# A list of 20 000 serials as JSON, with room for its quotes and commas.
BODY_LIMIT = 2 * service.MAX_UPLOAD_BYTES


async def _read(request: web.Request, json_body: bool) -> dict[str, Any]:
    try:
        if json_body:
            return await read_json_object(request, BODY_LIMIT)
        raw = await read_body(request, BODY_LIMIT)
    except PayloadTooLarge:
        service.check_upload_size(BODY_LIMIT + 1)
        raise
    try:
        return {"text": raw.decode("utf-8-sig")}
    except UnicodeDecodeError:
        raise InvalidRequest("The upload must be UTF-8 text.") from None


def _months(body: dict[str, Any], request: web.Request) -> int:
    raw = body.get("months", request.query.get("months"))
    if isinstance(raw, str) and parsing.ascii_digits(raw):
        body = {"months": int(raw)}
    months = parsing.integer(body, "months", required=False, minimum=1, maximum=service.MAX_MONTHS)
    return service.DEFAULT_MONTHS if months is None else months


async def post_quote(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    body = await _read(request, request.content_type == "application/json")
    text = body.get("text")
    if text is None and isinstance(body.get("serials"), list):
        text = "\n".join(str(item) for item in body["serials"])
    if not isinstance(text, str):
        raise InvalidRequest("Send the serial numbers: the field 'text', or a text/plain body.")
    quote = await service.quote_upload(
        request.app[DB_POOL],
        actor,
        text,
        months=_months(body, request),
        early_percent=request.app[SETTINGS].portal.early_renewal_percent,
        vendor_id=parsing.optional_query_int(request.query, "vendor_id"),
    )
    return web.json_response(quote.to_json())


async def post_renewal_order(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    body = await _read(request, True)
    serials = body.get("serials")
    if not isinstance(serials, list) or not all(isinstance(item, str) for item in serials):
        raise InvalidRequest("The field 'serials' must be a list of serial numbers.")
    view = await service.place_renewal_order(
        request.app[DB_POOL],
        actor,
        serials,
        months=_months(body, request),
        early_percent=request.app[SETTINGS].portal.early_renewal_percent,
        vendor_id=parsing.integer(body, "vendor_id", required=False, minimum=1),
        base_url=request.app[SETTINGS].base_url,
    )
    return web.json_response(view.to_json(detail=True), status=201)
