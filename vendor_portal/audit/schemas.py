"""The query and answer of GET /v1/audit as msgspec types: read from requests, and the source of
the API reference's schemas. Free text that is only spaces or cannot be stored is refused by the
handler (:func:`vendor_portal.parsing.checked_text`): a type cannot say it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from activation_server.declare import Limit, PageQuery
from vendor_portal.parsing import MAX_BIGINT


class AuditQuery(PageQuery, kw_only=True):
    limit: Limit = 100
    action: (
        Annotated[
            str, Meta(min_length=1, max_length=64, description="Only this action (order.placed).")
        ]
        | None
    ) = None
    subject: (
        Annotated[
            str, Meta(min_length=1, max_length=200, description="Only this subject (order:42).")
        ]
        | None
    ) = None
    vendor_id: (
        Annotated[int, Meta(ge=1, le=MAX_BIGINT, description="Staff: one company's entries.")]
        | None
    ) = None


class AuditEntry(msgspec.Struct, kw_only=True):
    id: int
    at: Annotated[datetime, Meta(description="UTC, ISO 8601.")]
    actor: Annotated[str, Meta(description="Who acted: an e-mail address, or the system.")]
    vendor_id: int | None
    action: str
    subject: str | None
    address: Annotated[str | None, Meta(description="The client's IP address.")]
    details: dict[str, Any]
