"""Serials: finding, blocking, transferring and re-featuring serials, and releasing a machine's
activation, in the API; the serial list, card, certificate and group-work pages."""

from __future__ import annotations

from vendor_portal.routing import Routes
from vendor_portal.serials import endpoints, pages


def setup(routes: Routes) -> None:
    routes.declare(endpoints.ENDPOINTS)

    routes.page("/serials", pages.serial_list, "serials")
    # Before the card, whose "{serial}" would take "group" too.
    routes.form("/serials/group", pages.group_work, "group")
    routes.page("/serials/{serial}", pages.serial_card, "serial")
    routes.page("/serials/{serial}/certificate", pages.certificate, "certificate")
    # Before the status actions, whose "{action}" would take "transfers" too.
    routes.action("/serials/{serial}/transfers", pages.transfer_grant, "transfers")
    routes.action("/serials/{serial}/{action}", pages.serial_status, "serial_status")
