"""Renewals of update subscriptions by serial: the API's quote and order, and the page."""

from __future__ import annotations

from vendor_portal.renewals import handlers, pages
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.api("POST", "/v1/renewals/quote", handlers.post_quote)
    routes.api("POST", "/v1/renewals", handlers.post_renewal_order)

    routes.form("/renewals", pages.renewals, "renewals")
