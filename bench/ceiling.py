"""The HTTP ceiling: what aiohttp answers per second on this machine with no database.

``python -m bench.ceiling --port P --workers N --body-bytes B`` serves ``POST /v1/activations``
with the server's worker count and event loop: it reads and parses the same request body with
the server's own parser (JSON, serial check symbol, fingerprint) and answers 201 with a JSON body
of B bytes, the size of a real activation answer. An activation can only be slower than this, so
activation / ceiling says how much of the machine the activation path leaves to HTTP.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import signal
import sys
from typing import Any

from aiohttp import web

from activation_server.activations.requests import parse_activation


def _body(size: int) -> bytes:
    skeleton: dict[str, Any] = {"activation_id": "", "license": ""}
    base = len(json.dumps(skeleton).encode())
    skeleton["license"] = "x" * max(0, size - base)
    return json.dumps(skeleton).encode()


def make_app(body_bytes: int) -> web.Application:
    payload = _body(body_bytes)

    async def activation(request: web.Request) -> web.Response:
        raw = await request.read()
        parse_activation(json.loads(raw))
        return web.Response(body=payload, status=201, content_type="application/json")

    app = web.Application()
    app.router.add_post("/v1/activations", activation)
    return app


def _worker(host: str, port: int, body_bytes: int, loop: str) -> None:
    import asyncio

    event_loop = asyncio.new_event_loop()
    if loop == "uvloop":
        import uvloop

        event_loop = uvloop.new_event_loop()
    web.run_app(
        make_app(body_bytes),
        host=host,
        port=port,
        reuse_port=True,
        print=None,
        access_log=None,
        loop=event_loop,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ceiling")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--body-bytes", type=int, default=900)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    arguments = parser.parse_args(argv)
    if arguments.host not in ("127.0.0.1", "::1", "localhost"):
        parser.error("the ceiling server listens on loopback only")
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(
            target=_worker,
            args=(arguments.host, arguments.port, arguments.body_bytes, arguments.loop),
        )
        for _ in range(arguments.workers)
    ]
    for worker in workers:
        worker.start()
    print("ready", flush=True)

    def stop(signum: int, frame: object) -> None:
        for worker in workers:
            if worker.is_alive() and worker.pid is not None:
                worker.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for worker in workers:
        worker.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
