"""A vendor's signing keys and revocation lists in the vendor API: the query that names the
company (staff) and the answers."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from activation_server.bodies import Time
from activation_server.keys.endpoints import Jwks


class KeyState(msgspec.Struct, kw_only=True):
    kid: str
    state: Literal["next", "current", "retired"]
    created_at: Time
    promoted_at: Time | None
    retired_at: Time | None


class SigningKeys(msgspec.Struct, kw_only=True):
    jwks_url: Annotated[str, Meta(description="Where the company's JWKS is published.")]
    jwks: Jwks
    keys: list[KeyState]


class RevocationList(msgspec.Struct, kw_only=True):
    sequence: Annotated[int, Meta(ge=1, description="Numbered after the company's last list.")]
    issued_at: Time
    serials: Annotated[int, Meta(ge=0, description="Blocked and ended serials listed.")]
    activations: Annotated[int, Meta(ge=0, description="Released and deactivated machines.")]
    token: Annotated[str, Meta(description="The signed list: the file offline machines load.")]
