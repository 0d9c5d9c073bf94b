"""``activation-client``: activate, inspect and move a license from a terminal.

For end users and support staff. Exit status: 0 done, 1 refused (the message says why and what
to do), 2 wrong usage, 3 the activation service could not be reached.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from client_sdk import errors
from client_sdk.client import FINGERPRINT_ENV, Client
from client_sdk.errors import ClientError
from client_sdk.fingerprint import FingerprintUnavailable, resolve
from client_sdk.license import License
from client_sdk.store import Store, StoreCorrupt, default_directory

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
_UNREACHABLE = frozenset({errors.NETWORK_ERROR, errors.SERVICE_UNAVAILABLE})


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--product", required=True, help="product code, e.g. ACME")
    common.add_argument(
        "--server",
        help="activation service URL (default: the one the license came from)",
    )
    common.add_argument("--store", type=Path, help="license directory (default: per user)")
    common.add_argument(
        "--public-keys",
        type=Path,
        metavar="FILE",
        help="the service's public keys (JWKS or PEM) to verify with",
    )
    common.add_argument(
        "--fingerprint",
        help=f"use this machine fingerprint instead of the hardware's (also ${FINGERPRINT_ENV})",
    )
    common.add_argument("--timeout", type=float, default=10.0, help="seconds per request")

    parser = argparse.ArgumentParser(
        prog="activation-client",
        description="Activate this machine for a protected application, or check its license.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    activate = commands.add_parser(
        "activate", parents=[common], help="activate a serial number on this machine"
    )
    activate.add_argument("serial")
    activate.add_argument("--feature", action="append", dest="features", metavar="NAME")

    status = commands.add_parser("status", parents=[common], help="show this machine's license")
    status.add_argument(
        "--online", action="store_true", help="also ask the service whether it is still valid"
    )

    commands.add_parser(
        "deactivate", parents=[common], help="free this machine's slot to move the license"
    )

    offline = commands.add_parser(
        "offline-request",
        parents=[common],
        help="print an activation request code for a machine without network",
    )
    offline.add_argument("serial")
    offline.add_argument("--feature", action="append", dest="features", metavar="NAME")
    offline.add_argument("--output", "-o", type=Path, help="write the code to this file")

    install = commands.add_parser(
        "install", parents=[common], help="install a license obtained offline"
    )
    install.add_argument("file", help="the license file ('-' reads standard input)")

    revocations = commands.add_parser(
        "revocations",
        parents=[common],
        help="apply the vendor's signed revocation list (offline machines)",
    )
    revocations.add_argument("file", help="the revocation list file ('-' reads standard input)")

    fingerprint = commands.add_parser("fingerprint", help="print this machine's fingerprint")
    fingerprint.add_argument("--fingerprint", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr
    try:
        if arguments.command == "fingerprint":
            try:
                print(resolve(arguments.fingerprint, FINGERPRINT_ENV), file=out)
            except FingerprintUnavailable as error:
                print(f"{errors.FINGERPRINT_UNAVAILABLE}: {error}", file=err)
                return EXIT_REFUSED
            return EXIT_OK
        client = _client(arguments)
        return _run(arguments, client, out)
    except ClientError as error:
        print(f"{error.code}: {error}", file=err)
        return EXIT_UNREACHABLE if error.code in _UNREACHABLE else EXIT_REFUSED
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=err)
        return EXIT_USAGE


def _client(arguments: argparse.Namespace) -> Client:
    store_path = arguments.store or default_directory(arguments.product)
    server = arguments.server or _stored_server(Path(store_path))
    keys = None
    if arguments.public_keys is not None:
        keys = arguments.public_keys.read_text(encoding="utf-8")
    return Client(
        server,
        arguments.product,
        store_path=store_path,
        public_keys=keys,
        fingerprint=arguments.fingerprint,
        # The person at the terminal set the variable on purpose; see Client for why the
        # library does not do this by default.
        allow_fingerprint_env=True,
        timeout=arguments.timeout,
    )


def _stored_server(store_path: Path) -> str | None:
    try:
        record = Store(store_path).read_license()
    except StoreCorrupt:
        return None
    server = None if record is None else record.get("server")
    return server if isinstance(server, str) else None


def _run(arguments: argparse.Namespace, client: Client, out: TextIO) -> int:
    command = arguments.command
    if command == "activate":
        if client.server_url is None:
            raise ValueError("give the activation service's URL with --server")
        license = client.activate(arguments.serial, features=arguments.features)
        print(f"Activated {client.product} on this machine.", file=out)
        _describe(license, out)
    elif command == "status":
        license = client.validate() if arguments.online else client.load()
        print(f"{client.product}: licensed on this machine.", file=out)
        _describe(license, out)
    elif command == "deactivate":
        receipt = client.deactivate()
        print(f"Deactivated {client.product} on this machine.", file=out)
        if receipt.used is not None and receipt.limit is not None:
            print(f"  activations now used: {receipt.used} of {receipt.limit}", file=out)
    elif command == "offline-request":
        code = client.offline_request(arguments.serial, features=arguments.features)
        if arguments.output is not None:
            arguments.output.write_text(code + "\n", encoding="utf-8")
            print(f"Wrote the activation request code to {arguments.output}.", file=out)
        else:
            print(code, file=out)
        print(
            "Take this code to a machine with network and paste it into the vendor portal's "
            "offline activation page; bring back the license and run "
            f"'activation-client install FILE --product {client.product}'.",
            file=sys.stderr,
        )
    elif command == "install":
        source = arguments.file
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        license = client.install(text)
        print(f"Installed the license of {client.product} on this machine.", file=out)
        _describe(license, out)
    elif command == "revocations":
        source = arguments.file
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="ascii")
        applied = client.apply_revocation_list(text)
        print(
            f"Revocation list {applied.sequence} of {applied.issued_at:%Y-%m-%d %H:%M} UTC is in "
            f"place ({len(applied.serials)} serials, {len(applied.activations)} activations).",
            file=out,
        )
    return EXIT_OK


def _describe(license: License, out: TextIO) -> None:
    expires = "never" if license.expires_at is None else f"{license.expires_at:%Y-%m-%d %H:%M} UTC"
    rows = [
        ("serial", license.serial),
        ("type", license.type),
        ("features", ", ".join(license.features) or "(none)"),
        ("expires", expires),
        ("activation", license.activation_id),
    ]
    if license.requires_check_in:
        rows.append(
            ("check-in", f"every {license.check_in_days} days, {license.grace_days} of grace")
        )
    if license.check_in_due_at is not None:
        rows.append(("due", f"{license.check_in_due_at:%Y-%m-%d %H:%M} UTC"))
    if license.lease_expires_at is not None and license.grace_remaining is not None:
        left = license.grace_remaining
        rows.append(
            (
                "runs until",
                f"{license.lease_expires_at:%Y-%m-%d %H:%M} UTC without a check-in "
                f"({left.days} days {left.seconds // 3600} hours left)",
            )
        )
    for name, value in rows:
        print(f"  {name:<11} {value}", file=out)


if __name__ == "__main__":
    sys.exit(main())
