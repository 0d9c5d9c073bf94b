"""Pricing: the price list, subscription prices and partner tiers in the API, and the price
list's page."""

from __future__ import annotations

from vendor_portal.pricing import handlers, pages
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.api("GET", "/v1/price-list", handlers.get_price_list)
    # Before the plain price, whose "{license_type}" would take "subscriptions" too.
    routes.api(
        "PUT", "/v1/price-list/subscriptions/{license_type}", handlers.put_subscription_price
    )
    routes.api("PUT", "/v1/price-list/{license_type}", handlers.put_price)
    routes.api("PUT", "/v1/partner-tiers/{code}", handlers.put_tier)
    routes.api("PUT", "/v1/vendors/{vendor_id}/partner-tier", handlers.put_vendor_tier)

    routes.page("/prices", pages.prices, "prices")
    routes.action("/prices/{what}", pages.change, "prices_change")
