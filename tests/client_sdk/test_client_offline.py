"""Activation request codes for machines without network (client_sdk.offline)."""

from __future__ import annotations

import textwrap

import pytest

from client_sdk import ActivationError, Client
from client_sdk.offline import BEGIN, END, MalformedRequestCode, decode_request, encode_request
from tests.client_sdk.sdk_helpers import FP, PRODUCT, SERIAL


def test_round_trip_keeps_every_field() -> None:
    code = encode_request(SERIAL, FP, PRODUCT, ["export", "print"])
    request = decode_request(code)
    assert (request.serial, request.fingerprint) == (SERIAL, FP)
    assert request.product == PRODUCT
    assert request.features == ["export", "print"]


def test_optional_fields_stay_absent() -> None:
    request = decode_request(encode_request(SERIAL, FP))
    assert request.product is None
    assert request.features is None


def test_code_is_printable_and_framed() -> None:
    code = encode_request(SERIAL, FP, PRODUCT, ["export"])
    lines = code.splitlines()
    assert lines[0] == BEGIN
    assert lines[-1] == END
    assert all(len(line) <= 47 for line in lines[1:-1])
    assert all(character.isalnum() or character == "-" for character in "".join(lines[1:-1]))


def test_code_survives_mail_clients_and_lowercase() -> None:
    code = encode_request(SERIAL, FP, PRODUCT, ["export"])
    body = "".join(code.splitlines()[1:-1]).replace("-", "").lower()
    rewrapped = "\n".join(textwrap.wrap(body, 13))
    mangled = f"  {BEGIN}\n\n{textwrap.indent(rewrapped, '    ')}\n  {END}  "
    assert decode_request(mangled) == decode_request(code)
    assert decode_request(body) == decode_request(code)


def test_one_changed_symbol_is_refused() -> None:
    code = encode_request(SERIAL, FP, PRODUCT, ["export"])
    lines = code.splitlines()
    first = lines[1]
    lines[1] = ("B" if first[0] != "B" else "C") + first[1:]
    with pytest.raises(MalformedRequestCode, match="damaged"):
        decode_request("\n".join(lines))


def test_a_lost_line_is_refused() -> None:
    lines = encode_request(SERIAL, FP, PRODUCT, ["export"]).splitlines()
    with pytest.raises(MalformedRequestCode):
        decode_request("\n".join(lines[:2] + lines[3:]))


@pytest.mark.parametrize("text", ["", "   ", "hello, world!", BEGIN + "\n" + END, "A" * 9000])
def test_text_that_is_not_a_code_is_refused(text: str) -> None:
    with pytest.raises(MalformedRequestCode):
        decode_request(text)


def test_client_writes_the_code_of_this_machine(offline_client: Client) -> None:
    code = offline_client.offline_request("7kq2m 4x9pr t3vw8 anc5j", features=["export"])
    request = decode_request(code)
    assert request.serial == SERIAL
    assert request.fingerprint == FP
    assert request.product == PRODUCT
    assert request.features == ["export"]


def test_client_refuses_a_mistyped_serial_before_writing_a_code(offline_client: Client) -> None:
    with pytest.raises(ActivationError) as caught:
        offline_client.offline_request("7KQ2M-4X9PR-T3VW8-ANC5K")
    assert caught.value.code == "SERIAL_MALFORMED"
