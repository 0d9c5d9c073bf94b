"""GET /v1/keys and GET /v1/vendors/{public_id}/keys, declared once for the router and the
OpenAPI document."""

from __future__ import annotations

from typing import Any

import msgspec

from activation_server.declare import Answer, Endpoint, Param
from activation_server.errors import NotFound
from activation_server.keys import handlers

TAG = "activation"


class Jwks(msgspec.Struct):
    """Ed25519 public keys (``kty: OKP``, ``crv: Ed25519``, ``kid``), current key first."""

    keys: list[dict[str, Any]]


_CACHED = {"Cache-Control": "public, max-age=300"}

ENDPOINTS = (
    Endpoint(
        "GET",
        "/v1/keys",
        handlers.get_keys,
        operation_id="listSigningKeys",
        summary="Public signing keys (JWKS)",
        description=(
            "Every key that signs licenses, current first; retired keys stay listed so that old "
            "licenses still verify."
        ),
        tag=TAG,
        answers=(Answer(200, "The JWKS", Jwks, headers=_CACHED),),
        public=True,
    ),
    Endpoint(
        "GET",
        "/v1/vendors/{public_id}/keys",
        handlers.get_vendor_keys,
        operation_id="listVendorSigningKeys",
        summary="One vendor's signing keys",
        description="The JWKS that the vendor's applications pin: current, next, retired keys.",
        tag=TAG,
        answers=(Answer(200, "The vendor's JWKS", Jwks, headers=_CACHED),),
        errors=(NotFound,),
        params=(Param("public_id", "path", {"type": "string", "format": "uuid"}),),
        public=True,
    ),
)
