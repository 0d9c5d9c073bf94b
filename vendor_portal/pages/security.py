"""Browser sessions and CSRF tokens of the portal's pages.

The session is a signed cookie (HMAC-SHA256) naming the user, the user's token version and a
random session token whose hash the ``portal_sessions`` table keeps: sign-out, a password
change or reset, disabling the user, or the user ending it from the sessions page ends it on the
server, so a copied or replayed cookie stops working at once. The cookie is HttpOnly,
SameSite=Lax, limited to ``/portal/`` and Secure unless ``cookie_secure`` is off (plain-HTTP
development and tests).

CSRF: every visitor carries a random, HttpOnly ``portal_csrf`` cookie, and every form posts a
token that is an HMAC of it. A cross-site page can neither read the cookie nor compute the
token, so it cannot forge a form; the token does not depend on the session, so the sign-in form
is protected as well. Requests whose ``Origin`` names another site are refused outright.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

SESSION_COOKIE = "portal_session"
CSRF_COOKIE = "portal_csrf"
LANGUAGE_COOKIE = "portal_lang"
FLASH_COOKIE = "portal_flash"
# Remembers which account signed in from this browser, so that a flood of strangers' wrong
# passwords on that account does not lock its owner's browser out.
DEVICE_COOKIE = "portal_device"
DEVICE_COOKIE_SECONDS = 365 * 24 * 3600
COOKIE_PATH = "/portal/"
# A session ends after this long without a request; each page view renews it.
SESSION_IDLE_SECONDS = 12 * 3600
# ...and after this long in any case, so a stolen cookie is not good forever.
SESSION_ABSOLUTE_SECONDS = 7 * 24 * 3600
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    user_id: int
    version: int
    # When the user signed in: the absolute limit counts from here.
    started: int
    expires: int
    # Names the server-side row (its hash does): without a live row the cookie is worthless.
    token: str = ""

    def renewed(self, now: int) -> Session:
        limit = self.started + SESSION_ABSOLUTE_SECONDS
        return Session(
            self.user_id,
            self.version,
            self.started,
            min(now + SESSION_IDLE_SECONDS, limit),
            self.token,
        )


class Signer:
    """Keys derived from the server's secret, one per purpose, so that a value signed for one
    use (a CSRF token) is never accepted for another (a session)."""

    def __init__(self, secret: str) -> None:
        master = secret.encode()
        self._session_key = hmac.new(master, b"portal-session-v1", hashlib.sha256).digest()
        self._csrf_key = hmac.new(master, b"portal-csrf-v1", hashlib.sha256).digest()

    def _mac(self, key: bytes, payload: bytes) -> str:
        return _b64encode(hmac.new(key, payload, hashlib.sha256).digest())

    def dump_session(self, session: Session) -> str:
        payload = json.dumps(
            {
                "u": session.user_id,
                "v": session.version,
                "s": session.started,
                "e": session.expires,
                "t": session.token,
            },
            separators=(",", ":"),
        ).encode()
        body = _b64encode(payload)
        return f"{body}.{self._mac(self._session_key, body.encode())}"

    def load_session(self, cookie: str | None, now: int | None = None) -> Session | None:
        """The session in a cookie, or None when it is absent, altered or expired."""
        if not cookie or len(cookie) > 512 or cookie.count(".") != 1:
            return None
        body, mac = cookie.split(".")
        if not hmac.compare_digest(mac, self._mac(self._session_key, body.encode())):
            return None
        try:
            data = json.loads(_b64decode(body))
            session = Session(
                int(data["u"]), int(data["v"]), int(data["s"]), int(data["e"]), str(data["t"])
            )
        except (binascii.Error, ValueError, KeyError, TypeError):
            return None
        now = int(time.time()) if now is None else now
        if session.expires <= now or session.started + SESSION_ABSOLUTE_SECONDS <= now:
            return None
        return session

    def dump_flashes(self, flashes: list[tuple[str, str]]) -> str:
        body = _b64encode(json.dumps(flashes[:5], ensure_ascii=False).encode())
        return f"{body}.{self._mac(self._session_key, b'flash:' + body.encode())}"

    def load_flashes(self, cookie: str | None) -> list[tuple[str, str]]:
        """Messages for the page after a redirect; signed so that no one else can plant them."""
        if not cookie or len(cookie) > 4096 or cookie.count(".") != 1:
            return []
        body, mac = cookie.split(".")
        if not hmac.compare_digest(mac, self._mac(self._session_key, b"flash:" + body.encode())):
            return []
        try:
            data = json.loads(_b64decode(body))
            return [(str(kind), str(text)) for kind, text in data][:5]
        except (binascii.Error, ValueError, TypeError):
            return []

    def dump_device(self, user_id: int) -> str:
        body = str(user_id)
        return f"{body}.{self._mac(self._session_key, b'device:' + body.encode())}"

    def load_device(self, cookie: str | None) -> int | None:
        """The user who signed in from this browser before, if the cookie is ours."""
        if not cookie or len(cookie) > 128 or cookie.count(".") != 1:
            return None
        body, mac = cookie.split(".")
        expected = self._mac(self._session_key, b"device:" + body.encode())
        if not body.isascii() or not body.isdigit() or not hmac.compare_digest(mac, expected):
            return None
        return int(body)

    def csrf_token(self, csrf_cookie: str) -> str:
        return self._mac(self._csrf_key, csrf_cookie.encode())

    def check_csrf(self, csrf_cookie: str | None, token: str | None) -> bool:
        if not csrf_cookie or not token:
            return False
        return hmac.compare_digest(self.csrf_token(csrf_cookie), token)


def new_session(user_id: int, version: int, token: str = "", now: int | None = None) -> Session:
    now = int(time.time()) if now is None else now
    return Session(user_id, version, now, now + SESSION_IDLE_SECONDS, token)


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(32)
