"""Offline activation in the portal: the page a person pastes an activation request code into,
and the license file it hands back. The API's own ``/v1/offline-activations`` is the
activation server's."""

from __future__ import annotations

from vendor_portal.offline import pages
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.form("/activate", pages.offline_activation, "offline")
    routes.action("/activate/license", pages.offline_license_download, "offline_license")
