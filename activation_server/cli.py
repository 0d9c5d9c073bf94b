"""The command line: ``activation-server serve | migrate | keys rotate | demo``.

``serve`` migrates, seeds the demo when asked, and hands over to the supervisor
(:mod:`activation_server.supervisor`), whose workers serve what the composition
(:mod:`activation_server.composition`) builds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

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
from activation_server.settings import SURFACES, ConfigError, Settings
from activation_server.supervisor import configure_logging, database, serve

__all__ = ["main"]

log = logging.getLogger("activation_server")
T = TypeVar("T")

DEMO_FINGERPRINT = "0" * 63 + "1"


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
    serve.add_argument(
        "--only",
        choices=SURFACES,
        dest="surface",
        help="serve only the activation API, or only the portal and vendor API (default: all)",
    )

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
    if settings.serves_api:
        print(f"  Activation API   {base}/v1/")
    if settings.serves_portal:
        print(f"  Vendor portal    {base}/portal/")
    if settings.serves_api:
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


def _serve(settings: Settings, demo: bool) -> int:
    with database(settings) as resolved:

        async def prepare() -> dict[str, Any] | None:
            await _prepare(resolved)
            return await _demo(resolved) if demo else None

        demo_data = asyncio.run(prepare())
        if demo_data is not None:
            _print_demo(demo_data, resolved)
        return serve(resolved)


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"activation-server: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings)
    try:
        if arguments.command == "serve":
            overrides = {
                name: value
                for name in ("host", "port", "workers", "surface")
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
