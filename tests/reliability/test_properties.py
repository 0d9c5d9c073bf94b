"""Property-based tests of everything that reads untrusted text: the serial codec, the offline
request codec, the license codec (signing and verifying, on the server and in the SDK) and the
activation API's request parsers.

The properties: what is valid round-trips; what is damaged is refused with the module's own
error; and nothing, whatever the input, raises any other exception.
"""

from __future__ import annotations

import base64
import json
import string
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from activation_server.activations.requests import (
    FINGERPRINT,
    MAX_CLIENT_BYTES,
    NAME,
    ActivationRequest,
    parse_activation,
    parse_license,
    parse_offline_activation,
)
from activation_server.errors import ApiError
from activation_server.keys.keyring import Keyring, Signer, _b64url, public_bytes, thumbprint
from activation_server.keys.queries import SigningKeyRow
from client_sdk import license as sdk_license
from client_sdk.errors import LicenseError
from client_sdk.offline import MalformedRequestCode, OfflineRequest, decode_request, encode_request
from client_sdk.serial import ALPHABET, MalformedSerial, canonicalize, check_symbol

# Examples per property; the figures of docs/reliability.md are these times the properties.
EXAMPLES = 400
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

symbols = st.sampled_from(ALPHABET)
payloads = st.text(alphabet=ALPHABET, min_size=19, max_size=19)


def formatted(payload: str) -> str:
    full = payload + check_symbol(payload)
    return "-".join(full[i : i + 5] for i in range(0, 20, 5))


serials = payloads.map(formatted)
fingerprints = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
names = st.from_regex(NAME, fullmatch=True)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=80)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)


# --- the serial codec -------------------------------------------------------------------------


@PROPERTY
@given(serials)
@example("01234-56789-ABCDE-FGHJS")
@example("ZZZZZ-ZZZZZ-ZZZZZ-ZZZZK")
@example("7KQ2M-4X9PR-T3VW8-ANC5J")
def test_a_valid_serial_is_its_own_canonical_form(serial: str) -> None:
    assert canonicalize(serial) == serial
    assert canonicalize(canonicalize(serial)) == serial


@PROPERTY
@given(serials, st.data())
def test_a_serial_as_a_person_types_it_reads_back_the_same(
    serial: str, data: st.DataObject
) -> None:
    typed = serial.replace("-", data.draw(st.sampled_from(["", " ", "-", "  ", "\u2013"])))
    if data.draw(st.booleans()):
        typed = typed.lower()
    # Crockford look-alikes: 0 typed as O, 1 as I or L.
    typed = "".join(
        data.draw(st.sampled_from(["O", "o"]))
        if c == "0"
        else data.draw(st.sampled_from(["I", "l", "L"]))
        if c == "1"
        else c
        for c in typed
    )
    assert canonicalize(" " + typed + "\n") == serial


@PROPERTY
@given(serials, st.integers(0, 19), symbols)
def test_every_single_symbol_typo_is_caught(serial: str, position: int, symbol: str) -> None:
    compact = serial.replace("-", "")
    assume(compact[position] != symbol)
    damaged = compact[:position] + symbol + compact[position + 1 :]
    with pytest.raises(MalformedSerial):
        canonicalize(damaged)


@PROPERTY
@given(st.one_of(st.text(max_size=80), st.text(alphabet=ALPHABET + "-OIL ", max_size=30)))
def test_any_text_is_a_serial_or_refused_as_malformed(text: str) -> None:
    try:
        result = canonicalize(text)
    except MalformedSerial:
        return
    assert len(result) == 23 and canonicalize(result) == result


# --- the offline activation request code -----------------------------------------------------


@PROPERTY
@given(
    st.text(max_size=40),
    st.text(max_size=80),
    st.none() | st.text(max_size=40),
    st.none() | st.lists(st.text(max_size=20), max_size=6),
)
def test_a_request_code_round_trips_whatever_it_holds(
    serial: str, machine: str, product: str | None, features: list[str] | None
) -> None:
    code = encode_request(serial, machine, product, features)
    assert code.isascii()
    assert decode_request(code) == OfflineRequest(serial, machine, product, features)
    # Copied through e-mail: lower case, different line breaks, indentation.
    assert decode_request("  " + code.lower().replace("\n", "\r\n  ")) == decode_request(code)


@PROPERTY
@given(serials, fingerprints, st.data())
def test_a_request_code_damaged_in_one_character_is_refused(
    serial: str, machine: str, data: st.DataObject
) -> None:
    code = encode_request(serial, machine, "ACME", ["export"])
    lines = code.splitlines()
    body = [i for i, line in enumerate(lines[1:-1], start=1)]
    row = data.draw(st.sampled_from(body))
    column = data.draw(st.integers(0, len(lines[row]) - 1))
    assume(lines[row][column] != "-")
    replacement = data.draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"))
    assume(replacement != lines[row][column])
    lines[row] = lines[row][:column] + replacement + lines[row][column + 1 :]
    try:
        decoded = decode_request("\n".join(lines))
    except MalformedRequestCode:
        return
    # Only the unused low bits of the final base32 symbol can change without changing a byte.
    assert decoded == decode_request(code)


@PROPERTY
@given(serials, fingerprints, st.data())
def test_a_request_code_missing_a_line_is_refused(
    serial: str, machine: str, data: st.DataObject
) -> None:
    code = encode_request(serial, machine, "ACME", ["export", "print", "reports"])
    lines = code.splitlines()
    assume(len(lines) > 3)
    dropped = data.draw(st.integers(1, len(lines) - 2))
    with pytest.raises(MalformedRequestCode):
        decode_request("\n".join(lines[:dropped] + lines[dropped + 1 :]))


@PROPERTY
@given(st.one_of(st.text(max_size=300), st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567-\n")))
def test_any_text_is_a_request_code_or_refused(text: str) -> None:
    try:
        decoded = decode_request(text)
    except MalformedRequestCode:
        return
    assert isinstance(decoded.serial, str) and isinstance(decoded.fingerprint, str)


# --- the license codec -------------------------------------------------------------------------


@dataclass
class VendorKeys:
    """One vendor's current key as the server signs and verifies with it."""

    keyring: Keyring
    signer: Signer

    @property
    def current_kid(self) -> str:
        return self.signer.kid

    @property
    def private_key(self) -> Ed25519PrivateKey:
        return self.signer.private_key

    @property
    def jwks(self) -> dict[str, Any]:
        return self.keyring.jwks

    def sign(self, claims: dict[str, Any]) -> str:
        return self.signer.sign(claims)

    def verify(self, token: str, *, verify_exp: bool = True) -> dict[str, Any]:
        return self.keyring.verify(token, verify_exp=verify_exp)


def make_keyring(tmp: Path) -> VendorKeys:
    private = Ed25519PrivateKey.generate()
    raw = public_bytes(private.public_key())
    kid = thumbprint(raw)
    row = SigningKeyRow(kid, _b64url(raw), 1, "current", datetime.now(UTC), None, None)
    keyring = Keyring(directory=tmp, passphrase=None, rows=[row], version="1")
    return VendorKeys(keyring, Signer(kid, private))


KEYRING = make_keyring(Path("/nonexistent"))
OTHER_KEYRING = make_keyring(Path("/nonexistent"))
SDK_KEYS = sdk_license.KeyRing.from_jwks(KEYRING.jwks)

claims_strategy = st.fixed_dictionaries(
    {
        "iss": st.just("activation-server"),
        "sub": serials,
        "aud": names,
        "fp": fingerprints,
        "aid": st.uuids().map(str),
        "typ": st.sampled_from(["full", "trial"]),
        "feat": st.lists(names, max_size=5),
        "iat": st.integers(1_500_000_000, 2_000_000_000),
    },
    optional={"exp": st.integers(3_000_000_000, 4_000_000_000)},
)


def _segment_bytes(token: str) -> list[bytes]:
    return [base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in token.split(".")]


@PROPERTY
@given(claims_strategy)
def test_a_signed_license_verifies_with_the_same_claims_on_server_and_sdk(
    claims: dict[str, Any],
) -> None:
    token = KEYRING.sign(claims)
    assert jwt.get_unverified_header(token) == {
        "alg": "EdDSA",
        "kid": KEYRING.current_kid,
        "typ": "JWT",
    }
    assert KEYRING.verify(token) == claims
    assert sdk_license.verify_signature(token, SDK_KEYS) == (claims, KEYRING.current_kid)


@PROPERTY
@given(claims_strategy, st.data())
def test_a_license_changed_anywhere_never_verifies(
    claims: dict[str, Any], data: st.DataObject
) -> None:
    token = KEYRING.sign(claims)
    position = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.sampled_from(string.ascii_letters + string.digits + "-_."))
    assume(token[position] != replacement)
    tampered = token[:position] + replacement + token[position + 1 :]
    accepted_by: list[str] = []
    try:
        KEYRING.verify(tampered)
        accepted_by.append("server")
    except (jwt.InvalidTokenError, ValueError):
        pass
    try:
        sdk_license.verify_signature(tampered, SDK_KEYS)
        accepted_by.append("sdk")
    except LicenseError:
        pass
    if accepted_by:
        # Base64url's last symbol of a segment carries unused bits; flipping only those changes
        # no byte of the token, so nothing was tampered with.
        assert tampered.count(".") == 2 and _segment_bytes(tampered) == _segment_bytes(token)


@PROPERTY
@given(claims_strategy)
def test_a_license_signed_by_another_key_or_algorithm_never_verifies(
    claims: dict[str, Any],
) -> None:
    public_raw = public_bytes(KEYRING.private_key.public_key())
    forgeries = [
        # Another Ed25519 key claiming to be ours.
        jwt.encode(
            claims,
            OTHER_KEYRING.private_key,
            algorithm="EdDSA",
            headers={"kid": KEYRING.current_kid},
        ),
        # The classic confusion: HS256 keyed with the public key everybody can download.
        jwt.encode(claims, public_raw, algorithm="HS256", headers={"kid": KEYRING.current_kid}),
        jwt.encode(
            claims, _b64url(public_raw), algorithm="HS256", headers={"kid": KEYRING.current_kid}
        ),
        # No signature at all.
        jwt.encode(claims, None, algorithm="none", headers={"kid": KEYRING.current_kid}),
        _unsigned(claims, {"alg": "none", "kid": KEYRING.current_kid}),
        _unsigned(claims, {"alg": "EdDSA", "kid": KEYRING.current_kid}),
        # An unknown key id.
        jwt.encode(claims, KEYRING.private_key, algorithm="EdDSA", headers={"kid": "unknown"}),
    ]
    for forged in forgeries:
        with pytest.raises((jwt.InvalidTokenError, ValueError)):
            KEYRING.verify(forged)
        with pytest.raises(LicenseError):
            sdk_license.verify_signature(forged, SDK_KEYS)


def _unsigned(claims: dict[str, Any], header: dict[str, Any]) -> str:
    encode = lambda part: _b64url(json.dumps(part).encode())  # noqa: E731
    return f"{encode(header)}.{encode(claims)}."


@PROPERTY
@given(st.text(max_size=200))
def test_any_text_as_a_license_is_refused_cleanly(text: str) -> None:
    with pytest.raises((jwt.InvalidTokenError, ValueError)):
        KEYRING.verify(text)
    with pytest.raises(LicenseError):
        sdk_license.verify_signature(text, SDK_KEYS)


def test_an_expired_license_is_refused_unless_expiry_is_deliberately_ignored() -> None:
    claims = {"sub": "x", "aid": str(uuid.uuid4()), "fp": "0" * 64, "exp": 1_000_000_000}
    token = KEYRING.sign(claims)
    with pytest.raises(jwt.ExpiredSignatureError):
        KEYRING.verify(token)
    assert KEYRING.verify(token, verify_exp=False)["exp"] == 1_000_000_000


# --- the request parsers -----------------------------------------------------------------------


def _check_activation(request: ActivationRequest) -> None:
    assert canonicalize(request.serial) == request.serial
    assert FINGERPRINT.fullmatch(request.fingerprint)
    if request.features is not None:
        assert request.features == sorted(set(request.features))
        assert all(NAME.fullmatch(feature) for feature in request.features)
    encoded = json.dumps(request.client, ensure_ascii=False, separators=(",", ":")).encode()
    assert len(encoded) <= MAX_CLIENT_BYTES
    assert b"\x00" not in encoded


activation_bodies = st.one_of(
    st.dictionaries(st.text(max_size=12), json_values, max_size=6),
    st.fixed_dictionaries(
        {
            "serial": st.one_of(serials, json_values),
            "fingerprint": st.one_of(fingerprints, json_values),
        },
        optional={
            "product": st.one_of(names, json_values),
            "features": st.one_of(st.lists(names, max_size=4), json_values),
            "client": st.one_of(st.dictionaries(st.text(max_size=10), json_values), json_values),
        },
    ),
)


@PROPERTY
@given(activation_bodies)
def test_any_json_object_is_an_activation_request_or_an_api_error(body: dict[str, Any]) -> None:
    try:
        request = parse_activation(body)
    except ApiError as error:
        assert error.status == 400 and error.code in ("INVALID_REQUEST", "SERIAL_MALFORMED")
        return
    _check_activation(request)


@PROPERTY
@given(
    st.one_of(
        st.dictionaries(st.text(max_size=12), json_values, max_size=4),
        st.builds(
            lambda code, client: {"request": code, "client": client},
            st.builds(
                encode_request,
                st.one_of(serials, st.text(max_size=30)),
                st.one_of(fingerprints, st.text(max_size=70)),
                st.none() | st.one_of(names, st.text(max_size=10)),
                st.none() | st.lists(st.one_of(names, st.text(max_size=10)), max_size=4),
            ),
            json_values,
        ),
    )
)
def test_any_json_object_is_an_offline_request_or_an_api_error(body: dict[str, Any]) -> None:
    try:
        request = parse_offline_activation(body)
    except ApiError as error:
        assert error.status == 400
        return
    _check_activation(request)


@PROPERTY
@given(st.dictionaries(st.sampled_from(["license", "x"]), st.one_of(json_values, st.text())))
def test_any_json_object_is_a_license_field_or_an_api_error(body: dict[str, Any]) -> None:
    try:
        token = parse_license(body)
    except ApiError as error:
        assert error.status == 400
        return
    assert isinstance(token, str) and token.count(".") == 2
