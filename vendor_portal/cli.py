"""Account commands of ``activation-server``: ``create-user EMAIL --role staff|vendor``."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from activation_server.db.migrate import migrate
from activation_server.db.pool import create_pool
from activation_server.errors import ApiError
from activation_server.settings import Settings
from vendor_portal import parsing
from vendor_portal.accounts import service
from vendor_portal.accounts.passwords import Passwords, check_strength
from vendor_portal.actor import system_actor

Runner = Callable[[Settings, Callable[[Settings], Awaitable[Any]]], Any]


def add_commands(commands: Any) -> None:
    create = commands.add_parser("create-user", help="create a confirmed staff or vendor user")
    create.add_argument("email")
    create.add_argument("--role", choices=service.ROLES, required=True)
    create.add_argument("--company", help="the vendor's company (created if new)")
    create.add_argument("--individual", action="store_true", help="a new company is an individual")
    create.add_argument("--password", help="the password (asked for when not given)")


def _password(arguments: Any) -> str:
    if arguments.password is not None:
        return str(arguments.password)
    if not sys.stdin.isatty():
        raise SystemExit("activation-server: give --password, or run in a terminal to be asked")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise SystemExit("activation-server: the passwords differ")
    return first


def run_command(arguments: Any, settings: Settings, run: Runner) -> int:
    if arguments.command != "create-user":
        print(f"activation-server: unknown command {arguments.command}", file=sys.stderr)
        return 2
    try:
        email = parsing.email(arguments.email)
        password = check_strength(_password(arguments))
        if arguments.role == "vendor" and not arguments.company:
            raise SystemExit("activation-server: a vendor user needs --company NAME")
        if arguments.role == "staff" and arguments.company:
            raise SystemExit("activation-server: staff users belong to no company")
    except ApiError as exc:
        print(f"activation-server: {exc.message}", file=sys.stderr)
        return 2

    async def job(resolved: Settings) -> Any:
        assert resolved.database_url is not None
        pool = await create_pool(resolved.database_url, resolved, min_size=1, max_size=2)
        try:
            async with pool.acquire() as connection:
                await migrate(connection)
            return await service.create_user(
                pool,
                Passwords.from_settings(resolved),
                system_actor(),
                email=email,
                password=password,
                role=arguments.role,
                company=arguments.company,
                kind="individual" if arguments.individual else "legal_entity",
            )
        finally:
            await pool.close()

    try:
        user = run(settings, job)
    except ApiError as exc:
        print(f"activation-server: {exc.message}", file=sys.stderr)
        return 1
    company = f" of company {user.vendor_id}" if user.vendor_id else ""
    print(f"created {user.role} user {user.email} (id {user.id}){company}")
    return 0
