"""The Documentation section: the API reference drawn on the server from the package's own
OpenAPI document (no script, no outside renderer), the SDK guide and the activation protocol
from the project's Markdown, and an index of the three. Open to everyone, signed in or not.

The guide and the protocol are read in the reader's language (``docs/<language>/``), English
where no translation is installed; the API reference's words come from the OpenAPI document
and stay English, under translated headings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web
from markdown_it import MarkdownIt

from vendor_portal.appkeys import API_REFERENCE
from vendor_portal.openapi.document import ApiReference
from vendor_portal.pages.context import page, render
from vendor_portal.pages.i18n import N_, gettext

PROJECT_DIR = Path(__file__).resolve().parents[2]
SDK_GUIDE = PROJECT_DIR / "docs" / "sdk.md"
README = PROJECT_DIR / "README.md"
PROTOCOL_HEADING = "## The activation API"
# A text of the section: the English original (a file, or its part from a heading on) and its
# translations, one file per language.
Text = tuple[Path, str | None]
TEXTS: dict[str, dict[str, Text]] = {
    "sdk": {"en": (SDK_GUIDE, None), "ru": (PROJECT_DIR / "docs" / "ru" / "sdk.md", None)},
    "protocol": {
        "en": (README, PROTOCOL_HEADING),
        "ru": (PROJECT_DIR / "docs" / "ru" / "protocol.md", None),
    },
}
# The OpenAPI document's tags in the order a vendor meets them, as the reference's headings
# name them.
TAG_NAMES = {
    "activation": N_("Activation"),
    "accounts": N_("Accounts"),
    "products": N_("Products"),
    "orders": N_("Orders"),
    "serials": N_("Serial numbers"),
    "balances": N_("Balance"),
    "pricing": N_("Terms and prices"),
    "keys": N_("Signing keys"),
    "audit": N_("Audit log"),
    "meta": N_("Service"),
}
TAG_ORDER = tuple(TAG_NAMES)
METHODS = ("get", "post", "put", "patch", "delete")


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
def reference(api: ApiReference) -> tuple[list[Section], dict[str, str]]:
    """The operations grouped by tag, and every component schema as JSON text."""
    spec = api.document
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


def _text(request: web.Request, name: str) -> tuple[str | None, str]:
    """The text in the reader's language, else in English; and the language it is in."""
    language = page(request).language
    versions = TEXTS[name]
    if language in versions:
        body = _markdown_file(*versions[language])
        if body is not None:
            return body, language
    return _markdown_file(*versions["en"]), "en"


def tag_name(tag: str) -> str:
    return gettext(TAG_NAMES[tag]) if tag in TAG_NAMES else tag


async def docs_index(request: web.Request) -> web.StreamResponse:
    sections, _ = reference(request.config_dict[API_REFERENCE])
    count = sum(len(section.operations) for section in sections)
    return render(request, "docs/index.html", {"doc": "index", "operation_count": count})


async def docs_api(request: web.Request) -> web.StreamResponse:
    sections, schemas = reference(request.config_dict[API_REFERENCE])
    return render(
        request,
        "docs/api.html",
        {
            "doc": "api",
            "sections": sections,
            "schemas": schemas,
            "spec": request.config_dict[API_REFERENCE].document,
            "tag_name": tag_name,
        },
    )


# Redoc draws with styles it writes into the page and searches in a worker it starts from a blob:
# this page alone allows those two, and still loads scripts only from the package.
REFERENCE_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src blob:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)


async def docs_reference(request: web.Request) -> web.StreamResponse:
    """The interactive reference: the vendored Redoc bundle drawing /v1/openapi.json."""
    response = render(request, "docs/reference.html", {"doc": "reference"})
    response.headers["Content-Security-Policy"] = REFERENCE_POLICY
    return response


async def docs_sdk(request: web.Request) -> web.StreamResponse:
    body, language = _text(request, "sdk")
    return render(
        request,
        "docs/text.html",
        {"doc": "sdk", "body": body, "body_language": language, "extra": None},
    )


async def docs_protocol(request: web.Request) -> web.StreamResponse:
    sections, _ = reference(request.config_dict[API_REFERENCE])
    activation = next((s for s in sections if s.tag == "activation"), None)
    body, language = _text(request, "protocol")
    return render(
        request,
        "docs/text.html",
        {"doc": "protocol", "body": body, "body_language": language, "extra": activation},
    )
