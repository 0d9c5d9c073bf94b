"""The machines page: every machine holding an activation of the vendor's serials. The API's
release of one (``/v1/activations/{id}/release``) is the serials feature's."""

from __future__ import annotations

from vendor_portal.machines import pages
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.page("/machines", pages.machine_list, "machines")
    routes.action("/machines/{activation_id}/release", pages.machine_release, "release")
    routes.action("/machines/revocation-list", pages.revocation_list, "revocation_list")
