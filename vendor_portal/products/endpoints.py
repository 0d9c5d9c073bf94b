"""The products of the vendor API, each declared once: route, body, query, answers and refusals,
from which requests are read and the OpenAPI document is written."""

from __future__ import annotations

from activation_server.declare import Answer, Endpoint, Page, Param
from activation_server.errors import InvalidRequest
from vendor_portal.errors import ProductCodeTaken, ProductNotFound, VendorNotFound
from vendor_portal.parsing import PRODUCT_CODE_PATTERN
from vendor_portal.products import handlers, schemas

TAG = "products"
CODE = Param("code", "path", {"type": "string", "pattern": PRODUCT_CODE_PATTERN})

ENDPOINTS = (
    Endpoint(
        "GET",
        "/v1/products",
        handlers.get_products,
        operation_id="listProducts",
        summary="Products",
        description=(
            "The company's products by code (staff: every company's, or one company's with "
            "`vendor_id`), a page at a time."
        ),
        tag=TAG,
        query=schemas.ProductQuery,
        answers=(Answer(200, "A page of products", Page[schemas.Product]),),
        errors=(InvalidRequest,),
    ),
    Endpoint(
        "POST",
        "/v1/products",
        handlers.post_product,
        operation_id="createProduct",
        summary="Create a product",
        description=(
            "A product code is unique within its company (409 PRODUCT_CODE_TAKEN); licenses "
            "name the product by it. Staff name the company with `vendor_id`."
        ),
        tag=TAG,
        body=schemas.ProductCreate,
        answers=(Answer(201, "The product", schemas.Product),),
        errors=(InvalidRequest, VendorNotFound, ProductCodeTaken),
    ),
    Endpoint(
        "GET",
        "/v1/products/{code}",
        handlers.get_product,
        operation_id="getProduct",
        summary="One product",
        description=(
            "The company's product of this code. Staff name the company with `vendor_id` when "
            "several have a product of the code (400 otherwise)."
        ),
        tag=TAG,
        params=(CODE,),
        query=schemas.VendorQuery,
        answers=(Answer(200, "The product", schemas.Product),),
        errors=(InvalidRequest, ProductNotFound),
    ),
    Endpoint(
        "PATCH",
        "/v1/products/{code}",
        handlers.patch_product,
        operation_id="updateProduct",
        summary="Change a product",
        description=(
            "Rename it, replace its features, set its check-in policy, transfer budget or "
            "binding tolerance, or turn licensee self-service on or off. Serials sold keep "
            "their features; machines get a new policy with their next license."
        ),
        tag=TAG,
        params=(CODE,),
        body=schemas.ProductPatch,
        query=schemas.VendorQuery,
        answers=(Answer(200, "The product as changed", schemas.Product),),
        errors=(InvalidRequest, ProductNotFound),
    ),
)
