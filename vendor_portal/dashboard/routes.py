"""The dashboard: a vendor's activity at a glance (staff see the whole service)."""

from __future__ import annotations

from vendor_portal.dashboard import pages
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.page("/dashboard", pages.dashboard, "dashboard")
