"""Small steps of the vendor API shared by the tests."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient


async def ok(response: Any, status: int = 200) -> Any:
    body = await response.json()
    assert response.status == status, (response.status, body)
    return body


async def product(client: TestClient, account: Any, code: str = "ACME") -> dict[str, Any]:
    return await ok(
        await client.post(
            "/v1/products",
            json={"code": code, "name": f"{code} app", "features": ["export", "print"]},
            headers=account.headers,
        ),
        201,
    )


async def place(
    client: TestClient, account: Any, lines: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    lines = lines or [{"product": "ACME", "license_type": "SP1", "quantity": 50}]
    return await ok(
        await client.post("/v1/orders", json={"lines": lines}, headers=account.headers), 201
    )


async def invoice(client: TestClient, staff: Any, order_id: int) -> dict[str, Any]:
    return await ok(await client.post(f"/v1/orders/{order_id}/invoice", headers=staff.headers))


async def pay(client: TestClient, staff: Any, order_id: int, reference: str, **extra: Any) -> Any:
    return await client.post(
        f"/v1/orders/{order_id}/payments",
        json={"reference": reference, **extra},
        headers=staff.headers,
    )
