"""A vendor's serials: search and filters, one serial with its activations, block and unblock,
the serials of an order, and group work on pasted or uploaded lists."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any, Literal, get_args
from uuid import UUID

import asyncpg

from activation_server.activations import service as activations
from activation_server.activations.service import Deactivation
from activation_server.errors import ActivationNotFound, InvalidRequest, SerialNotFound
from vendor_portal.actor import Actor, iso
from vendor_portal.audit import queries as audit
from vendor_portal.serials import queries
from vendor_portal.serials.codec import MalformedSerial, canonicalize
from vendor_portal.serials.queries import ActivationRow, SerialFilters, SerialRow

LicenseType = Literal["SP1", "SP3", "SP5", "TRIAL30K", "TRIAL100K"]
Status = Literal["active", "blocked"]
SerialUsage = Literal["unused", "used", "exhausted"]
BulkAction = Literal["check", "block", "unblock"]
LICENSE_TYPES: tuple[str, ...] = get_args(LicenseType)
USAGES: tuple[str, ...] = get_args(SerialUsage)
STATUSES: tuple[str, ...] = get_args(Status)
ACTIONS = {"block": "blocked", "unblock": "active"}
BULK_ACTIONS: tuple[str, ...] = get_args(BulkAction)
MAX_BULK_LINES = 10_000
_SEARCH_FOLD = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEARCH_SYMBOLS = re.compile(r"[0-9A-HJKMNP-TV-Z]{1,20}")


CSV_COLUMNS = (
    "serial",
    "product",
    "license_type",
    "activation_limit",
    "used",
    "status",
    "features",
)


def serials_csv(rows: list[SerialRow]) -> str:
    """Serials as CSV (features space-separated), the same for the API and the portal."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            (
                row.serial,
                row.product,
                row.license_type,
                row.activation_limit,
                row.used,
                row.status,
                " ".join(row.features),
            )
        )
    return buffer.getvalue()


def serial_json(row: SerialRow) -> dict[str, Any]:
    return {
        "serial": row.serial,
        "product": row.product,
        "license_type": row.license_type,
        "type": "trial" if row.trial else "full",
        "features": list(row.features),
        "status": row.status,
        "activations": {"used": row.used, "limit": row.activation_limit},
        "order_id": row.order_id,
        "order_number": row.order_number,
        "valid_until": iso(row.valid_until),
        "created_at": iso(row.created_at),
    }


def activation_json(row: ActivationRow) -> dict[str, Any]:
    return {
        "activation_id": str(row.id),
        "fingerprint": row.fingerprint,
        "features": list(row.features),
        "client": row.client,
        "address": row.address,
        "via": row.via,
        "created_at": iso(row.created_at),
        "last_seen_at": iso(row.last_seen_at),
        "expires_at": iso(row.expires_at),
        "deactivated_at": iso(row.deactivated_at),
        "last_check_in_at": iso(row.last_check_in_at),
        "released_by": row.released_by,
        "components_changed": row.components_changed if row.components_changed_at else None,
        "components_changed_at": iso(row.components_changed_at),
    }


def search_fragment(value: str) -> str:
    """A part of a serial as a person types it, in the stored alphabet (no dashes)."""
    folded = value.upper().replace("-", "").replace(" ", "").translate(_SEARCH_FOLD)
    if not _SEARCH_SYMBOLS.fullmatch(folded):
        raise InvalidRequest(
            "The parameter 'q' must be part of a serial number: letters and digits, up to 20."
        )
    return folded


@dataclass(frozen=True)
class SerialPage:
    items: list[SerialRow]
    total: int
    limit: int
    offset: int

    def to_json(self) -> dict[str, Any]:
        return {
            "items": [serial_json(row) for row in self.items],
            "total": self.total,
            "limit": self.limit,
            "offset": self.offset,
        }


async def list_serials(
    pool: asyncpg.Pool, actor: Actor, filters: SerialFilters, limit: int, offset: int
) -> SerialPage:
    scope = actor.scope()
    if scope is not None:
        filters = SerialFilters(**{**filters.__dict__, "vendor_id": scope})
    async with pool.acquire() as connection:
        rows = await queries.serials(connection, filters, limit, offset)
        total = await queries.count(connection, filters)
    return SerialPage(rows, total, limit, offset)


async def _visible(connection: asyncpg.Connection, actor: Actor, value: str) -> SerialRow:
    row = await queries.serial(connection, value)
    if row is None or not actor.may_see(row.vendor_id):
        raise SerialNotFound()
    return row


async def get_serial(
    pool: asyncpg.Pool, actor: Actor, value: str, limit: int = 200, offset: int = 0
) -> tuple[SerialRow, list[ActivationRow]]:
    async with pool.acquire() as connection:
        row = await _visible(connection, actor, value)
        return row, await queries.activations(connection, value, limit, offset)


async def set_serial_status(
    pool: asyncpg.Pool, actor: Actor, value: str, action: str, reason: str | None = None
) -> SerialRow:
    """Blocks or unblocks one serial (a repeat changes nothing); activations answer
    SERIAL_BLOCKED from the next request on."""
    status = ACTIONS[action]
    async with pool.acquire() as connection, connection.transaction():
        row = await _visible(connection, actor, value)
        if await queries.set_status(connection, [value], status):
            await audit.record(
                connection,
                actor,
                f"serial.{status}",
                vendor_id=row.vendor_id,
                subject=f"serial:{value}",
                details={"reason": reason},
            )
        changed = await queries.serial(connection, value)
        assert changed is not None
        return changed


async def release_activation(
    pool: asyncpg.Pool, actor: Actor, activation_id: UUID, address: str | None
) -> Deactivation:
    """Frees a machine's slot at once, for the vendor (a dead PC, a new disk): within the
    serial's transfer budget; the machine learns it at its next check-in."""
    async with pool.acquire() as connection:
        found = await queries.activation_vendor(connection, activation_id)
    if found is None or not actor.may_see(found[0]):
        raise ActivationNotFound("No such activation.")
    return await activations.free(
        pool, activation_id, address=address, by="vendor", actor=actor.name
    )


async def list_machines(
    pool: asyncpg.Pool, actor: Actor, search: str | None, limit: int = 200, offset: int = 0
) -> list[queries.MachineRow]:
    """The vendor's live machines across its serials (a vendor's own list: staff see a vendor's
    machines on its serials' cards)."""
    vendor_id = actor.scope()
    if vendor_id is None:
        return []
    async with pool.acquire() as connection:
        return await queries.machines(connection, vendor_id, search, limit, offset)


async def change_features(
    pool: asyncpg.Pool, actor: Actor, serials: list[str], features: list[str]
) -> int:
    """Changes what sold serials license (an upgrade, a refund of a module): machines get the
    new features in a new license at their next activation or check-in. Returns how many."""
    async with pool.acquire() as connection, connection.transaction():
        found = await queries.licensed(connection, serials)
        if len(found) != len(set(serials)) or not all(actor.may_see(v) for _, v, _ in found):
            raise SerialNotFound()
        for serial, _, offered in found:
            unknown = sorted(set(features) - set(offered))
            if unknown:
                raise InvalidRequest(
                    f"{serial}: the product has no feature {', '.join(unknown)[:200]}."
                )
        await queries.set_features(connection, serials, features)
        await audit.record_many(
            connection,
            actor,
            "serial.features_changed",
            [(vendor_id, f"serial:{serial}") for serial, vendor_id, _ in found],
            {"features": features},
        )
    return len(found)


async def grant_transfers(pool: asyncpg.Pool, actor: Actor, value: str, extra: int) -> int:
    """Staff allow a serial more transfers than its product's budget; the new extra."""
    actor.require_staff()
    async with pool.acquire() as connection, connection.transaction():
        row = await _visible(connection, actor, value)
        granted = await queries.grant_transfers(connection, value, extra)
        await audit.record(
            connection,
            actor,
            "serial.transfers_granted",
            vendor_id=row.vendor_id,
            subject=f"serial:{value}",
            details={"extra": extra, "granted": granted},
        )
    return granted


async def order_serials(pool: asyncpg.Pool, actor: Actor, order_id: int) -> list[SerialRow]:
    from vendor_portal.orders.service import get_order

    await get_order(pool, actor, order_id)  # 404 for another vendor's order
    async with pool.acquire() as connection:
        return await queries.order_serials(connection, order_id)


# --- group work ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkLine:
    line: int
    input: str
    serial: str | None
    # ok | malformed | unknown | duplicate: another vendor's serial is "unknown", as if it did
    # not exist, so that group work tells no one which guessed serials are real.
    result: str


@dataclass(frozen=True)
class BulkResult:
    action: str
    lines: list[BulkLine]
    changed: int

    def to_json(self) -> dict[str, Any]:
        summary: dict[str, int] = {
            "ok": 0,
            "malformed": 0,
            "unknown": 0,
            "duplicate": 0,
        }
        for line in self.lines:
            summary[line.result] += 1
        return {
            "action": self.action,
            "lines": [
                {"line": x.line, "input": x.input, "serial": x.serial, "result": x.result}
                for x in self.lines
            ],
            "summary": summary,
            "changed": self.changed,
        }


_OTHER_SEPARATORS = re.compile(r"[;\t]")


def split_list(text: str, limit: int = MAX_BULK_LINES) -> list[tuple[int, str]]:
    """The entries of a pasted list or an uploaded CSV: the first non-empty cell of each row,
    with its line number; empty rows and a header row named 'serial' are skipped. Cells may
    also be separated by semicolons or tabs (spreadsheets export both)."""
    entries: list[tuple[int, str]] = []
    # newline="" leaves line ends to the csv module, which knows a lone "\r" as one too.
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        for number, row in enumerate(rows, start=1):
            cells = [cell.strip() for cell in row if cell.strip()]
            if not cells:
                continue
            first = _OTHER_SEPARATORS.split(cells[0], maxsplit=1)[0].strip().strip('"').strip()
            if not first:
                continue
            if number == 1 and first.lower() in ("serial", "serial number", "serials"):
                continue
            entries.append((number, first[:100]))
    except csv.Error as exc:
        raise InvalidRequest(f"The list is not readable as CSV: {exc}.") from None
    if len(entries) > limit:
        raise InvalidRequest(f"A list has at most {limit} serials.")
    return entries


async def bulk(
    pool: asyncpg.Pool, actor: Actor, action: str, entries: list[tuple[int, str]]
) -> BulkResult:
    """Checks every entry (malformed, unknown, duplicate, ok) and applies ``action``
    (block, unblock, or only check) to the valid ones, in one transaction."""
    if action not in BULK_ACTIONS:
        raise InvalidRequest(f"The action must be one of: {', '.join(BULK_ACTIONS)}.")
    if not entries:
        raise InvalidRequest("The list holds no serial numbers.")
    parsed: list[tuple[int, str, str | None]] = []
    for number, raw in entries:
        try:
            parsed.append((number, raw, canonicalize(raw)))
        except MalformedSerial:
            parsed.append((number, raw, None))
    wanted = sorted({value for _, _, value in parsed if value is not None})
    async with pool.acquire() as connection, connection.transaction():
        owners = await queries.owners(connection, wanted)
        seen: set[str] = set()
        lines: list[BulkLine] = []
        valid: list[str] = []
        for number, raw, value in parsed:
            if value is None:
                result = "malformed"
            elif value not in owners or not actor.may_see(owners[value]):
                result = "unknown"
            elif value in seen:
                result = "duplicate"
            else:
                result = "ok"
                valid.append(value)
            if value is not None:
                seen.add(value)
            lines.append(BulkLine(number, raw, value, result))
        changed: list[str] = []
        if action != "check" and valid:
            status = ACTIONS[action]
            changed = await queries.set_status(connection, valid, status)
            await audit.record_many(
                connection,
                actor,
                f"serial.{status}",
                [(owners[value], f"serial:{value}") for value in changed],
                {"bulk": True},
            )
    return BulkResult(action, lines, len(changed))
