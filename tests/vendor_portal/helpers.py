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


async def documented(client: TestClient, response: Any, method: str, template: str) -> Any:
    """The answer's JSON body, after checking it against what /v1/openapi.json says the
    operation answers with that status."""
    import jsonschema_rs  # schemathesis's validator

    document = await (await client.get("/v1/openapi.json")).json()
    body = await response.json()
    operation = document["paths"][template][method.lower()]
    answer = operation["responses"].get(str(response.status))
    assert answer is not None, (method, template, response.status, body)
    schema = answer["content"]["application/json"]["schema"]
    # The schema's references point into the document's components.
    jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]}).validate(
        body
    )
    return body


async def answers_as_documented(
    client: TestClient,
    method: str,
    template: str,
    path: str,
    status: int,
    headers: dict[str, str],
    **options: Any,
) -> Any:
    """Calls ``path`` (the operation ``template``), expects ``status`` and checks the body
    against the document."""
    response = await client.request(method, path, headers=headers, **options)
    assert response.status == status, (method, path, await response.text())
    return await documented(client, response, method, template)
