"""What every declared operation of a feature must carry in the served document, and its list
answers' paging checked against the rows the database holds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from activation_server.declare import Endpoint
from tests.vendor_portal.helpers import ok


async def served_document(client: Any) -> dict[str, Any]:
    return dict(await ok(await client.get("/v1/openapi.json")))


async def check_refused(response: Any, field: str, *what: object) -> None:
    """400 INVALID_REQUEST naming the field (or query parameter) that is wrong."""
    answer = await response.json()
    assert response.status == 400, (what, answer)
    assert answer["error"]["code"] == "INVALID_REQUEST", (what, answer)
    assert field in answer["error"]["message"], (what, answer)


def check_described(document: dict[str, Any], endpoints: Sequence[Endpoint]) -> None:
    """Each endpoint is in the document with a unique operationId, a summary, a description of
    a sentence or more, a tag and a documented answer."""
    every = [
        operation["operationId"]
        for operations in document["paths"].values()
        for operation in operations.values()
        if "operationId" in operation
    ]
    assert len(every) == len(set(every)), sorted(i for i in every if every.count(i) > 1)
    for endpoint in endpoints:
        operation = document["paths"][endpoint.path][endpoint.method.lower()]
        where = f"{endpoint.method} {endpoint.path}"
        assert operation["operationId"] == endpoint.operation_id, where
        assert endpoint.operation_id[0].islower() and endpoint.operation_id.isalnum(), where
        assert operation["summary"].strip(), where
        assert operation["description"].rstrip().endswith((".", ")")), where
        assert operation["tags"] == [endpoint.tag], where
        assert any(status.startswith("2") for status in operation["responses"]), where
        if not endpoint.public:
            assert "401" in operation["responses"], where


def check_page(body: dict[str, Any], *, total: int, limit: int, offset: int) -> list[Any]:
    """The list envelope: this page's items, and the total of all matching rows."""
    assert (body["total"], body["limit"], body["offset"]) == (total, limit, offset), body
    assert len(body["items"]) == max(0, min(limit, total - offset)), body
    return list(body["items"])
