"""The activation endpoint as a team would write it first: the benchmark's baseline.

``POST /v1/activations`` on the same aiohttp and asyncpg as the server, the textbook way: one
transaction per request, the serial's row locked by ``SELECT … FOR UPDATE``, the machine's live
activation looked up, the activation, the count and the audit row written, commit; then an
Ed25519-signed license (PyJWT). Same tables, same answers (201 new, 200 known machine, 409 pool
full, 404 unknown serial), so the correctness gates hold over what it writes. No batching, no
single-statement activation.

``python -m bench.peer --port P --workers N --database-url URL``
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

POOL = web.AppKey("pool", asyncpg.Pool)
KEY = web.AppKey("key", Ed25519PrivateKey)
URL = web.AppKey("url", str)

SERIAL = """
SELECT s.used, s.activation_limit, s.status, s.features, s.trial, s.trial_days,
       p.code AS product, p.vendor_id
FROM serials s JOIN products p ON p.id = s.product_id
WHERE s.serial = $1
FOR UPDATE OF s
"""
EXISTING = """
SELECT id, created_at, expires_at, features FROM activations
WHERE serial = $1 AND fingerprint = $2 AND deactivated_at IS NULL
"""
INSERT = """
INSERT INTO activations (id, serial, fingerprint, features, client, address, via, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, 'online', $7)
RETURNING created_at
"""
COUNT = "UPDATE serials SET used = used + 1 WHERE serial = $1"
AUDIT = """
INSERT INTO audit_log (actor, vendor_id, action, subject, address, details)
VALUES ('machine', $1, 'activation.create', $2, $3, $4)
"""


def _error(status: int, code: str) -> web.Response:
    return web.json_response({"error": {"code": code}}, status=status)


async def activate(request: web.Request) -> web.Response:
    body = await request.json()
    serial, fingerprint = body["serial"], body["fingerprint"]
    address = request.remote
    async with request.app[POOL].acquire() as connection, connection.transaction():
        row = await connection.fetchrow(SERIAL, serial)
        if row is None:
            return _error(404, "serial_not_found")
        if row["status"] != "active":
            return _error(403, "serial_blocked")
        existing = await connection.fetchrow(EXISTING, serial, fingerprint)
        if existing is not None:
            activation_id, created = existing["id"], existing["created_at"]
            status = 200
        elif row["used"] >= row["activation_limit"]:
            return _error(409, "activation_limit_reached")
        else:
            activation_id = uuid.uuid4()
            expires = (
                datetime.now(UTC) + timedelta(days=row["trial_days"]) if row["trial"] else None
            )
            created = await connection.fetchval(
                INSERT,
                activation_id,
                serial,
                fingerprint,
                row["features"],
                json.dumps(body.get("client") or {}),
                address,
                expires,
            )
            await connection.execute(COUNT, serial)
            details = {"activation_id": str(activation_id), "fingerprint": fingerprint}
            await connection.execute(AUDIT, row["vendor_id"], serial, address, json.dumps(details))
            status = 201
    claims: dict[str, Any] = {
        "sub": serial,
        "fp": fingerprint,
        "aid": str(activation_id),
        "aud": row["product"],
        "features": row["features"],
        "iat": int(created.timestamp()),
    }
    token = jwt.encode(claims, request.app[KEY], algorithm="EdDSA")
    answer = {"activation_id": str(activation_id), "serial": serial, "license": token}
    return web.json_response(answer, status=status)


async def _pool(app: web.Application) -> AsyncIterator[None]:
    app[POOL] = await asyncpg.create_pool(app[URL], min_size=10, max_size=10)
    yield
    await app[POOL].close()


def serve(url: str, sock: socket.socket) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    app = web.Application()
    app[URL] = url
    app[KEY] = Ed25519PrivateKey.generate()
    app.cleanup_ctx.append(_pool)
    app.router.add_post("/v1/activations", activate)
    web.run_app(app, sock=sock, print=None, access_log=None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peer")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", required=True)
    arguments = parser.parse_args(argv)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", arguments.port))
    sock.listen(1024)
    workers = [
        multiprocessing.Process(target=serve, args=(arguments.database_url, sock))
        for _ in range(arguments.workers)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


if __name__ == "__main__":
    main()
