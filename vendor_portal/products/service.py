"""Products and their feature (module) codes; a product code is unique within its vendor (a
license names the product by code and its vendor by the key that signed it)."""

from __future__ import annotations

from typing import Any

import asyncpg

from activation_server.errors import InvalidRequest
from vendor_portal.accounts import queries as accounts
from vendor_portal.actor import Actor, iso
from vendor_portal.audit import queries as audit
from vendor_portal.errors import ProductCodeTaken, ProductNotFound, VendorNotFound
from vendor_portal.products import queries
from vendor_portal.products.queries import Product


def product_json(product: Product) -> dict[str, Any]:
    return {
        "code": product.code,
        "name": product.name,
        "features": list(product.features),
        "vendor_id": product.vendor_id,
        "created_at": iso(product.created_at),
        "check_in_days": product.check_in_days,
        "grace_days": product.grace_days,
        "transfer_budget": product.transfer_budget,
        "binding_tolerance": product.binding_tolerance,
        "self_service": product.self_service,
    }


async def create_product(
    pool: asyncpg.Pool,
    actor: Actor,
    *,
    code: str,
    name: str,
    features: list[str],
    vendor_id: int | None = None,
) -> Product:
    if actor.is_staff:
        if vendor_id is None:
            raise InvalidRequest("Staff name the company: the field 'vendor_id' is required.")
    else:
        vendor_id = actor.vendor_id
    assert vendor_id is not None
    try:
        async with pool.acquire() as connection, connection.transaction():
            if await accounts.vendor(connection, vendor_id) is None:
                raise VendorNotFound()
            product = await queries.insert_product(connection, vendor_id, code, name, features)
            await audit.record(
                connection,
                actor,
                "product.created",
                vendor_id=vendor_id,
                subject=f"product:{code}",
                details={"features": features},
            )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "products_vendor_code_key":
            raise ProductCodeTaken() from None
        raise
    return product


def _scoped(actor: Actor, vendor_id: int | None) -> int | None:
    """The company whose products a list shows: a vendor's own, or the one staff name."""
    scope = actor.scope()
    return vendor_id if scope is None else scope


async def list_products(
    pool: asyncpg.Pool, actor: Actor, vendor_id: int | None, limit: int, offset: int
) -> list[Product]:
    async with pool.acquire() as connection:
        return await queries.products(connection, _scoped(actor, vendor_id), limit, offset)


async def product_page(
    pool: asyncpg.Pool, actor: Actor, vendor_id: int | None, limit: int, offset: int
) -> tuple[int, list[Product]]:
    """How many products the list shows in all, and one page of them."""
    vendor_id = _scoped(actor, vendor_id)
    async with pool.acquire() as connection:
        total = await queries.count_products(connection, vendor_id)
        return total, await queries.products(connection, vendor_id, limit, offset)


async def visible_product(
    connection: asyncpg.Connection, actor: Actor, code: str, vendor_id: int | None = None
) -> Product:
    """The actor's product of this code. Staff see every vendor's and name the vendor when two
    vendors use one code."""
    scope = actor.scope()
    found = await queries.products_by_code(
        connection, code, scope if scope is not None else vendor_id
    )
    if not found:
        raise ProductNotFound(f"No such product: {code[:64]!r}.")
    if len(found) > 1:
        raise InvalidRequest(
            f"Several companies have a product {code[:64]!r}: name one with 'vendor_id'."
        )
    return found[0]


async def get_product(
    pool: asyncpg.Pool, actor: Actor, code: str, vendor_id: int | None = None
) -> Product:
    async with pool.acquire() as connection:
        return await visible_product(connection, actor, code, vendor_id)


async def update_product(
    pool: asyncpg.Pool,
    actor: Actor,
    code: str,
    *,
    name: str | None,
    features: list[str] | None,
    vendor_id: int | None = None,
    check_in_days: int | None = None,
    grace_days: int | None = None,
    transfer_budget: int | None = None,
    binding_tolerance: int | None = None,
    self_service: bool | None = None,
) -> Product:
    """Renames a product, replaces its features, sets its check-in policy or turns licensee
    self-service on or off. Serials issued
    already keep their features: a license once sold is not narrowed behind the customer's
    back. A new policy reaches each machine with its next license (activation or check-in); a
    binding tolerance, the activations made from then on (they keep their components)."""
    async with pool.acquire() as connection, connection.transaction():
        product = await visible_product(connection, actor, code, vendor_id)
        updated = await queries.update_product(
            connection,
            product.id,
            name,
            features,
            check_in_days,
            grace_days,
            transfer_budget,
            binding_tolerance,
            self_service,
        )
        await audit.record(
            connection,
            actor,
            "product.updated",
            vendor_id=product.vendor_id,
            subject=f"product:{code}",
            details={
                "name": name,
                "features": features,
                "features_before": product.features,
                "check_in_days": check_in_days,
                "grace_days": grace_days,
                "transfer_budget": transfer_budget,
                "binding_tolerance": binding_tolerance,
                "self_service": self_service,
            },
        )
    return updated
