"""The OpenAPI document covers every /v1 route of the application."""

from __future__ import annotations

from tests.vendor_portal.helpers import ok


async def test_every_v1_route_is_documented(client, app):
    document = await ok(await client.get("/v1/openapi.json"))
    assert document["openapi"].startswith("3.1")
    missing = []
    routes = 0
    for resource in app.router.resources():
        info = resource.get_info()
        path = info.get("path") or info.get("formatter")
        if not path or not path.startswith("/v1/"):
            continue
        for route in resource:
            if route.method == "HEAD":
                continue
            routes += 1
            operation = document["paths"].get(path, {}).get(route.method.lower())
            if operation is None:
                missing.append(f"{route.method} {path}")
    assert routes > 30
    assert missing == []


async def test_every_reference_resolves(client):
    document = await ok(await client.get("/v1/openapi.json"))
    schemas = document["components"]["schemas"]

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref is not None:
                assert ref.removeprefix("#/components/schemas/") in schemas, ref
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
