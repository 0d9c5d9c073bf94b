"""The licensee's address on a serial in the vendor API: the body that records it and the
answer that shows it."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

Email = Annotated[str, Meta(max_length=254, extra_json_schema={"format": "email"})]


class LicenseeEmail(msgspec.Struct, kw_only=True):
    """``email`` must be sent: an address records it, ``null`` removes it."""

    email: Email | None


class Licensee(msgspec.Struct, kw_only=True):
    serial: str
    email: Annotated[
        Email | None, Meta(description="Where the licensee's sign-in codes are mailed.")
    ]
