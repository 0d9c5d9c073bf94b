"""The operator's desk in the portal: incoming orders, and the vendors with their balances,
discounts, partner tiers and prepayments. Its API lives with those features (accounts,
balances, pricing, orders)."""

from __future__ import annotations

from vendor_portal.routing import Routes
from vendor_portal.staff import pages


def setup(routes: Routes) -> None:
    routes.page("/staff/orders", pages.incoming, "incoming")
    routes.page("/staff/vendors", pages.vendor_list, "vendors")
    routes.page(r"/staff/vendors/{vendor_id:[0-9]+}", pages.vendor_card, "vendor")
    routes.action(r"/staff/vendors/{vendor_id:[0-9]+}/top-up", pages.vendor_top_up, "top_up")
    routes.action(r"/staff/vendors/{vendor_id:[0-9]+}/discount", pages.vendor_discount, "discount")
    routes.action(r"/staff/vendors/{vendor_id:[0-9]+}/tier", pages.vendor_tier, "tier")
    routes.action(
        r"/staff/vendors/{vendor_id:[0-9]+}/prepayment", pages.vendor_prepayment, "prepaid"
    )
