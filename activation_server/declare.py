"""One declaration per endpoint: the route, the reading of its body and its OpenAPI 3.1 entry.

An :class:`Endpoint` names the method, path, handler, operationId, summary, description, tag,
body and query types, path parameters, answers and the domain errors it may raise.
:func:`add_routes` mounts a list of them (the body and the query are read into their declared
types before the handler sees them: ``handler(request, body, query)``, each only when declared)
and :func:`openapi` writes the document from the same list, so what is parsed and what is
documented cannot drift apart. A list answers one envelope, :class:`Page`.

Bodies are ``msgspec.Struct`` types, read by :mod:`activation_server.bodies`: msgspec in strict
mode (no "1" for 1), under the strict-JSON rules of ``parse_json`` (no NaN, Infinity, 1e999,
lone surrogate, NUL, nesting past 32).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from aiohttp import web

from activation_server.bodies import QueryReader, decode, decode_optional, decoder
from activation_server.errors import ApiError
from activation_server.http import read_body

Schema = dict[str, Any]
Handler = Callable[..., Awaitable[web.StreamResponse]]

_REF = "#/components/schemas/{name}"


@dataclass(frozen=True, slots=True)
class Param:
    """A path or query parameter; ``schema`` is its JSON Schema."""

    name: str
    where: str  # "path" or "query"
    schema: Schema
    description: str = ""
    required: bool = False
    deprecated: bool = False

    def openapi(self) -> Schema:
        param: Schema = {
            "name": self.name,
            "in": self.where,
            "required": self.required or self.where == "path",
            "schema": self.schema,
        }
        if self.description:
            param["description"] = self.description
        if self.deprecated:
            param["deprecated"] = True
        return param


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful answer: its status, what it means and the type of its body (a msgspec
    type, or a ready JSON Schema for bodies no type describes)."""

    status: int
    description: str
    body: Any = None
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    operation_id: str
    summary: str
    description: str
    tag: str
    answers: tuple[Answer, ...]
    errors: tuple[type[ApiError], ...] = ()
    body: type[msgspec.Struct] | None = None
    # An action whose options may all be left out: no body is the body type's defaults.
    body_required: bool = True
    query: type[msgspec.Struct] | None = None
    params: tuple[Param, ...] = ()
    public: bool = False
    # Only the operator's staff may call it: anyone else is refused (403) before the body is
    # read, so that no one learns a staff action's rules from its refusals.
    staff: bool = False
    deprecated: bool = False
    # A body the handler reads itself (another size limit, media types besides JSON): each
    # media type's msgspec type or JSON Schema, documented; nothing is read before the handler.
    own_body: Mapping[str, Any] = field(default_factory=dict)


Reader = Callable[[web.Request], Awaitable[Any]]


def _readers(endpoint: Endpoint) -> list[Reader]:
    readers: list[Reader] = []
    kind = endpoint.body
    if kind is not None:
        body_reader = decoder(kind)
        required = endpoint.body_required

        async def read(request: web.Request) -> Any:
            raw = await read_body(request)
            if required:
                return decode(raw, body_reader)
            return decode_optional(raw, body_reader, kind)

        readers.append(read)
    if endpoint.query is not None:
        query_reader = QueryReader(endpoint.query)

        async def read_query(request: web.Request) -> Any:
            return query_reader.read(request.query)

        readers.append(read_query)
    return readers


def handler_of(endpoint: Endpoint) -> Handler:
    """The aiohttp handler: the declared body and query read, then the endpoint's own handler."""
    inner = endpoint.handler
    if endpoint.body is not None and endpoint.body_required and endpoint.query is None:
        # The activation API's shape, on its hot path: one body, nothing else to read.
        reader = decoder(endpoint.body)

        async def handle(request: web.Request) -> web.StreamResponse:
            return await inner(request, decode(await read_body(request), reader))

    else:
        readers = _readers(endpoint)
        if not readers:
            return inner

        async def handle(request: web.Request) -> web.StreamResponse:
            return await inner(request, *[await read(request) for read in readers])

    # Named after the endpoint's own handler, so that a route tells whose it is.
    handle.__name__ = getattr(inner, "__name__", endpoint.operation_id)
    handle.__qualname__ = getattr(inner, "__qualname__", handle.__name__)
    handle.__module__ = inner.__module__
    return handle


ItemT = TypeVar("ItemT")
Limit = Annotated[int, msgspec.Meta(ge=1, le=1000, description="At most this many items.")]
Offset = Annotated[
    int, msgspec.Meta(ge=0, le=10_000_000, description="Skip this many items first.")
]


class PageQuery(msgspec.Struct, kw_only=True):
    """The query of a list; a list's own filters extend it."""

    limit: Limit = 50
    offset: Offset = 0


class NoOptions(msgspec.Struct):
    """The body of an action that takes no options yet: none at all, or a JSON object whose
    fields are ignored (and which is held to the strict-JSON rules like any body)."""


class Page(msgspec.Struct, Generic[ItemT], kw_only=True):
    """Every list of the API: the items of this page, how many there are in all, and the page
    asked for."""

    items: list[ItemT]
    total: int
    limit: int
    offset: int


def page(items: list[Any], total: int, query: PageQuery, **extra: Any) -> dict[str, Any]:
    """A list's answer as :class:`Page` writes it (``extra``: keys kept for older clients)."""
    return {"items": items, "total": total, "limit": query.limit, "offset": query.offset, **extra}


def add_routes(
    router: web.UrlDispatcher,
    endpoints: Iterable[Endpoint],
    wrap: Callable[[Endpoint, Handler], Handler] | None = None,
) -> None:
    for endpoint in endpoints:
        handler = handler_of(endpoint)
        if wrap is not None:
            handler = wrap(endpoint, handler)
        router.add_route(endpoint.method, endpoint.path, handler)


# What a refusal of each status means in general; the codes come from the declared errors.
_STATUS_TEXT = {
    400: "Malformed request",
    401: "No valid bearer token",
    403: "Not allowed",
    404: "Not found, or another vendor's",
    405: "Method not allowed",
    408: "The body did not arrive in time",
    409: "Conflicts with the current state",
    413: "Body too large",
    415: "Unsupported media type",
    429: "Too many attempts; see Retry-After",
    503: "Database unavailable; see Retry-After",
}


def openapi(
    endpoints: Sequence[Endpoint],
    *,
    title: str,
    description: str,
    extra_types: Iterable[Any] = (),
    always: tuple[type[ApiError], ...] = (),
    on_body: tuple[type[ApiError], ...] = (),
    security_schemes: Schema | None = None,
) -> Schema:
    """The OpenAPI 3.1 document of the endpoints. ``always`` are errors any operation may
    answer (database unavailable), ``on_body`` those of any operation that reads a body."""
    paths, components = paths_and_components(
        endpoints, extra_types=extra_types, always=always, on_body=on_body
    )
    document: Schema = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1", "description": description},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": components},
    }
    if security_schemes:
        document["components"]["securitySchemes"] = security_schemes
    return document


def paths_and_components(
    endpoints: Sequence[Endpoint],
    *,
    extra_types: Iterable[Any] = (),
    always: tuple[type[ApiError], ...] = (),
    on_body: tuple[type[ApiError], ...] = (),
    signed_in: tuple[type[ApiError], ...] = (),
    staff: tuple[type[ApiError], ...] = (),
) -> tuple[dict[str, Schema], dict[str, Schema]]:
    """The document's ``paths`` and ``components.schemas`` written from the endpoints;
    ``signed_in`` are the refusals of any operation that is not public (no valid token),
    ``staff`` those of a staff action (anyone else)."""
    types: list[Any] = [*extra_types]
    for endpoint in endpoints:
        if endpoint.body is not None:
            types.append(endpoint.body)
        types.extend(
            answer.body
            for answer in endpoint.answers
            if answer.body is not None and not isinstance(answer.body, dict)
        )
        types.extend(kind for kind in endpoint.own_body.values() if not isinstance(kind, dict))
    unique = list(dict.fromkeys(types))
    schemas, components = msgspec.json.schema_components(unique, ref_template=_REF)
    by_type = dict(zip(unique, schemas, strict=True))
    components["Error"] = ERROR_SCHEMA
    paths: dict[str, Schema] = {}
    for endpoint in endpoints:
        refusals = [
            *always,
            *(on_body if endpoint.body is not None or endpoint.own_body else ()),
            *(() if endpoint.public else signed_in),
            *(staff if endpoint.staff else ()),
        ]
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(
            endpoint, by_type, tuple(refusals)
        )
    return paths, dict(sorted(components.items()))


def query_params(kind: type[msgspec.Struct]) -> list[Schema]:
    """A query type's fields as OpenAPI parameters."""
    schema = msgspec.json.schema(kind, ref_template="#/$defs/{name}")
    definitions = schema.get("$defs", {})
    struct = definitions[kind.__name__] if "$ref" in schema else schema
    required = set(struct.get("required", ()))
    params = []
    for name, field_schema in struct["properties"].items():
        inner = dict(field_schema)
        param: Schema = {"name": name, "in": "query", "required": name in required}
        description = inner.pop("description", None)
        if description:
            param["description"] = description
        param["schema"] = inner
        params.append(param)
    return params


ERROR_SCHEMA: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "additionalProperties": True,
        }
    },
}


def _operation(
    endpoint: Endpoint, by_type: Mapping[Any, Schema], refusals: tuple[type[ApiError], ...]
) -> Schema:
    responses: dict[str, Schema] = {}
    for answer in endpoint.answers:
        entry: Schema = {"description": answer.description}
        if answer.body is not None:
            schema = answer.body if isinstance(answer.body, dict) else by_type[answer.body]
            entry["content"] = {answer.content_type: {"schema": schema}}
        if answer.headers:
            entry["headers"] = {
                name: {"description": text, "schema": {"type": "string"}}
                for name, text in answer.headers.items()
            }
        same = responses.get(str(answer.status))
        if same is not None and "content" in entry:
            # One status, several media types (JSON, or CSV when asked for): one response.
            same.setdefault("content", {}).update(entry["content"])
            continue
        responses[str(answer.status)] = entry
    errors = [*endpoint.errors, *refusals]
    codes: dict[int, list[str]] = {}
    for error in errors:
        listed = codes.setdefault(error.status, [])
        if error.code not in listed:
            listed.append(error.code)
    for status in sorted(codes):
        text = _STATUS_TEXT.get(status, "Refused")
        responses[str(status)] = {
            "description": f"{text} ({', '.join(codes[status])})",
            "content": {"application/json": {"schema": {"$ref": _REF.format(name="Error")}}},
        }
    operation: Schema = {
        "operationId": endpoint.operation_id,
        "summary": endpoint.summary,
        "description": endpoint.description,
        "tags": [endpoint.tag],
    }
    if endpoint.public:
        operation["security"] = []
    if endpoint.deprecated:
        operation["deprecated"] = True
    parameters = [param.openapi() for param in endpoint.params]
    if endpoint.query is not None:
        parameters.extend(query_params(endpoint.query))
    if parameters:
        operation["parameters"] = parameters
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": endpoint.body_required,
            "content": {"application/json": {"schema": by_type[endpoint.body]}},
        }
    elif endpoint.own_body:
        operation["requestBody"] = {
            "required": True,
            "content": {
                media: {"schema": kind if isinstance(kind, dict) else by_type[kind]}
                for media, kind in endpoint.own_body.items()
            },
        }
    operation["responses"] = responses
    return operation
