"""The activation API's OpenAPI 3.1 document, written from its endpoints' declarations."""

from __future__ import annotations

from functools import cache
from typing import Any

from activation_server.activations.endpoints import ENDPOINTS as ACTIVATIONS
from activation_server.declare import Endpoint, openapi
from activation_server.errors import PayloadTooLarge, RequestTimeout, ServiceUnavailable
from activation_server.keys.endpoints import ENDPOINTS as KEYS

ENDPOINTS: tuple[Endpoint, ...] = (*ACTIVATIONS, *KEYS)
# Any operation may find the database away; any that reads a body may find it too large or slow.
ALWAYS = (ServiceUnavailable,)
ON_BODY = (RequestTimeout, PayloadTooLarge)


@cache
def document() -> dict[str, Any]:
    return openapi(
        ENDPOINTS,
        title="Activation API",
        description=(
            "Serial activation, validation, check-in and deactivation, and the public signing "
            'keys (DESIGN.md §3). Every error is {"error": {"code", "message"}}.'
        ),
        always=ALWAYS,
        on_body=ON_BODY,
    )
