"""Products: the vendor API's ``/v1/products`` and the portal's product pages."""

from __future__ import annotations

from vendor_portal.products import endpoints, pages
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.declare(endpoints.ENDPOINTS)

    routes.page("/products", pages.product_list, "products")
    routes.form("/products/new", pages.product_new, "product_new")
    routes.form("/products/{code}/edit", pages.product_edit, "product_edit")
