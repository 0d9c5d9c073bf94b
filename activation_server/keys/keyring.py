"""License signing keys: Ed25519, private halves in files, public halves in the database.

A private key lives in ``<data_dir>/keys/<kid>.pem`` with mode 0600 (PKCS#8, encrypted with
``ACTIVATION_KEY_PASSPHRASE`` when it is set) and never enters the database, a log line or an
answer. The database lists the public halves, so that every process and machine publishes the
same JWKS. Each vendor has its own keys, each in a state: ``next`` (published, signs nothing yet,
so applications can pin it ahead), ``current`` (signs the vendor's licenses; one per vendor) and
``retired`` (signs nothing, stays published so that the licenses it signed still verify).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import jwt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from nacl.bindings import crypto_sign, crypto_sign_open, crypto_sign_seed_keypair
from nacl.exceptions import BadSignatureError

from activation_server.keys import queries

SIGNATURE_BYTES = 64  # crypto_sign answers the signature followed by the message


class SigningKeyError(RuntimeError):
    """A signing key is missing or cannot be read with the configured passphrase."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def _segment_bytes(text: str) -> bytes:
    """A base64url segment of a license, refused unless it is exactly that alphabet."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise jwt.DecodeError("a license segment is not base64url")
    return _b64url_decode(text)


def _json_segment(text: str) -> dict[str, Any]:
    try:
        value = json.loads(_segment_bytes(text))
    except ValueError:  # not JSON, or not UTF-8
        raise jwt.DecodeError("a license segment is not JSON") from None
    if not isinstance(value, dict):
        raise jwt.DecodeError("a license segment is not a JSON object")
    return value


def _numeric(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise jwt.DecodeError(f"the claim {name} is not a number")
    return float(value)


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def thumbprint(public_raw: bytes) -> str:
    """RFC 7638 JWK thumbprint: a key id that anybody can recompute from the public key."""
    canonical = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": _b64url(public_raw)},
        separators=(",", ":"),
        sort_keys=True,
    )
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def jwk(row: queries.SigningKeyRow) -> dict[str, Any]:
    """The key as a JWK; a retired key says since when (``retired_at``, seconds since the epoch,
    a member that readers which do not know it ignore): a client accepts nothing that key signed
    later, and its leases for 30 days more only (docs/protocol.md, *Keys*)."""
    entry: dict[str, Any] = {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": row.public_key,
        "kid": row.kid,
        "alg": "EdDSA",
        "use": "sig",
    }
    if row.state == "retired" and row.retired_at is not None:
        entry["retired_at"] = int(row.retired_at.timestamp())
    return entry


def _sodium_secret(private_key: Ed25519PrivateKey) -> bytes:
    seed = private_key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    _, secret = crypto_sign_seed_keypair(seed)
    return secret


# The encoded JOSE header of each key id (a handful of keys per vendor over a server's life).
_HEADERS: dict[str, str] = {}


def _header(kid: str) -> str:
    header = _HEADERS.get(kid)
    if header is None:
        header = _b64url(
            json.dumps(
                {"alg": "EdDSA", "kid": kid, "typ": "JWT"}, separators=(",", ":"), sort_keys=True
            ).encode()
        )
        _HEADERS[kid] = header
    return header


@dataclass
class Signer:
    """One vendor's current key: what signs that vendor's licenses."""

    kid: str
    private_key: Ed25519PrivateKey
    # The key as libsodium's 64-byte secret key: libsodium signs in about two thirds of the time
    # OpenSSL takes through ``cryptography``, and a new license is signed per activation.
    secret: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.secret = _sodium_secret(self.private_key)

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS, byte for byte what ``jwt.encode(claims, key, "EdDSA", {"kid": ...})``
        gives, without PyJWT's per-call machinery: this runs once per license issued."""
        return self.sign_input(self.signing_input(claims))

    def signing_input(self, claims: dict[str, Any]) -> str:
        """The JWS signing input (encoded header with this key's id, then payload) of these
        claims: the license, but for its signature."""
        return f"{_header(self.kid)}.{_b64url(json.dumps(claims, separators=(',', ':')).encode())}"

    def sign_input(self, signing_input: str) -> str:
        """The license: the signing input and its signature by this key."""
        data = signing_input.encode()
        return f"{signing_input}.{_b64url(crypto_sign(data, self.secret)[:SIGNATURE_BYTES])}"


class UnknownKey(jwt.InvalidSignatureError):
    """Signed by a key id this process does not know (yet: another process may have made it)."""


@dataclass
class Keyring:
    """Every vendor's keys, as one process signs and verifies with them.

    Each vendor has its own keyring (``next``, ``current``, ``retired`` keys); its current key
    signs the licenses of its products. Private keys are read from their files the first time
    they sign in this process.
    """

    directory: Path
    passphrase: str | None
    rows: list[queries.SigningKeyRow]
    version: str
    # Every published key (all vendors, all states) as libsodium's 32-byte public key, by key id.
    _sodium_public: dict[str, bytes] = field(init=False, repr=False)
    _current: dict[int, str] = field(init=False, repr=False)
    _signers: dict[int, Signer] = field(init=False, repr=False)
    jwks: dict[str, Any] = field(init=False)
    _looked_at: float = field(init=False, default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._sodium_public = {row.kid: _b64url_decode(row.public_key) for row in self.rows}
        self._current = {
            row.vendor_id: row.kid
            for row in self.rows
            if row.state == "current" and row.vendor_id is not None
        }
        self._signers = {}
        # Every key of every vendor: a reader of GET /v1/keys verifies any license.
        self.jwks = {"keys": [jwk(row) for row in self.rows]}

    def vendor_rows(self, vendor_id: int) -> list[queries.SigningKeyRow]:
        """The vendor's keys, current first, then next, then retired (newest first)."""
        return [row for row in self.rows if row.vendor_id == vendor_id]

    def vendor_jwks(self, vendor_id: int) -> dict[str, Any]:
        """The JWKS an application of this vendor pins: its current, next and retired keys."""
        return {"keys": [jwk(row) for row in self.vendor_rows(vendor_id)]}

    def current_kid(self, vendor_id: int) -> str | None:
        return self._current.get(vendor_id)

    def signer(self, vendor_id: int) -> Signer | None:
        """The vendor's current key, None when this process knows none (see :meth:`ensure`)."""
        signer = self._signers.get(vendor_id)
        if signer is not None:
            return signer
        kid = self._current.get(vendor_id)
        if kid is None:
            return None
        private = read_private_key(self.directory, kid, self.passphrase)
        if public_bytes(private.public_key()) != self._sodium_public[kid]:
            raise SigningKeyError(f"the key file of {kid} does not match the published key")
        signer = self._signers[vendor_id] = Signer(kid, private)
        return signer

    def check(self) -> None:
        """Reads one current private key, so that a missing key directory or a wrong passphrase
        stops the server at start rather than at its first activation."""
        vendor_id = next(iter(self._current), None)
        if vendor_id is not None:
            self.signer(vendor_id)

    def vendor_of(self, kid: str) -> int | None:
        return next((row.vendor_id for row in self.rows if row.kid == kid), None)

    def verify(self, token: str, *, verify_exp: bool = True) -> dict[str, Any]:
        """The claims of a license this server signed; raises jwt.InvalidTokenError otherwise.

        libsodium checks the Ed25519 signature over the token's first two segments as they were
        sent (about a quarter of PyJWT's time, which parses and dispatches per call: this runs on
        every validation and deactivation). The framing is the one :meth:`Signer.sign` writes,
        checked strictly: three base64url segments, a JSON header naming ``EdDSA``, one of our
        key ids and nothing critical, a JSON object payload holding ``sub``, ``aid`` and ``fp``,
        and no ``exp`` in the past (unless ``verify_exp`` is off) nor ``nbf`` in the future.
        ``iat`` is the activation's time by the clock of whichever server created it, so a
        server whose clock runs a little behind accepts it; ``aud`` is the caller's to check.
        """
        return self.verify_token(token, ("sub", "aid", "fp"), verify_exp=verify_exp)

    def verify_token(
        self, token: str, required: tuple[str, ...], *, verify_exp: bool = True
    ) -> dict[str, Any]:
        """The claims of any token this server signed (a license, a lease), with ``required``
        claims present."""
        if not isinstance(token, str):
            raise jwt.DecodeError("a license is text")
        segments = token.split(".")
        if len(segments) != 3:
            raise jwt.DecodeError("a license has three segments")
        header_text, payload_text, signature_text = segments
        header = _json_segment(header_text)
        if header.get("alg") != "EdDSA":
            raise jwt.InvalidAlgorithmError("a license is signed with EdDSA")
        if "crit" in header:
            raise jwt.DecodeError("a license has no critical header parameters")
        kid = header.get("kid")
        public = self._sodium_public.get(kid) if isinstance(kid, str) else None
        if public is None:
            raise UnknownKey("the license was signed by an unknown key")
        signature = _segment_bytes(signature_text)
        if len(signature) != SIGNATURE_BYTES:
            raise jwt.InvalidSignatureError("an Ed25519 signature is 64 bytes")
        try:
            crypto_sign_open(signature + f"{header_text}.{payload_text}".encode("ascii"), public)
        except BadSignatureError:
            raise jwt.InvalidSignatureError("the signature does not match") from None
        claims = _json_segment(payload_text)
        for name in required:
            if name not in claims:
                raise jwt.MissingRequiredClaimError(name)
        now = time.time()
        if verify_exp and "exp" in claims and _numeric(claims["exp"], "exp") <= now:
            raise jwt.ExpiredSignatureError("the license has expired")
        if "nbf" in claims and _numeric(claims["nbf"], "nbf") > now:
            raise jwt.ImmatureSignatureError("the license is not valid yet")
        return claims

    def replace_with(self, other: Keyring) -> None:
        """Takes over another keyring's keys in place, so every holder sees a change."""
        signers = {
            vendor: signer
            for vendor, signer in self._signers.items()
            if other._current.get(vendor) == signer.kid
        }
        self.rows = other.rows
        self.version = other.version
        self._sodium_public = other._sodium_public
        self._current = other._current
        self._signers = signers
        self.jwks = other.jwks

    def may_look_again(self) -> bool:
        """Whether an unknown key id may send this process to the database now: at most once a
        second, so tokens with made-up key ids cannot turn into a query each."""
        now = time.monotonic()
        if now - self._looked_at < 1.0:
            return False
        self._looked_at = now
        return True

    async def refresh(self, connection: asyncpg.Connection) -> bool:
        """Reloads when another process added or promoted keys; returns whether anything
        changed."""
        if await queries.version(connection) == self.version:
            return False
        self.replace_with(await Keyring.load(connection, self.directory, self.passphrase))
        return True

    async def ensure(self, connection: asyncpg.Connection, vendor_id: int) -> Signer:
        """The vendor's current key, creating the vendor's keyring when it has none yet (a
        vendor's first license, or the first look at its keys)."""
        signer = self.signer(vendor_id)
        if signer is not None:
            return signer
        if not await self.refresh(connection) or self.current_kid(vendor_id) is None:
            async with connection.transaction():
                await queries.lock_keys(connection)
                if not any(
                    row.state == "current"
                    for row in await queries.vendor_keys(connection, vendor_id)
                ):
                    await create_key(connection, self.directory, self.passphrase, vendor_id)
            await self.refresh(connection)
        signer = self.signer(vendor_id)
        if signer is None:
            raise SigningKeyError(f"vendor {vendor_id} has no current signing key")
        return signer

    async def ensure_all(self, connection: asyncpg.Connection) -> None:
        """Creates the keyring of every vendor that has none yet, so that a list of every key
        (GET /v1/keys) names each vendor's."""
        for vendor_id in await queries.vendors_without_key(connection):
            await self.ensure(connection, vendor_id)

    @classmethod
    async def load(
        cls, connection: asyncpg.Connection, directory: Path, passphrase: str | None
    ) -> Keyring:
        """Every vendor's published keys, as the database lists them now."""
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            version = await queries.version(connection)
            rows = await queries.list_keys(connection)
        return cls(directory=directory, passphrase=passphrase, rows=rows, version=version)


def key_path(directory: Path, kid: str) -> Path:
    return directory / f"{kid}.pem"


# Key files under a passphrase: scrypt (RFC 7914) at the cost OWASP recommends for
# interactive use scaled up for a key read once per start, then AES-256-GCM with the key id
# as associated data (a file renamed to another key's name does not decrypt).
KEY_FILE_FORMAT = "activation-server-key/1"
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1


def read_private_key(directory: Path, kid: str, passphrase: str | None) -> Ed25519PrivateKey:
    """The private key of ``kid``. A file of the older format (PKCS#8 encrypted with 2 048
    rounds of PBKDF2) is still read, and rewritten in the scrypt format on the way."""
    path = key_path(directory, kid)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SigningKeyError(
            f"the private key {kid} is not in {directory}: copy the keys directory from the "
            "machine that created it, or set ACTIVATION_DATA_DIR to it"
        ) from None
    if data.lstrip().startswith(b"{"):
        return _decrypt_key_file(data, kid, passphrase)
    try:
        key = serialization.load_pem_private_key(
            data, password=passphrase.encode() if passphrase else None
        )
    except (ValueError, TypeError):
        raise SigningKeyError(
            f"the private key {kid} cannot be read: check ACTIVATION_KEY_PASSPHRASE"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"the private key {kid} is not an Ed25519 key")
    if passphrase:
        write_private_key(directory, kid, key, passphrase)
    return key


def _scrypt(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())


def _encrypt_key_file(key: Ed25519PrivateKey, kid: str, passphrase: str) -> bytes:
    salt, nonce = os.urandom(16), os.urandom(12)
    raw = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    secret = _scrypt(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    document = {
        "format": KEY_FILE_FORMAT,
        "kid": kid,
        "kdf": {
            "name": "scrypt",
            "n": SCRYPT_N,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
            "salt": _b64url(salt),
        },
        "cipher": "AES-256-GCM",
        "nonce": _b64url(nonce),
        "ciphertext": _b64url(AESGCM(secret).encrypt(nonce, raw, kid.encode())),
    }
    return (json.dumps(document, indent=2) + "\n").encode()


def _decrypt_key_file(data: bytes, kid: str, passphrase: str | None) -> Ed25519PrivateKey:
    if not passphrase:
        raise SigningKeyError(f"the private key {kid} is encrypted: set ACTIVATION_KEY_PASSPHRASE")
    try:
        document = json.loads(data)
        kdf = document["kdf"]
        if document["format"] != KEY_FILE_FORMAT or kdf["name"] != "scrypt":
            raise ValueError("unknown key file format")
        secret = _scrypt(
            passphrase, _b64url_decode(kdf["salt"]), int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
        )
        raw = AESGCM(secret).decrypt(
            _b64url_decode(document["nonce"]), _b64url_decode(document["ciphertext"]), kid.encode()
        )
        return Ed25519PrivateKey.from_private_bytes(raw)
    except (ValueError, KeyError, TypeError, InvalidTag):
        raise SigningKeyError(
            f"the private key {kid} cannot be read: check ACTIVATION_KEY_PASSPHRASE"
        ) from None


def write_private_key(
    directory: Path, kid: str, key: Ed25519PrivateKey, passphrase: str | None
) -> Path:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(directory, 0o700)
    if passphrase:
        content = _encrypt_key_file(key, kid, passphrase)
    else:
        content = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    path = key_path(directory, kid)
    # A name of this process's own: workers migrating one old file at once do not collide.
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    # Created 0600 from the start, so the key is never readable by others, even briefly.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return path


async def create_key(
    connection: asyncpg.Connection,
    directory: Path,
    passphrase: str | None,
    vendor_id: int,
    state: str = "current",
) -> str:
    """Creates a key of the vendor in this state; the caller owns the transaction and the lock."""
    key = Ed25519PrivateKey.generate()
    raw = public_bytes(key.public_key())
    kid = thumbprint(raw)
    write_private_key(directory, kid, key, passphrase)
    await queries.insert_key(connection, kid, _b64url(raw), vendor_id, state)
    return kid


async def add_next_key(
    connection: asyncpg.Connection, directory: Path, passphrase: str | None, vendor_id: int
) -> str:
    """The vendor's next key: published at once, signing nothing until it is promoted. A vendor
    has at most one; asking again answers the one there is."""
    async with connection.transaction():
        await queries.lock_keys(connection)
        rows = await queries.vendor_keys(connection, vendor_id)
        waiting = next((row.kid for row in rows if row.state == "next"), None)
        if waiting is not None:
            return waiting
        state = "next" if any(row.state == "current" for row in rows) else "current"
        return await create_key(connection, directory, passphrase, vendor_id, state)


async def promote(connection: asyncpg.Connection, vendor_id: int) -> str | None:
    """Makes the vendor's next key current and retires the current one (still published, so
    the licenses it signed verify); None when the vendor has no next key."""
    async with connection.transaction():
        await queries.lock_keys(connection)
        return await queries.promote_next(connection, vendor_id)


async def rotate(
    connection: asyncpg.Connection, directory: Path, passphrase: str | None, vendor_id: int
) -> str:
    """A new current key at once (next and promoted in one step): for a key that must stop
    signing now. Applications that pinned only the old key refuse the new licenses until they
    are given the new one; the staged way (:func:`add_next_key`, then :func:`promote`) avoids it.
    """
    async with connection.transaction():
        created = await add_next_key(connection, directory, passphrase, vendor_id)
        # A vendor without keys gets its first one current at once: nothing to promote.
        return await promote(connection, vendor_id) or created
