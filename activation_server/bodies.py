"""Request bodies as the API reads them: strict RFC 8259 JSON, decoded into declared types;
and the JSON answers of the activation API.

:func:`parse_json` holds the strict-JSON rules; :func:`decode` reads a body into a msgspec type
under the same rules, and :func:`convert` checks a body already read as JSON the same way.
:func:`json_answer` writes an answer with msgspec (a third of the time of
``web.json_response``'s standard-library encoder, on every request of the hot path).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, NoReturn, TypeVar

import msgspec
import msgspec.inspect
from aiohttp import web

from activation_server.errors import InvalidRequest

StructT = TypeVar("StructT", bound=msgspec.Struct)

# Every time the API reads or answers.
Time = Annotated[datetime, msgspec.Meta(description="UTC, ISO 8601.")]

_encode = msgspec.json.Encoder().encode


def json_answer(
    body: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """``body`` as a JSON answer, ``application/json; charset=utf-8``."""
    return web.Response(
        body=_encode(body),
        status=status,
        headers=headers,
        content_type="application/json",
        charset="utf-8",
    )


# Deeper than any document of the API needs, shallow enough that nothing that walks a body
# (the encoder of a jsonb column, a check of its size) can run out of stack.
MAX_JSON_DEPTH = 32


def _refuse_constant(name: str) -> NoReturn:
    raise InvalidRequest(f"The request body holds {name}, which is not a JSON number.")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidRequest(f"The number {text[:40]} is too large.")
    return value


# Python's decoder takes NaN, Infinity and -Infinity, and reads 1e999 as infinity; RFC 8259 has
# none of them and PostgreSQL's jsonb refuses them.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite)


def parse_json(raw: bytes | str) -> Any:
    """A request body as strict RFC 8259 JSON in UTF-8, or 400 ``INVALID_REQUEST``.

    Refused besides what is not JSON at all: the non-finite numbers, nesting deeper than
    :data:`MAX_JSON_DEPTH`, and strings (keys too) holding a lone surrogate or a NUL, which
    could not be encoded as UTF-8 or stored in PostgreSQL. Every JSON endpoint reads its body
    here, so what passes can be stored and hashed anywhere.
    """
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = _DECODER.decode(text)
    except RecursionError:
        raise InvalidRequest(_TOO_DEEP) from None
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("The request body is not valid JSON.") from None
    # Both checks walk the document, so they run only when the text can hold what they look for:
    # an ordinary body has a bracket or two and no escaped character.
    brackets = text.count("[") + text.count("{")
    escaped = "\\u" in text
    if brackets > MAX_JSON_DEPTH or escaped:
        _check_document(value, escaped)
    return value


_TOO_DEEP = f"The request body is nested deeper than {MAX_JSON_DEPTH} levels."


def _check_document(value: Any, strings: bool) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_JSON_DEPTH:
                raise InvalidRequest(_TOO_DEEP)
            for key, inner in item.items():
                if strings:
                    _check_string(key)
                stack.append((inner, depth + 1))
        elif isinstance(item, list):
            if depth > MAX_JSON_DEPTH:
                raise InvalidRequest(_TOO_DEEP)
            stack.extend((inner, depth + 1) for inner in item)
        elif strings and isinstance(item, str):
            _check_string(item)


def _check_string(value: str) -> None:
    if "\x00" in value:
        raise InvalidRequest("The request body holds a NUL character, which is not allowed.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequest(
            "The request body holds a lone surrogate (\\ud800-\\udfff), which is not text."
        ) from None


# An exponent of three digits or more may overflow a float (1e309 is infinity); msgspec skips an
# unknown field's number without reading it, so such a body goes through the strict parser too.
_LONG_EXPONENT = re.compile(rb"[0-9][eE][+-]?[0-9]{3}")


def decoder(kind: type[msgspec.Struct]) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(kind, strict=True)


def decode(raw: bytes, reader: msgspec.json.Decoder[Any]) -> Any:
    """A body decoded into the reader's type under the strict-JSON rules, or 400
    ``INVALID_REQUEST`` saying what is wrong and where."""
    if not raw.strip():
        raise InvalidRequest("The request body is empty: send a JSON object.")
    if (
        b"\\u" in raw
        or raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH
        or _LONG_EXPONENT.search(raw)
    ):
        # parse_json raises on whatever the strict rules refuse; what it lets by is ordinary.
        if not isinstance(parse_json(raw), dict):
            raise InvalidRequest("The request body must be a JSON object.")
    try:
        return reader.decode(raw)
    except msgspec.ValidationError as exc:
        raise InvalidRequest(_explain(str(exc))) from None
    except (msgspec.DecodeError, RecursionError):
        raise InvalidRequest("The request body is not valid JSON.") from None


def decode_optional(raw: bytes, reader: msgspec.json.Decoder[Any], kind: type[StructT]) -> StructT:
    """As :func:`decode`, for an action whose options may all be left out: no body at all is
    the type with its defaults."""
    if not raw:
        return kind()
    return decode(raw, reader)  # type: ignore[no-any-return]


def convert(body: Mapping[str, Any], kind: type[StructT]) -> StructT:
    """A body already read as JSON (a form's, a decoded code's) checked as ``kind``, with the
    refusals that :func:`decode` gives."""
    try:
        return msgspec.convert(body, kind, strict=True)
    except msgspec.ValidationError as exc:
        raise InvalidRequest(_explain(str(exc))) from None


_QUERY_NUMBER = re.compile(r"-?[0-9]{1,18}")


class QueryReader:
    """Reads a request's query string into a declared type: each value is text, so numbers and
    booleans are converted, but only from their plain forms (ASCII digits; ``true``/``false``),
    an empty value is refused like any other wrong one, and a parameter that is not declared is
    ignored (a cache-buster, a ``format``)."""

    def __init__(self, kind: type[msgspec.Struct]) -> None:
        self.kind = kind
        info = msgspec.inspect.type_info(kind)
        assert isinstance(info, msgspec.inspect.StructType)
        self.names = frozenset(field.encode_name for field in info.fields)
        self.numbers = frozenset(
            field.encode_name for field in info.fields if _is_integer(field.type)
        )

    def read(self, query: Mapping[str, str]) -> Any:
        values: dict[str, str] = {}
        for name in self.names:
            value = query.get(name)
            if value is None:
                continue
            if name in self.numbers and not _QUERY_NUMBER.fullmatch(value):
                raise InvalidRequest(f"The query parameter '{name}' must be an integer.")
            values[name] = value
        try:
            return msgspec.convert(values, self.kind, strict=False)
        except msgspec.ValidationError as exc:
            raise InvalidRequest(
                _explain(str(exc)).replace("The field", "The query parameter", 1)
            ) from None


def _is_integer(kind: msgspec.inspect.Type) -> bool:
    if isinstance(kind, msgspec.inspect.Metadata):
        return _is_integer(kind.type)
    if isinstance(kind, msgspec.inspect.UnionType):
        return any(_is_integer(member) for member in kind.types)
    return isinstance(kind, msgspec.inspect.IntType)


def _explain(message: str) -> str:
    """msgspec's ``Expected `str`, got `null` - at `$.serial``` in the API's words."""
    text, _, where = message.partition(" - at `$")
    where = where.rstrip("`").lstrip(".")
    missing = _MISSING.fullmatch(text)
    if missing is not None:
        name = f"{where}.{missing[1]}" if where else missing[1]
        return f"The field '{name}' is required."
    if not where:
        if text.startswith("Expected `object`"):
            return "The request body must be a JSON object."
        return f"The request body is not valid: {text[0].lower()}{text[1:]}."
    return f"The field '{where}' is not valid: {text[0].lower()}{text[1:]}."


_MISSING = re.compile(r"Object missing required field `([^`]*)`")
