"""Products: the vendor API's ``/v1/products`` and the portal's product pages."""

from __future__ import annotations

from vendor_portal.products import handlers, pages
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.api("GET", "/v1/products", handlers.get_products)
    routes.api("POST", "/v1/products", handlers.post_product)
    routes.api("GET", "/v1/products/{code}", handlers.get_product)
    routes.api("PATCH", "/v1/products/{code}", handlers.patch_product)

    routes.page("/products", pages.product_list, "products")
    routes.form("/products/new", pages.product_new, "product_new")
    routes.form("/products/{code}/edit", pages.product_edit, "product_edit")
