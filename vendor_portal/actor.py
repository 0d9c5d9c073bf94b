"""Who is asking: the signed-in user (or API key, or the command line) and from where."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from activation_server.errors import Forbidden


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    email: str
    role: str
    vendor_id: int | None
    address: str | None = None
    api_key_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"

    @property
    def name(self) -> str:
        """How the audit log and the order history name this actor."""
        if self.api_key_id is not None:
            return f"api_key:{self.api_key_id}"
        if self.user_id is None:
            return self.email
        return f"user:{self.user_id}"

    def scope(self) -> int | None:
        """The vendor whose data this actor may see; None for staff, who see everything."""
        return None if self.is_staff else self.vendor_id

    def scoped(self, vendor_id: int | None) -> int | None:
        """The company a list shows: a vendor's own whatever it asks for; for staff the one
        asked for, or None for all."""
        scope = self.scope()
        return scope if scope is not None else vendor_id

    def may_see(self, vendor_id: int | None) -> bool:
        return self.is_staff or (vendor_id is not None and vendor_id == self.vendor_id)

    def require_staff(self) -> None:
        if not self.is_staff:
            raise Forbidden("Only the operator's staff may do this.")

    def at(self, address: str | None) -> Actor:
        return replace(self, address=address)


def system_actor(name: str = "cli") -> Actor:
    """The command line and the demo seeder: staff rights, named in the audit log."""
    return Actor(user_id=None, email=name, role="staff", vendor_id=None)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
