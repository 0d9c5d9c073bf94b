"""Endpoint declarations (activation_server.declare): bodies decoded under the strict-JSON rules
and the OpenAPI document written from the same declarations."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import msgspec
import pytest

from activation_server.activations.schemas import ActivationBody, ValidationBody
from activation_server.bodies import QueryReader, convert, decode, decode_optional, decoder
from activation_server.declare import PageQuery, query_params
from activation_server.errors import InvalidRequest
from activation_server.openapi import ENDPOINTS, document

READER = decoder(ActivationBody)
SERIAL = "7KQ2M-4X9PR-T3VW8-ANC5J"
FINGERPRINT = "ab" * 32


def _body(**extra: Any) -> dict[str, Any]:
    return {"serial": SERIAL, "fingerprint": FINGERPRINT, **extra}


def _raw(extra: bytes) -> bytes:
    """A valid activation body with one more field whose JSON text is ``extra``."""
    return json.dumps(_body()).encode()[:-1] + b', "x": ' + extra + b"}"


def test_an_ordinary_body_is_decoded_into_its_type() -> None:
    body = decode(json.dumps(_body(product=None, client={"os": "linux"})).encode(), READER)
    assert isinstance(body, ActivationBody)
    assert (body.serial, body.product, body.client) == (SERIAL, None, {"os": "linux"})


# What Python's json module takes and RFC 8259 or PostgreSQL does not, each in a field that
# the type does not name (so a decoder that skips unknown fields would let it by) and in one
# that it does.
STRICT = [
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"1e999",
    b"-1E+400",
    b'"\\ud800"',
    b'"x\\udfffy"',
    b'"\\u0000"',
    b'{"a": ' * 40 + b"1" + b"}" * 40,
    b"[" * 40 + b"]" * 40,
]


@pytest.mark.parametrize("value", STRICT)
def test_the_strict_json_rules_hold_in_an_unknown_field(value: bytes) -> None:
    with pytest.raises(InvalidRequest):
        decode(_raw(value), READER)


@pytest.mark.parametrize("value", STRICT)
def test_the_strict_json_rules_hold_in_the_client_field(value: bytes) -> None:
    raw = json.dumps(_body()).encode()[:-1] + b', "client": {"v": ' + value + b"}}"
    with pytest.raises(InvalidRequest):
        decode(raw, READER)


def test_a_finite_number_with_a_long_exponent_is_still_accepted() -> None:
    body = decode(_raw(b"1e-300"), READER)
    assert body.serial == SERIAL


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", "empty"),
        (b"   ", "empty"),
        (b"[1]", "JSON object"),
        (b'"text"', "JSON object"),
        (b"{", "not valid JSON"),
        (json.dumps(_body()).encode() + b" trailing", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (json.dumps({"fingerprint": FINGERPRINT}).encode(), "'serial' is required"),
        (json.dumps(_body(serial=None)).encode(), "'serial'"),
        (json.dumps(_body(serial=5)).encode(), "'serial'"),
        (json.dumps(_body(serial="1" * 65)).encode(), "'serial'"),
        (json.dumps(_body(features="export")).encode(), "'features'"),
        (json.dumps(_body(client=[1])).encode(), "'client'"),
        (json.dumps(_body(product=True)).encode(), "'product'"),
    ],
)
def test_each_refusal_is_invalid_request_naming_what_to_fix(raw: bytes, words: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        decode(raw, READER)
    assert words in refused.value.message
    assert refused.value.code == "INVALID_REQUEST" and refused.value.status == 400


def test_a_null_where_a_string_is_required_is_refused_but_null_for_absent_is_not() -> None:
    # The activation contract's "?" fields take null as absent; the validation body's do not.
    assert convert(_body(product=None, features=None), ActivationBody).product is None
    with pytest.raises(InvalidRequest, match="'license'"):
        convert({"license": None}, ValidationBody)


def test_a_converted_body_is_refused_as_a_decoded_one_would_be() -> None:
    raw = json.dumps(_body(serial=5)).encode()
    with pytest.raises(InvalidRequest) as decoded:
        decode(raw, READER)
    with pytest.raises(InvalidRequest) as converted:
        convert(_body(serial=5), ActivationBody)
    assert decoded.value.message == converted.value.message


def test_every_declared_operation_has_an_id_a_summary_and_a_description() -> None:
    spec = document()
    operations = [op for item in spec["paths"].values() for op in item.values()]
    assert len(operations) == len(ENDPOINTS)
    ids = [op["operationId"] for op in operations]
    assert len(set(ids)) == len(ids)
    assert all(op["summary"] and op["description"] for op in operations)


def test_the_documented_request_schema_is_the_decoded_type() -> None:
    spec = document()
    body = spec["paths"]["/v1/activations"]["post"]["requestBody"]["content"]
    name = body["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    schema = spec["components"]["schemas"][name]
    assert set(schema["required"]) == {
        field.name for field in msgspec.structs.fields(ActivationBody) if field.required
    }
    assert set(schema["properties"]) == {
        field.name for field in msgspec.structs.fields(ActivationBody)
    }


def test_documented_refusals_come_from_the_declared_errors() -> None:
    responses = document()["paths"]["/v1/activations"]["post"]["responses"]
    assert "SERIAL_MALFORMED" in responses["400"]["description"]
    assert "ACTIVATION_LIMIT_REACHED" in responses["409"]["description"]
    # Every operation that reads a body may find it too large; every one, the database away.
    assert {"413", "503"} <= set(responses)
    keys = document()["paths"]["/v1/keys"]["get"]["responses"]
    assert "413" not in keys and "503" in keys


class _Query(PageQuery, kw_only=True):
    status: Literal["placed", "paid"] | None = None
    vendor_id: Annotated[int, msgspec.Meta(ge=1)] | None = None


QUERY = QueryReader(_Query)


def test_a_query_is_read_into_its_type_and_undeclared_parameters_are_ignored() -> None:
    query = QUERY.read({"limit": "5", "status": "paid", "format": "csv"})
    assert (query.limit, query.offset, query.status, query.vendor_id) == (5, 0, "paid", None)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("limit", ""),
        ("limit", "+5"),
        ("limit", " 5"),
        ("limit", "5.0"),
        ("limit", "1e2"),
        ("limit", "\u0663"),
        ("limit", "0"),
        ("limit", "1001"),
        ("vendor_id", "99999999999999999999"),
        ("status", ""),
        ("status", "PAID"),
    ],
)
def test_a_query_value_that_is_not_its_declared_type_is_refused_by_name(
    name: str, value: str
) -> None:
    with pytest.raises(InvalidRequest, match=f"query parameter '{name}'"):
        QUERY.read({name: value})


class _Options(msgspec.Struct, kw_only=True):
    reason: str | None = None


def test_an_optional_body_left_out_is_its_defaults_and_one_sent_is_read_strictly() -> None:
    reader = decoder(_Options)
    assert decode_optional(b"", reader, _Options) == _Options()
    assert decode_optional(b'{"reason": "late"}', reader, _Options).reason == "late"
    for junk in (b" ", b"[]", b'{"reason": 5}', b'{"reason": NaN}'):
        with pytest.raises(InvalidRequest):
            decode_optional(junk, reader, _Options)


def test_a_declared_query_is_documented_as_its_parameters() -> None:
    params = {param["name"]: param for param in query_params(_Query)}
    assert set(params) == {"limit", "offset", "status", "vendor_id"}
    assert params["limit"]["schema"]["maximum"] == 1000
    assert params["limit"]["description"]
    assert not any(param["required"] for param in params.values())
