"""One declaration per endpoint: the route, the reading of its body and its OpenAPI 3.1 entry.

An :class:`Endpoint` names the method, path, handler, operationId, summary, description, tag,
body type, parameters, answers and the domain errors it may raise. :func:`add_routes` mounts a
list of them (the body is decoded into its declared type before the handler sees it) and
:func:`openapi` writes the document from the same list, so what is parsed and what is
documented cannot drift apart.

Bodies are ``msgspec.Struct`` types, read by :mod:`activation_server.bodies`: msgspec in strict
mode (no "1" for 1), under the strict-JSON rules of ``parse_json`` (no NaN, Infinity, 1e999,
lone surrogate, NUL, nesting past 32).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web

from activation_server.bodies import decode, decoder
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
    params: tuple[Param, ...] = ()
    public: bool = False
    deprecated: bool = False


def handler_of(endpoint: Endpoint) -> Handler:
    """The aiohttp handler: the declared body decoded, then the endpoint's own handler."""
    if endpoint.body is None:
        return endpoint.handler
    reader = decoder(endpoint.body)
    inner = endpoint.handler

    async def handle(request: web.Request) -> web.StreamResponse:
        body = decode(await read_body(request), reader)
        return await inner(request, body)

    handle.__name__ = getattr(inner, "__name__", endpoint.operation_id)
    return handle


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
) -> Schema:
    """The OpenAPI 3.1 document of the endpoints. ``always`` are errors any operation may
    answer (database unavailable), ``on_body`` those of any operation that reads a body."""
    types: list[Any] = [*extra_types]
    for endpoint in endpoints:
        if endpoint.body is not None:
            types.append(endpoint.body)
        types.extend(
            answer.body
            for answer in endpoint.answers
            if answer.body is not None and not isinstance(answer.body, dict)
        )
    unique = list(dict.fromkeys(types))
    schemas, components = msgspec.json.schema_components(unique, ref_template=_REF)
    by_type = dict(zip(unique, schemas, strict=True))
    components["Error"] = ERROR_SCHEMA
    paths: dict[str, Schema] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(
            endpoint, by_type, always, on_body
        )
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1", "description": description},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": dict(sorted(components.items()))},
    }


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
    endpoint: Endpoint,
    by_type: Mapping[Any, Schema],
    always: tuple[type[ApiError], ...],
    on_body: tuple[type[ApiError], ...],
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
        responses[str(answer.status)] = entry
    errors = [*endpoint.errors, *always, *(on_body if endpoint.body is not None else ())]
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
    if endpoint.params:
        operation["parameters"] = [param.openapi() for param in endpoint.params]
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": by_type[endpoint.body]}},
        }
    operation["responses"] = responses
    return operation
