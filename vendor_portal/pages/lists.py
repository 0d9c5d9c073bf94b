"""What the list pages of several features share: the page asked for, and the vendors' names
that staff see beside each row."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import DB_POOL
from vendor_portal import parsing
from vendor_portal.accounts import service as accounts
from vendor_portal.actor import Actor

PAGE_SIZE = 50


def page_number(request: web.Request) -> int:
    number = parsing.ascii_number(request.query.get("page", "1"))
    return number if number is not None and 0 < number < 100_000 else 1


async def vendor_names(request: web.Request, who: Actor) -> dict[int, str]:
    if not who.is_staff:
        return {}
    found = await accounts.list_vendors(request.config_dict[DB_POOL], who, 100_000, 0)
    return {vendor.id: vendor.name for vendor in found}
