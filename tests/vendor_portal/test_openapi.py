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


async def test_every_operation_is_declared_named_and_described(client, app):
    from activation_server.openapi import ENDPOINTS as ACTIVATION
    from vendor_portal.appkeys import API_REFERENCE

    document = await ok(await client.get("/v1/openapi.json"))
    declared = {
        (endpoint.path, endpoint.method.lower())
        for endpoint in (*ACTIVATION, *app[API_REFERENCE].declared)
    }
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    # Nothing is documented that no declaration says: the document is written from them alone.
    assert documented == declared
    operations = [op for item in document["paths"].values() for op in item.values()]
    ids = [op["operationId"] for op in operations]
    assert len(set(ids)) == len(ids)
    for op in operations:
        assert op["summary"] and op["description"] and op["tags"], op["operationId"]


# Answers whose items are the lines of one document, not a collection to page through.
DOCUMENTS = {"/v1/price-list": "the whole price list, a row per license type"}


async def test_every_list_answers_one_envelope(client):
    document = await ok(await client.get("/v1/openapi.json"))
    schemas = document["components"]["schemas"]

    def resolve(schema):
        while "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    lists = 0
    wrong = []
    for path, item in document["paths"].items():
        op = item.get("get")
        answer = (op or {}).get("responses", {}).get("200", {}).get("content", {})
        if "application/json" not in answer or path in DOCUMENTS:
            continue
        properties = resolve(answer["application/json"]["schema"]).get("properties", {})
        if resolve(properties.get("items", {})).get("type") != "array":
            continue
        lists += 1
        params = {param["name"] for param in op.get("parameters", ())}
        envelope = {"items", "total", "limit", "offset"} <= set(properties)
        if not envelope or not {"limit", "offset"} <= params:
            wrong.append(path)
    assert wrong == []
    assert lists >= 8
