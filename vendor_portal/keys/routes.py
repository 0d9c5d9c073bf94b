"""A vendor's own signing keys: ``/v1/signing-keys``, the revocation lists they sign
(``/v1/revocation-lists``) and the portal's keys page."""

from __future__ import annotations

from vendor_portal.keys import endpoints, pages
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.declare(endpoints.ENDPOINTS)

    routes.page("/keys", pages.key_list, "keys")
    routes.action("/keys/{action}", pages.key_action, "key_action")
