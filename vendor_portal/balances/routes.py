"""Prepaid balances: a vendor's balance, top-ups and prepayment invoices in the API, and the
balance pages."""

from __future__ import annotations

from vendor_portal.balances import endpoints, pages
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.declare(endpoints.ENDPOINTS)

    routes.form("/balance", pages.balance, "balance")
    routes.page("/balance/history", pages.balance_history, "balance_history")
