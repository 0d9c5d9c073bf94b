"""The audit log: ``/v1/audit`` and its page."""

from __future__ import annotations

from vendor_portal.audit import endpoints, pages
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.declare(endpoints.ENDPOINTS)

    routes.page("/audit", pages.audit_log, "audit")
