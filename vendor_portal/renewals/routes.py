"""Renewals of update subscriptions by serial: the API's quote and order, and the page."""

from __future__ import annotations

from vendor_portal.renewals import endpoints, pages
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.declare(endpoints.ENDPOINTS)

    routes.form("/renewals", pages.renewals, "renewals")
