"""Handlers of renewals: POST /v1/renewals/quote (price an upload), POST /v1/renewals (order).

The upload travels as the body itself (``text/plain`` or ``text/csv``: a pasted list or a CSV
file) or as JSON ``{"text": ..., "months": ...}``; the order as JSON ``{"serials": [...]}``.
"""

from __future__ import annotations

from aiohttp import web
from msgspec import UNSET, UnsetType

from activation_server.appkeys import DB_POOL, SETTINGS
from activation_server.bodies import decode, decoder
from activation_server.errors import InvalidRequest, PayloadTooLarge
from activation_server.http import read_body
from vendor_portal import parsing
from vendor_portal.auth import current_actor
from vendor_portal.renewals import schemas, service

# A list of 20 000 serials as JSON, with room for its quotes and commas.
BODY_LIMIT = 2 * service.MAX_UPLOAD_BYTES
_QUOTE = decoder(schemas.QuoteBody)
_ORDER = decoder(schemas.RenewalBody)


async def _read(request: web.Request) -> bytes:
    try:
        return await read_body(request, BODY_LIMIT)
    except PayloadTooLarge:
        service.check_upload_size(BODY_LIMIT + 1)
        raise


def _months(body_months: int | UnsetType, query: schemas.RenewalQuery) -> int:
    months = query.months if body_months is UNSET else body_months
    return service.DEFAULT_MONTHS if months is None else months


async def post_quote(request: web.Request, query: schemas.QuoteQuery) -> web.Response:
    actor = await current_actor(request)
    raw = await _read(request)
    months: int | UnsetType = UNSET
    if request.content_type == "application/json":
        body: schemas.QuoteBody = decode(raw, _QUOTE)
        if body.text is not UNSET:
            text = body.text
        elif body.serials is not UNSET:
            text = "\n".join(body.serials)
        else:
            raise InvalidRequest("Send the serial numbers: the field 'text', or a text/plain body.")
        months = body.months
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidRequest("The upload must be UTF-8 text.") from None
    quote = await service.quote_upload(
        request.app[DB_POOL],
        actor,
        text,
        months=_months(months, query),
        early_percent=request.app[SETTINGS].portal.early_renewal_percent,
        vendor_id=query.vendor_id,
    )
    return web.json_response(quote.to_json())


async def post_renewal_order(request: web.Request, query: schemas.RenewalQuery) -> web.Response:
    actor = await current_actor(request)
    body: schemas.RenewalBody = decode(await _read(request), _ORDER)
    view = await service.place_renewal_order(
        request.app[DB_POOL],
        actor,
        body.serials,
        months=_months(body.months, query),
        early_percent=request.app[SETTINGS].portal.early_renewal_percent,
        vendor_id=parsing.given(body.vendor_id),
        base_url=request.app[SETTINGS].base_url,
    )
    return web.json_response(view.to_json(detail=True), status=201)
