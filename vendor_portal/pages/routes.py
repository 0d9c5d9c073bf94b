"""The portal's addresses, relative to where it is mounted (``/portal/``)."""

from __future__ import annotations

from vendor_portal.pages import (
    serials,
)
from vendor_portal.routing import Routes


def add_routes(routes: Routes) -> None:
    router = routes.pages_router
    _form = routes.form

    router.add_get("/serials", serials.serial_list, name="serials")
    _form("/serials/group", serials.group_work, "group")
    router.add_get("/serials/{serial}", serials.serial_card, name="serial")
    router.add_get("/serials/{serial}/certificate", serials.certificate, name="certificate")
    router.add_post("/serials/{serial}/{action}", serials.serial_status, name="serial_status")
