"""The Documentation section: the API reference drawn on the server from the package's own
OpenAPI document (no script, no outside renderer), the SDK guide and the activation protocol
from the project's Markdown, and an index of the three. Open to everyone, signed in or not."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web
from markdown_it import MarkdownIt

from vendor_portal.openapi.document import document
from vendor_portal.pages.context import render

PROJECT_DIR = Path(__file__).resolve().parents[2]
SDK_GUIDE = PROJECT_DIR / "docs" / "sdk.md"
README = PROJECT_DIR / "README.md"
PROTOCOL_HEADING = "## The activation API"
METHODS = ("get", "post", "put", "patch", "delete")
# Tags of the OpenAPI document in the order a vendor meets them.
TAG_ORDER = ("activation", "auth", "account", "products", "orders", "serials", "balance", "audit")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    public: bool
    parameters: list[dict[str, Any]]
    body: str | None
    responses: list[tuple[str, str, str | None]]
    anchor: str


@dataclass(frozen=True)
class Section:
    tag: str
    operations: list[Operation]


def _schema_text(content: dict[str, Any] | None) -> str | None:
    """A body's schema as indented JSON, ``$ref`` names kept short."""
    if not content:
        return None
    schema = next(iter(content.values())).get("schema")
    if schema is None:
        return None
    return json.dumps(schema, indent=2, ensure_ascii=False).replace("#/components/schemas/", "")


@cache
def reference() -> tuple[list[Section], dict[str, str]]:
    """The operations grouped by tag, and every component schema as JSON text."""
    spec = document()
    by_tag: dict[str, list[Operation]] = {}
    for path, item in spec["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody", {}).get("content")
            responses = [
                (status, answer.get("description", ""), _schema_text(answer.get("content")))
                for status, answer in op.get("responses", {}).items()
            ]
            operation = Operation(
                method=method.upper(),
                path=path,
                summary=op.get("summary", ""),
                public=op.get("security") == [],
                parameters=op.get("parameters", []),
                body=_schema_text(body),
                responses=responses,
                anchor=f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
            )
            by_tag.setdefault(op.get("tags", ["other"])[0], []).append(operation)
    ordered = sorted(
        by_tag, key=lambda tag: (TAG_ORDER.index(tag) if tag in TAG_ORDER else len(TAG_ORDER), tag)
    )
    schemas = {
        name: json.dumps(schema, indent=2, ensure_ascii=False).replace("#/components/schemas/", "")
        for name, schema in spec.get("components", {}).get("schemas", {}).items()
    }
    return [Section(tag, by_tag[tag]) for tag in ordered], schemas


_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


@cache
def _markdown_file(path: Path, start: str | None = None) -> str | None:
    """The file (or its section from the heading ``start`` to the next one of the same level)
    as HTML; None when the file is not installed beside the package."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    if start is not None:
        index = text.find(start)
        if index < 0:
            return None
        level = start.split(" ")[0] + " "
        following = text.find("\n" + level, index + len(start))
        text = text[index : following if following > 0 else len(text)]
    # Code blocks and tables scroll sideways on a phone: focusable, so a keyboard scrolls them.
    html = str(_markdown.render(text))
    return html.replace("<pre>", '<pre tabindex="0">').replace("<table>", '<table tabindex="0">')


async def docs_index(request: web.Request) -> web.StreamResponse:
    sections, _ = reference()
    count = sum(len(section.operations) for section in sections)
    return render(request, "docs/index.html", {"doc": "index", "operation_count": count})


async def docs_api(request: web.Request) -> web.StreamResponse:
    sections, schemas = reference()
    return render(
        request,
        "docs/api.html",
        {"doc": "api", "sections": sections, "schemas": schemas, "spec": document()},
    )


async def docs_sdk(request: web.Request) -> web.StreamResponse:
    return render(
        request, "docs/text.html", {"doc": "sdk", "body": _markdown_file(SDK_GUIDE), "extra": None}
    )


async def docs_protocol(request: web.Request) -> web.StreamResponse:
    sections, _ = reference()
    activation = next((s for s in sections if s.tag == "activation"), None)
    return render(
        request,
        "docs/text.html",
        {
            "doc": "protocol",
            "body": _markdown_file(README, PROTOCOL_HEADING),
            "extra": activation,
        },
    )
