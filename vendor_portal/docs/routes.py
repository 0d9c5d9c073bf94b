"""Documentation: the OpenAPI document at ``/v1/openapi.json`` and the portal's reader pages
(the API reference drawn from it, the SDK guide, the activation protocol)."""

from __future__ import annotations

from vendor_portal.docs import endpoints, pages
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.declare(endpoints.ENDPOINTS)

    routes.page("/docs", pages.docs_index, "docs")
    routes.page("/docs/api", pages.docs_api, "docs_api")
    routes.page("/docs/reference", pages.docs_reference, "docs_reference")
    routes.page("/docs/sdk", pages.docs_sdk, "docs_sdk")
    routes.page("/docs/protocol", pages.docs_protocol, "docs_protocol")
