"""Session tokens of the vendor API: short-lived JWTs signed with the server's secret (HS256).

The algorithm is pinned on decoding, and the audience, issuer and expiry are required, so a
license (EdDSA, audience = a product code) can never pass for a session token.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from activation_server.settings import Settings

ALGORITHM = "HS256"
AUDIENCE = "vendor-api"
SECRET_FILE = "session-secret"  # noqa: S105 - a file name


def load_secret(settings: Settings) -> str:
    """The configured secret, or one generated once into the data directory (mode 0600)."""
    if settings.portal.secret_key:
        return settings.portal.secret_key
    directory = settings.data_dir
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / SECRET_FILE
    if not path.exists():
        _write_once(path, secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()


def _write_once(path: Path, value: str) -> None:
    # Written whole to a private temporary file and linked into place: a worker starting at the
    # same moment either wins the link or reads the winner's complete file.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(value + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@dataclass(frozen=True)
class SessionClaims:
    user_id: int
    version: int


class SessionTokens:
    def __init__(self, secret: str, issuer: str, lifetime_seconds: int) -> None:
        self._secret = secret
        self.issuer = issuer
        self.lifetime_seconds = lifetime_seconds

    def issue(self, user_id: int, role: str, vendor_id: int | None, version: int) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": str(user_id),
            "role": role,
            "vid": vendor_id,
            "ver": version,
            "iat": now,
            "exp": now + self.lifetime_seconds,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def decode(self, token: str) -> SessionClaims:
        """Raises jwt.InvalidTokenError for anything but a valid, current token of ours."""
        claims = jwt.decode(
            token,
            self._secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=self.issuer,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
        subject, version = claims.get("sub"), claims.get("ver")
        if (
            not isinstance(subject, str)
            or not (subject.isascii() and subject.isdigit())
            or not isinstance(version, int)
        ):
            raise jwt.InvalidTokenError("malformed claims")
        return SessionClaims(int(subject), version)
