"""An answer of the vendor API checked against what the served OpenAPI document says of it."""

from __future__ import annotations

from typing import Any

from tests.conftest import require


def check_answer(document: dict[str, Any], method: str, path: str, status: int, body: Any) -> None:
    """Fails unless the document lists ``status`` for the operation and ``body`` is valid
    against the JSON schema documented for it (references resolved in the document)."""
    try:
        import jsonschema_rs
    except ImportError:
        require(False, "jsonschema_rs is not installed (pip install -e '.[dev]')")
        return
    operation = document["paths"][path][method.lower()]
    answer = operation["responses"].get(str(status))
    assert answer is not None, f"{method} {path} answered {status}, which is not documented"
    schema = answer["content"]["application/json"]["schema"]
    # The operation's schema with the document's components beside it, so that its
    # "#/components/schemas/..." references resolve.
    rooted = {**schema, "components": document["components"]}
    errors = [str(error) for error in jsonschema_rs.validator_for(rooted).iter_errors(body)]
    assert errors == [], f"{method} {path} {status}: {errors[:3]} in {body}"
