"""The activation API's decoded bodies (:mod:`activation_server.activations.schemas`) checked
into typed requests.

What decoding cannot know is checked here, with a message that says what to fix; the domain
functions receive only well-formed values.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from activation_server.activations.schemas import (
    MAX_CLIENT_BYTES,
    MAX_FEATURES,
    ActivationBody,
    LicenseBody,
    OfflineActivationBody,
)
from activation_server.bodies import convert
from activation_server.errors import InvalidRequest, SerialMalformed
from client_sdk.fingerprint import COMPONENT_NAMES
from client_sdk.offline import MalformedRequestCode, decode_request
from client_sdk.serial import MalformedSerial, canonicalize

FINGERPRINT = re.compile(r"[0-9a-f]{64}")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(slots=True)
class ActivationRequest:
    serial: str
    fingerprint: str
    product: str | None = None
    features: list[str] | None = None
    client: dict[str, Any] = field(default_factory=dict)
    # One hash per hardware component, by name (tolerant binding); None: not sent.
    components: dict[str, str] | None = None


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


def parse_components(value: dict[str, str] | None) -> dict[str, str] | None:
    """``fingerprint_components``: an object of component names to 64-hex hashes."""
    if value is None:
        return None
    if not value:
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
        if not FINGERPRINT.fullmatch(digest):
            raise InvalidRequest(
                f"The fingerprint component '{name}' must be 64 lowercase hexadecimal characters."
            )
    return dict(value)


def _features(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
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


def activation_request(body: ActivationBody) -> ActivationRequest:
    product = body.product
    if product is not None and not is_storable_text(product):
        raise InvalidRequest("The field 'product' contains characters that are not allowed.")
    return ActivationRequest(
        serial=parse_serial(body.serial),
        fingerprint=parse_fingerprint(body.fingerprint),
        product=product,
        features=_features(body.features),
        client=_client(body.client),
        components=parse_components(body.fingerprint_components),
    )


def parse_activation(body: Mapping[str, Any]) -> ActivationRequest:
    """An activation request from a body already read as JSON (the offline page's, a test's)."""
    return activation_request(convert(body, ActivationBody))


def offline_activation_request(body: OfflineActivationBody) -> ActivationRequest:
    try:
        decoded = decode_request(body.request)
    except MalformedRequestCode as exc:
        raise InvalidRequest(f"{exc}.") from None
    fields: dict[str, Any] = {"serial": decoded.serial, "fingerprint": decoded.fingerprint}
    if decoded.product is not None:
        fields["product"] = decoded.product
    if decoded.features is not None:
        fields["features"] = decoded.features
    if body.client is not None:
        fields["client"] = body.client
    return parse_activation(fields)


def parse_offline_activation(body: Mapping[str, Any]) -> ActivationRequest:
    return offline_activation_request(convert(body, OfflineActivationBody))


def license_token(body: LicenseBody) -> str:
    return checked_license(body.license)


def checked_license(token: str) -> str:
    if token.count(".") != 2:
        raise InvalidRequest("The field 'license' is not a license token.")
    return token


def parse_license(body: Mapping[str, Any]) -> str:
    return license_token(convert(body, LicenseBody))


def parse_activation_id(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidRequest("The license names no valid activation.") from None
