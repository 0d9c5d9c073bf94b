"""ACME Report: a protected application whose ``export`` runs only with a valid license.

    python examples/protected_app.py                       # asks for a serial the first time
    python examples/protected_app.py --serial 7KQ2M-...    # activates without asking
    python examples/protected_app.py --deactivate          # frees this machine's slot

The activation service is ``$ACME_ACTIVATION_SERVER`` (default http://127.0.0.1:8080). A real
application pins its vendor's public keys (the JWKS on the portal's *Signing keys* page) so that
nobody can sign a license of their own; here they are read from ``$ACME_PUBLIC_KEYS`` when it
names a file, and otherwise fetched from the service on first activation. When the product
requires check-ins, ``load()`` renews the machine's lease when it is due. A revocation list
exported from the portal (``revocations.jwt`` shipped beside the program, or
``$ACME_REVOCATIONS``) tells machines that never go online of blocks and releases.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from client_sdk import ActivationError, Client, License, LicenseError

PRODUCT = "ACME"
SERVER = os.environ.get("ACME_ACTIVATION_SERVER", "http://127.0.0.1:8080")
KEYS_FILE = os.environ.get("ACME_PUBLIC_KEYS")
REVOCATIONS = Path(
    os.environ.get("ACME_REVOCATIONS") or Path(__file__).with_name("revocations.jwt")
)
# Refusals that asking for a serial again would not cure.
STOPPED = {"SERIAL_BLOCKED", "SERIAL_EXPIRED", "DEACTIVATED", "LEASE_EXPIRED", "CLOCK_TAMPERED"}


def apply_revocations(client: Client) -> None:
    """Keeps the revocation list shipped with this build, unless a newer one is kept already."""
    if not REVOCATIONS.is_file():
        return
    try:
        client.apply_revocation_list(REVOCATIONS.read_bytes())
    except LicenseError as error:
        if error.code != "REVOCATION_LIST_OUTDATED":  # an older file than the kept list: fine
            print(f"The revocation list was not applied: {error}", file=sys.stderr)


def licensed(client: Client, serial: str | None) -> License | None:
    """The license of this machine, activating it if needed; None when there is none."""
    try:
        license = client.load()  # checks in quietly when the product's policy says it is due
    except LicenseError as error:
        if error.code in STOPPED:
            # The vendor's signed word (blocked, released…) or a lease that ran out: a new
            # activation on this machine would not change it, a check-in online will.
            print(f"ACME Report cannot start: {error}", file=sys.stderr)
            return None
        if error.code != "NOT_ACTIVATED":
            print(f"The license on this machine cannot be used: {error}", file=sys.stderr)
    else:
        if license.lease_expires_at is not None and license.grace_remaining is not None:
            print(
                f"Licensed; next check-in due {license.check_in_due_at:%Y-%m-%d}, runs offline "
                f"until {license.lease_expires_at:%Y-%m-%d} "
                f"({license.grace_remaining.days} days left)."
            )
        return license
    if serial is None:
        if not sys.stdin.isatty():
            print("ACME Report is not activated; run it with --serial.", file=sys.stderr)
            return None
        serial = input("Serial number (empty to quit): ").strip()
        if not serial:
            return None
    try:
        return client.activate(serial)
    except ActivationError as error:
        print(f"Activation refused: {error}", file=sys.stderr)
        return None


def export(license: License, target: Path) -> None:
    """The protected feature."""
    target.write_text(f"report,licensed to,{license.serial}\nrows,42\n", encoding="utf-8")
    print(f"Exported the report to {target}.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ACME Report (a protected application)")
    parser.add_argument("--serial", help="activate with this serial number")
    parser.add_argument("--deactivate", action="store_true", help="free this machine's slot")
    parser.add_argument("--store", type=Path, help="license directory (default: per user)")
    parser.add_argument("--output", type=Path, default=Path("report.csv"))
    arguments = parser.parse_args(argv)

    keys = Path(KEYS_FILE).read_text(encoding="utf-8") if KEYS_FILE else None
    client = Client(SERVER, product=PRODUCT, store_path=arguments.store, public_keys=keys)

    if arguments.deactivate:
        try:
            client.deactivate()
        except (ActivationError, LicenseError) as error:
            print(f"Deactivation failed: {error}", file=sys.stderr)
            return 1
        print("This machine's license is released; activate it on another machine.")
        return 0

    apply_revocations(client)
    license = licensed(client, arguments.serial)
    if license is None:
        return 1
    if not license.has_feature("export"):
        print("Your license does not include export; ask ACME for an upgrade.", file=sys.stderr)
        return 1
    if license.expires_at is not None:
        print(f"Trial license, valid until {license.expires_at:%Y-%m-%d}.")
    export(license, arguments.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
