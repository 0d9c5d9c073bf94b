"""Parsing of activation request bodies (activation_server.activations.requests)."""

from __future__ import annotations

import json

import pytest

from activation_server.activations.requests import MAX_CLIENT_BYTES, parse_activation
from activation_server.errors import InvalidRequest, SerialMalformed

FINGERPRINT = "ab" * 32


def _body(**fields: object) -> dict[str, object]:
    return {"serial": "7KQ2M-4X9PR-T3VW8-ANC5J", "fingerprint": FINGERPRINT, **fields}


def _utf8_size(value: object) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def test_a_plain_request_is_parsed() -> None:
    request = parse_activation(_body(client={"app": "demo", "os": "linux"}))
    assert request.serial == "7KQ2M-4X9PR-T3VW8-ANC5J"
    assert request.client == {"app": "demo", "os": "linux"}


@pytest.mark.parametrize("letter", ["x", "ж", "€"])
def test_client_metadata_is_measured_in_utf8_bytes(letter: str) -> None:
    # The largest metadata that fits, counted in UTF-8 bytes whatever the alphabet, and one
    # character more.
    notes = ""
    while _utf8_size({"notes": notes + letter}) <= MAX_CLIENT_BYTES:
        notes += letter
    assert _utf8_size({"notes": notes}) <= MAX_CLIENT_BYTES
    assert parse_activation(_body(client={"notes": notes})).client == {"notes": notes}
    with pytest.raises(InvalidRequest, match="over"):
        parse_activation(_body(client={"notes": notes + letter}))


@pytest.mark.parametrize("text", ["\x00", "a\ud800b"])
def test_client_metadata_that_postgresql_cannot_store_is_refused(text: str) -> None:
    with pytest.raises(InvalidRequest, match="not allowed"):
        parse_activation(_body(client={"notes": text}))
    with pytest.raises(InvalidRequest, match="not allowed"):
        parse_activation(_body(client={text: "key"}))


def test_backslashes_in_client_metadata_are_kept() -> None:
    path = "C:\\users\\u0000\\app"  # a literal backslash-u, not an escaped character
    assert parse_activation(_body(client={"path": path})).client == {"path": path}


def test_a_mistyped_serial_is_malformed() -> None:
    with pytest.raises(SerialMalformed, match="typo"):
        parse_activation(_body(serial="7KQ2M-4X9PR-T3VW8-ANC5K"))
