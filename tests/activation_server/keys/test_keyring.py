from __future__ import annotations

import json
import stat
import time
from pathlib import Path
from typing import Any

import asyncpg
import jwt
import pytest
from aiohttp.test_utils import TestClient

from activation_server.appkeys import ACTIVATIONS, DB_POOL
from activation_server.keys.keyring import (
    KEY_FILE_FORMAT,
    Keyring,
    Signer,
    SigningKeyError,
    rotate,
    thumbprint,
)
from tests.conftest import Factory, fingerprint, license_vendor
from vendor_portal.products import queries as product_queries


async def _vendor_keyring(
    connection: asyncpg.Connection, directory: Path, passphrase: str | None
) -> tuple[Keyring, int]:
    vendor_id = await product_queries.insert_vendor(connection, "Keys Ltd")
    keyring = await Keyring.load(connection, directory, passphrase)
    await keyring.ensure(connection, vendor_id)
    return keyring, vendor_id


async def test_a_vendor_key_file_is_readable_only_by_its_owner(
    database_url: str, tmp_path: Path
) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        keyring, vendor_id = await _vendor_keyring(connection, tmp_path / "keys", None)
    finally:
        await connection.close()
    kid = keyring.current_kid(vendor_id)
    path = tmp_path / "keys" / f"{kid}.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert b"BEGIN PRIVATE KEY" in path.read_bytes()
    jwk = keyring.vendor_jwks(vendor_id)["keys"][0]
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["kid"]) == ("OKP", "Ed25519", "EdDSA", kid)
    assert jwk in keyring.jwks["keys"]
    # The key id is the RFC 7638 thumbprint: anybody can recompute it from the public key.
    assert thumbprint(jwt.utils.base64url_decode(jwk["x"])) == kid


async def test_a_passphrase_encrypts_the_key_and_a_wrong_one_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        keyring, vendor_id = await _vendor_keyring(connection, tmp_path, "correct horse")
        data = (tmp_path / f"{keyring.current_kid(vendor_id)}.pem").read_bytes()
        assert b"PRIVATE KEY" not in data
        assert json.loads(data)["format"] == KEY_FILE_FORMAT
        assert b'"kdf"' in data and b'"scrypt"' in data
        with pytest.raises(SigningKeyError, match="PASSPHRASE"):
            (await Keyring.load(connection, tmp_path, "wrong")).signer(vendor_id)
        with pytest.raises(SigningKeyError, match="not in"):
            (await Keyring.load(connection, tmp_path / "elsewhere", "correct horse")).check()
    finally:
        await connection.close()


async def test_the_database_holds_no_private_key(database_url: str, tmp_path: Path) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        keyring, vendor_id = await _vendor_keyring(connection, tmp_path, None)
        from cryptography.hazmat.primitives import serialization

        signer = keyring.signer(vendor_id)
        assert signer is not None
        raw = signer.private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        stored = await connection.fetch("SELECT * FROM signing_keys")
        text = repr([dict(row) for row in stored])
        assert jwt.utils.base64url_encode(raw).decode() not in text
        assert raw.hex() not in text
    finally:
        await connection.close()


async def test_rotation_keeps_old_licenses_verifiable_and_signs_with_the_new_key(
    client: TestClient, factory: Factory
) -> None:
    serial = await factory.serial("SP3")
    old = await (
        await client.post("/v1/activations", json={"serial": serial, "fingerprint": fingerprint(1)})
    ).json()
    keyring = client.app[ACTIVATIONS].keyring
    vendor_id = license_vendor(keyring, old["license"])
    old_kid = keyring.current_kid(vendor_id)
    async with client.app[DB_POOL].acquire() as connection:
        new_kid = await rotate(connection, keyring.directory, None, vendor_id)
        assert await keyring.refresh(connection)
    assert keyring.current_kid(vendor_id) == new_kid != old_kid
    jwks = await (await client.get("/v1/keys")).json()
    listed = [key["kid"] for key in jwks["keys"]]
    assert listed.index(new_kid) < listed.index(old_kid)
    verdict = await (await client.post("/v1/validations", json={"license": old["license"]})).json()
    assert verdict["code"] == "VALID"
    new = await (
        await client.post("/v1/activations", json={"serial": serial, "fingerprint": fingerprint(2)})
    ).json()
    assert jwt.get_unverified_header(new["license"])["kid"] == new_kid
    again = await (
        await client.post("/v1/activations", json={"serial": serial, "fingerprint": fingerprint(1)})
    ).json()
    # Re-issued by the new key, with the same claims.
    assert jwt.get_unverified_header(again["license"])["kid"] == new_kid
    decode = {"options": {"verify_signature": False}}
    assert jwt.decode(again["license"], **decode) == jwt.decode(old["license"], **decode)


def _memory_keyring(directory: Path, vendor_id: int = 1) -> tuple[Keyring, Signer]:
    from datetime import UTC, datetime

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from activation_server.keys.keyring import _b64url, public_bytes, write_private_key
    from activation_server.keys.queries import SigningKeyRow

    private = Ed25519PrivateKey.generate()
    raw = public_bytes(private.public_key())
    kid = thumbprint(raw)
    write_private_key(directory, kid, private, None)
    row = SigningKeyRow(kid, _b64url(raw), vendor_id, "current", datetime.now(UTC), None, None)
    keyring = Keyring(directory=directory, passphrase=None, rows=[row], version="1")
    signer = keyring.signer(vendor_id)
    assert signer is not None
    return keyring, signer


def test_a_license_is_byte_for_byte_what_pyjwt_signs_and_verifies(tmp_path: Path) -> None:
    keyring, signer = _memory_keyring(tmp_path)
    claims = {"sub": "S", "aid": "a", "fp": "f", "feat": ["x"], "iat": 1}
    first = signer.sign(claims)
    # libsodium and OpenSSL give the same (deterministic) Ed25519 signature.
    expected = jwt.encode(
        claims, signer.private_key, algorithm="EdDSA", headers={"kid": signer.kid}
    )
    assert first == expected
    assert signer.sign(dict(claims)) == first
    assert keyring.verify(first) == claims
    assert first.startswith(signer.signing_input(claims) + ".")


def test_a_reload_takes_over_the_signing_key(tmp_path: Path) -> None:
    keyring, _ = _memory_keyring(tmp_path)
    other, other_signer = _memory_keyring(tmp_path)
    claims = {"sub": "S", "aid": "a", "fp": "f"}
    keyring.replace_with(other)
    signer = keyring.signer(1)
    assert signer is not None
    token = signer.sign(claims)
    assert jwt.get_unverified_header(token)["kid"] == other_signer.kid
    assert other.verify(token) == claims


def _forge(signer: Signer, header: dict[str, object], payload: object) -> str:
    """A token signed by the keyring's own key over any header and payload."""
    from activation_server.keys.keyring import _b64url

    signing_input = (
        _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(payload).encode())
    )
    return signer.sign_input(signing_input)


def test_verification_refuses_what_the_signature_alone_would_let_through(tmp_path: Path) -> None:
    # Each of these carries a valid signature by the server's key, yet is not a license.
    keyring, signer = _memory_keyring(tmp_path)
    kid = signer.kid
    claims = {"sub": "S", "aid": "a", "fp": "f"}
    now = int(time.time())
    refused: list[tuple[dict[str, object], object, type[jwt.InvalidTokenError]]] = [
        ({"alg": "EdDSA", "kid": kid, "crit": ["b64"], "b64": False}, claims, jwt.DecodeError),
        ({"alg": "HS256", "kid": kid}, claims, jwt.InvalidAlgorithmError),
        ({"alg": "EdDSA", "kid": 7}, claims, jwt.InvalidSignatureError),
        ({"alg": "EdDSA", "kid": kid}, ["not", "an", "object"], jwt.DecodeError),
        ({"alg": "EdDSA", "kid": kid}, {"sub": "S", "fp": "f"}, jwt.MissingRequiredClaimError),
        ({"alg": "EdDSA", "kid": kid}, {**claims, "exp": now - 1}, jwt.ExpiredSignatureError),
        ({"alg": "EdDSA", "kid": kid}, {**claims, "exp": str(now + 60)}, jwt.DecodeError),
        ({"alg": "EdDSA", "kid": kid}, {**claims, "exp": True}, jwt.DecodeError),
        ({"alg": "EdDSA", "kid": kid}, {**claims, "nbf": now + 3600}, jwt.ImmatureSignatureError),
    ]
    for header, payload, error in refused:
        token = _forge(signer, header, payload)
        with pytest.raises(error):
            keyring.verify(token)
    expired = _forge(signer, {"alg": "EdDSA", "kid": kid}, {**claims, "exp": now - 1})
    assert keyring.verify(expired, verify_exp=False)["exp"] == now - 1
    # PyJWT, the reference, agrees on the one that is a license.
    good = _forge(signer, {"alg": "EdDSA", "kid": kid, "typ": "JWT"}, {**claims, "exp": now + 60})
    assert keyring.verify(good) == jwt.decode(
        good, signer.private_key.public_key(), algorithms=["EdDSA"]
    )


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t + ".",
        lambda t: t.replace(".", "..", 1),
        lambda t: "=" + t,
        lambda t: t[: t.rindex(".") + 1] + "+" + t[t.rindex(".") + 2 :],
        lambda t: t[: t.rindex(".") + 1] + t[t.rindex(".") + 1 : -4],
        lambda t: t[: t.rindex(".") + 1] + t[t.rindex(".") + 1 :] + "AAAA",
        lambda t: "ж" + t,
    ],
)
def test_verification_refuses_mangled_segments(mangle: Any, tmp_path: Path) -> None:
    keyring, signer = _memory_keyring(tmp_path)
    token = signer.sign({"sub": "S", "aid": "a", "fp": "f"})
    with pytest.raises(jwt.InvalidTokenError):
        keyring.verify(mangle(token))
