"""Serials: finding, blocking, transferring and re-featuring serials, and releasing a machine's
activation, in the API; the serial list, card, certificate and group-work pages."""

from __future__ import annotations

from vendor_portal.routing import Routes
from vendor_portal.serials import handlers, pages


def setup(routes: Routes) -> None:
    routes.api("GET", "/v1/serials", handlers.get_serials)
    routes.api("POST", "/v1/serials/bulk", handlers.post_bulk)
    routes.api("GET", "/v1/serials/{serial}", handlers.get_serial)
    routes.api("POST", "/v1/serials/{serial}/block", handlers.post_block)
    routes.api("POST", "/v1/serials/{serial}/unblock", handlers.post_unblock)
    routes.api("POST", "/v1/serials/{serial}/transfer-grants", handlers.post_transfer_grant)
    routes.api("POST", "/v1/serials/{serial}/features", handlers.post_serial_features)
    routes.api("POST", "/v1/orders/{order_id}/features", handlers.post_order_features)
    routes.api("POST", "/v1/activations/{activation_id}/release", handlers.post_release)

    routes.page("/serials", pages.serial_list, "serials")
    # Before the card, whose "{serial}" would take "group" too.
    routes.form("/serials/group", pages.group_work, "group")
    routes.page("/serials/{serial}", pages.serial_card, "serial")
    routes.page("/serials/{serial}/certificate", pages.certificate, "certificate")
    # Before the status actions, whose "{action}" would take "transfers" too.
    routes.action("/serials/{serial}/transfers", pages.transfer_grant, "transfers")
    routes.action("/serials/{serial}/{action}", pages.serial_status, "serial_status")
