"""Parsing of the activation API's request bodies into typed requests.

Everything a client sends is checked here, with a message that says what to fix; the domain
functions receive only well-formed values.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from activation_server.errors import InvalidRequest, SerialMalformed
from client_sdk.fingerprint import COMPONENT_NAMES
from client_sdk.offline import MalformedRequestCode, decode_request
from client_sdk.serial import MalformedSerial, canonicalize

FINGERPRINT = re.compile(r"[0-9a-f]{64}")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_CLIENT_BYTES = 2048
MAX_FEATURES = 64
MAX_LICENSE_CHARS = 8192


@dataclass(slots=True)
class ActivationRequest:
    serial: str
    fingerprint: str
    product: str | None = None
    features: list[str] | None = None
    client: dict[str, Any] = field(default_factory=dict)
    # One hash per hardware component, by name (tolerant binding); None: not sent.
    components: dict[str, str] | None = None


def _text(body: dict[str, Any], name: str, *, required: bool, max_length: int = 64) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidRequest(f"The field '{name}' is required.")
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"The field '{name}' must be a string.")
    if len(value) > max_length:
        raise InvalidRequest(f"The field '{name}' is longer than {max_length} characters.")
    if not is_storable_text(value):
        raise InvalidRequest(f"The field '{name}' contains characters that are not allowed.")
    return value


def is_storable_text(value: str) -> bool:
    """PostgreSQL text holds no NUL, and UTF-8 has no lone surrogates."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_serial(value: str) -> str:
    try:
        return canonicalize(value)
    except MalformedSerial as exc:
        raise SerialMalformed(f"That is not a serial number: {exc}.") from None


def parse_fingerprint(value: str) -> str:
    if not FINGERPRINT.fullmatch(value):
        raise InvalidRequest("The field 'fingerprint' must be 64 lowercase hexadecimal characters.")
    return value


def parse_components(value: Any) -> dict[str, str] | None:
    """``fingerprint_components``: an object of component names to 64-hex hashes."""
    if value is None:
        return None
    if not isinstance(value, dict) or not value:
        raise InvalidRequest(
            "The field 'fingerprint_components' must be an object of component hashes by name."
        )
    unknown = sorted(name[:32] for name in value if name not in COMPONENT_NAMES)
    if unknown:
        raise InvalidRequest(
            f"Unknown fingerprint components {unknown[:3]!r}: the names are "
            f"{', '.join(COMPONENT_NAMES)}."
        )
    for name, digest in value.items():
        if not isinstance(digest, str) or not FINGERPRINT.fullmatch(digest):
            raise InvalidRequest(
                f"The fingerprint component '{name}' must be 64 lowercase hexadecimal characters."
            )
    return dict(value)


def _features(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidRequest("The field 'features' must be a list of strings.")
    if len(value) > MAX_FEATURES:
        raise InvalidRequest(f"The field 'features' lists more than {MAX_FEATURES} features.")
    bad = [item for item in value if not NAME.fullmatch(item)]
    if bad:
        raise InvalidRequest(
            f"Feature codes are 1-64 letters, digits, '_', '.' or '-': {bad[0]!r}."
        )
    return sorted(set(value))


# A NUL as JSON writes it (``\u0000`` after an even run of backslashes), not a backslash
# that the text itself holds followed by "u0000".
_ESCAPED_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
# One encoder for every request: json.dumps builds a new one per call when given options.
# Non-finite numbers are refused here as well as by the body's parser: jsonb cannot hold them,
# and one in a batch would fail the batch's statement.
_ASCII_JSON = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _client(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidRequest("The field 'client' must be a JSON object.")
    try:
        ascii_text = _ASCII_JSON.encode(value)
    except (ValueError, TypeError, RecursionError):
        raise InvalidRequest("The field 'client' holds a value that JSON cannot.") from None
    if len(ascii_text) <= MAX_CLIENT_BYTES and "\\u" not in ascii_text:
        # Plain ASCII with no escaped character at all (so no NUL and no lone surrogate): the
        # text is its own UTF-8 size. Nearly every client's metadata takes this path.
        return value
    text = _JSON.encode(value)
    if _ESCAPED_NUL.search(text) or not is_storable_text(text):
        raise InvalidRequest("The field 'client' contains characters that are not allowed.")
    if len(text.encode()) > MAX_CLIENT_BYTES:
        raise InvalidRequest(f"The field 'client' is over {MAX_CLIENT_BYTES} bytes.")
    return value


def parse_activation(body: dict[str, Any]) -> ActivationRequest:
    serial = _text(body, "serial", required=True)
    fingerprint = _text(body, "fingerprint", required=True, max_length=64)
    product = _text(body, "product", required=False)
    assert serial is not None and fingerprint is not None
    return ActivationRequest(
        serial=parse_serial(serial),
        fingerprint=parse_fingerprint(fingerprint),
        product=product,
        features=_features(body.get("features")),
        client=_client(body.get("client")),
        components=parse_components(body.get("fingerprint_components")),
    )


def parse_offline_activation(body: dict[str, Any]) -> ActivationRequest:
    code = _text(body, "request", required=True, max_length=8192)
    assert code is not None
    try:
        decoded = decode_request(code)
    except MalformedRequestCode as exc:
        raise InvalidRequest(f"{exc}.") from None
    fields: dict[str, Any] = {"serial": decoded.serial, "fingerprint": decoded.fingerprint}
    if decoded.product is not None:
        fields["product"] = decoded.product
    if decoded.features is not None:
        fields["features"] = decoded.features
    if body.get("client") is not None:
        fields["client"] = body["client"]
    return parse_activation(fields)


def parse_license(body: dict[str, Any]) -> str:
    token = _text(body, "license", required=True, max_length=MAX_LICENSE_CHARS)
    assert token is not None
    if token.count(".") != 2:
        raise InvalidRequest("The field 'license' is not a license token.")
    return token


def parse_activation_id(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidRequest("The license names no valid activation.") from None
