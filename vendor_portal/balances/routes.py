"""Prepaid balances: a vendor's balance, top-ups and prepayment invoices in the API, and the
balance pages."""

from __future__ import annotations

from vendor_portal.balances import handlers, pages
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.api("GET", "/v1/vendors/{vendor_id}/balance", handlers.get_balance)
    routes.api("POST", "/v1/vendors/{vendor_id}/top-ups", handlers.post_top_up)
    routes.api("GET", "/v1/balance", handlers.get_own_balance)
    routes.api("POST", "/v1/balance/prepayment-invoices", handlers.post_prepayment)
    routes.api("GET", "/v1/balance/prepayment-invoices", handlers.get_prepayments)
    routes.api(
        "POST", "/v1/prepayment-invoices/{number}/payments", handlers.post_prepayment_payment
    )

    routes.form("/balance", pages.balance, "balance")
    routes.page("/balance/history", pages.balance_history, "balance_history")
