"""GET /v1/openapi.json, declared like every other operation of the vendor API."""

from __future__ import annotations

from activation_server.declare import Answer, Endpoint
from vendor_portal.openapi import handlers

ENDPOINTS = (
    Endpoint(
        "GET",
        "/v1/openapi.json",
        handlers.get_openapi,
        operation_id="getOpenApi",
        summary="This document",
        description=(
            "The OpenAPI 3.1 document of the activation API and the vendor API, written from "
            "the same declarations the server reads requests by. The portal's API reference "
            "page draws it."
        ),
        tag="meta",
        answers=(Answer(200, "The OpenAPI 3.1 document", {"type": "object"}),),
        public=True,
    ),
)
