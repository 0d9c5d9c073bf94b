"""Documents: the company's requisites (``/v1/company`` and its page) and the printable
invoices, acts and prepayment invoices."""

from __future__ import annotations

from vendor_portal.documents import endpoints, pages
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.declare(endpoints.ENDPOINTS)

    routes.page(r"/orders/{order_id:[0-9]+}/invoice", pages.invoice, "invoice")
    routes.page(r"/orders/{order_id:[0-9]+}/act", pages.act, "act")
    routes.page(r"/balance/prepayments/{number:[0-9]+}", pages.prepayment_invoice, "prepayment")
    routes.form("/company", pages.company, "company")
