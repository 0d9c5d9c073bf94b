"""Pricing: the price list, subscription prices and partner tiers in the API, and the price
list's page."""

from __future__ import annotations

from vendor_portal.pricing import endpoints, pages
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.declare(endpoints.ENDPOINTS)

    routes.page("/prices", pages.prices, "prices")
    routes.action("/prices/{what}", pages.change, "prices_change")
