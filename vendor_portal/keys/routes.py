"""A vendor's own signing keys: ``/v1/signing-keys``, the revocation lists they sign
(``/v1/revocation-lists``) and the portal's keys page."""

from __future__ import annotations

from vendor_portal.keys import handlers, pages
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.api("GET", "/v1/signing-keys", handlers.get_signing_keys)
    routes.api("POST", "/v1/signing-keys", handlers.post_signing_key)
    routes.api("POST", "/v1/signing-keys/promote", handlers.post_promote)
    routes.api("POST", "/v1/revocation-lists", handlers.post_revocation_list)

    routes.page("/keys", pages.key_list, "keys")
    routes.action("/keys/{action}", pages.key_action, "key_action")
