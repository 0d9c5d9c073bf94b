"""Orders: ``/v1/orders`` (placing, changing, invoicing, paying, cancelling, the serials of a
fulfilled order) and the portal's order pages."""

from __future__ import annotations

from vendor_portal.orders import endpoints, pages
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.declare(endpoints.ENDPOINTS)

    routes.page("/orders", pages.order_list, "orders")
    routes.form("/orders/new", pages.order_new, "order_new")
    routes.page(r"/orders/{order_id:[0-9]+}", pages.order_card, "order")
    # Before the card's actions, whose "{action}" would take "edit" too.
    routes.form(r"/orders/{order_id:[0-9]+}/edit", pages.order_edit, "order_edit")
    routes.action(r"/orders/{order_id:[0-9]+}/{action}", pages.order_action, "order_action")
    routes.page(r"/orders/{order_id:[0-9]+}/serials.csv", pages.order_serials_csv, "csv")
