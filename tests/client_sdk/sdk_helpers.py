"""Shared pieces of the SDK's tests: a local signing key, a hand-set clock, a scripted server.

The scripted server is the standard library's HTTP server in a thread, answering what each test
says; it stands in for the activation service where the real one cannot be made to fail on cue
(retries, error mapping). The tests against the real server are in test_client_live.py.
"""

from __future__ import annotations

import base64
import json
import ssl
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PRODUCT = "ACME"
SERIAL = "7KQ2M-4X9PR-T3VW8-ANC5J"
FP = "a1" * 32
OTHER_FP = "b2" * 32


class Signer:
    """An Ed25519 key standing in for the server's, able to issue licenses."""

    def __init__(self, kid: str = "test-key-1") -> None:
        self.kid = kid
        self.private = Ed25519PrivateKey.generate()
        raw = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    @property
    def jwk(self) -> dict[str, str]:
        return {"kty": "OKP", "crv": "Ed25519", "x": self.x, "kid": self.kid, "use": "sig"}

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk]}

    @property
    def pem(self) -> str:
        return (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def claims(self, **overrides: Any) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "iss": "test-server",
            "sub": SERIAL,
            "aud": PRODUCT,
            "fp": FP,
            "aid": str(uuid.uuid5(uuid.NAMESPACE_URL, overrides.get("fp") or FP)),
            "typ": "full",
            "feat": ["export", "print"],
            "iat": int(time.time()),
        }
        claims.update(overrides)
        return {key: value for key, value in claims.items() if value is not None}

    def sign(self, **overrides: Any) -> str:
        return jwt.encode(
            self.claims(**overrides), self.private, algorithm="EdDSA", headers={"kid": self.kid}
        )

    def activation(self, status_used: int = 1, **overrides: Any) -> dict[str, Any]:
        token = self.sign(**overrides)
        claims = jwt.decode(token, options={"verify_signature": False})
        return {
            "activation_id": claims["aid"],
            "serial": claims["sub"],
            "product": claims["aud"],
            "type": claims["typ"],
            "features": claims["feat"],
            "activations": {"used": status_used, "limit": 3},
            "expires_at": None,
            "license": token,
        }


class Clock:
    """A hand-set clock for the client: time moves only when the test says so."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


Reply = tuple[int, Any] | tuple[int, Any, dict[str, str]]
Handler = Callable[[Recorded], Reply]


@dataclass
class FakeServer:
    """Answers each request with ``handler(request)``; keeps every request it saw."""

    url: str
    requests: list[Recorded] = field(default_factory=list)
    handler: Handler | None = None
    delay: float = 0.0

    def paths(self) -> list[str]:
        return [f"{request.method} {request.path}" for request in self.requests]


@contextmanager
def serve(state: FakeServer, ssl_context: ssl.SSLContext | None = None) -> Iterator[FakeServer]:
    """Runs a scripted server on a free loopback port for the duration of the block."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw
            request = Recorded(self.command, self.path, dict(self.headers), body)
            state.requests.append(request)
            if state.delay:
                time.sleep(state.delay)
            assert state.handler is not None, "the test did not script an answer"
            reply = state.handler(request)
            status, payload = reply[0], reply[1]
            headers = reply[2] if len(reply) == 3 else {}
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = _answer
        do_POST = _answer

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            # A client that gave up (timeout tests, oversized answers) closes mid-answer.
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), Handler)
    scheme = "http"
    if ssl_context is not None:
        server.socket = ssl_context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    state.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def activation_service(signer: Signer, **claims: Any) -> Handler:
    """A scripted activation service: issues licenses for the fingerprint it is sent."""

    def handle(request: Recorded) -> Reply:
        if request.path == "/v1/keys":
            return 200, signer.jwks
        if request.path == "/v1/activations":
            body = request.body
            overrides = {"fp": body["fingerprint"], "feat": body.get("features", ["export"])}
            return 201, signer.activation(**{**overrides, **claims})
        if request.path == "/v1/validations":
            return 200, {"valid": True, "code": "VALID"}
        if request.path == "/v1/deactivations":
            return 200, {
                "activation_id": "a",
                "deactivated_at": "2030-01-01T00:00:00+00:00",
                "activations": {"used": 0, "limit": 3},
            }
        return 404, {"error": {"code": "NOT_FOUND", "message": "no such route"}}

    return handle
