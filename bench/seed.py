"""Seeds a database for load tests: many serials through COPY, and machines already activated.

``python -m bench.seed --sp3 200000 --trials 4 --activated 20000 --out bench/data`` creates a
vendor and the product ``BENCH``, issues the serials in COPY batches with a progress bar, inserts
``--activated`` SP3 serials that each already hold three live activations (the machines of the
re-activation and validation scenarios), and writes the files that the load generators read:

- ``sp3.txt``: unused SP3 serials, one a line (cold activations take three slots of each);
- ``trial.txt``: unused TRIAL100K serials, one a line (one per hot run);
- ``machines.txt``: ``serial fingerprint`` pairs that hold a live activation.

The database is ``--database-url``, else ``ACTIVATION_DATABASE_URL``, else the embedded server in
``ACTIVATION_DATA_DIR`` (the same one ``activation-server serve`` uses).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import secrets
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import asyncpg

from activation_server.catalog import queries as catalog
from activation_server.db.migrate import migrate
from activation_server.serials.queries import SERIAL_COLUMNS
from client_sdk.serial import ALPHABET, SYMBOLS, check_symbol, format_compact

PRODUCT = "BENCH"
FEATURES = ["export", "print", "reports"]
BATCH = 10_000
MACHINES_PER_SERIAL = 3


class Progress:
    """A one-line progress bar on a terminal (stderr), plain lines elsewhere; stdlib only."""

    def __init__(self, label: str, total: int, stream: TextIO = sys.stderr) -> None:
        self.label, self.total, self.stream = label, max(total, 1), stream
        self.done = 0
        self.started = time.monotonic()
        self.tty = stream.isatty()
        self._last_line = -1.0

    def advance(self, count: int) -> None:
        self.done += count
        elapsed = max(time.monotonic() - self.started, 1e-9)
        share = min(self.done / self.total, 1.0)
        width = 30
        bar = "#" * int(share * width)
        text = (
            f"{self.label:<12} [{bar:<{width}}] {self.done:>9,}/{self.total:,} "
            f"{self.done / elapsed:>9,.0f}/s"
        )
        if self.tty:
            self.stream.write("\r" + text)
            self.stream.flush()
        elif share >= 1.0 or elapsed - self._last_line >= 2.0:
            self._last_line = elapsed
            self.stream.write(text + "\n")

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def new_serials(count: int) -> list[str]:
    """``count`` distinct valid serials; 95 random bits each, so collisions are negligible."""
    token = secrets.token_bytes
    serials: set[str] = set()
    while len(serials) < count:
        # One CSPRNG call per serial; 5 bits of each byte pick a symbol (32 symbols, no bias).
        raw = token(SYMBOLS - 1)
        payload = "".join(ALPHABET[byte & 31] for byte in raw)
        serials.add(format_compact(payload + check_symbol(payload)))
    return list(serials)


def machine_fingerprint(serial: str, index: int) -> str:
    return hashlib.sha256(f"bench-machine:{serial}:{index}".encode()).hexdigest()


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class Seeded:
    sp3: list[str]
    trials: list[str]
    machines: list[tuple[str, str]]


async def _product(connection: asyncpg.Connection) -> int:
    existing = await catalog.product_by_code(connection, PRODUCT, None)
    if existing is not None:
        return existing.id
    vendor = await catalog.insert_vendor(connection, "Bench Vendor")
    product = await catalog.insert_product(connection, vendor, PRODUCT, "Benchmark", FEATURES)
    return product.id


def _serial_record(serial: str, product_id: int, license_type: str, used: int) -> tuple[Any, ...]:
    trial = license_type.startswith("TRIAL")
    limit = {"SP3": 3, "TRIAL100K": 100_000}[license_type]
    record = (serial, product_id, license_type, trial, not trial, limit, FEATURES)
    return (*record, 30 if trial else None, None, used)


async def seed(url: str, *, sp3: int, trials: int, activated: int, quiet: bool = False) -> Seeded:
    """Creates the serials and activations; returns what the load generators need."""
    connection = await asyncpg.connect(url)
    try:
        await migrate(connection)
        product_id = await _product(connection)
        fresh = new_serials(sp3 + trials + activated)
        plan = [
            ("SP3", fresh[:sp3], 0),
            ("TRIAL100K", fresh[sp3 : sp3 + trials], 0),
            ("SP3", fresh[sp3 + trials :], MACHINES_PER_SERIAL),
        ]
        columns = (*SERIAL_COLUMNS, "used")
        progress = Progress("serials", len(fresh), open_stream(quiet))
        for license_type, serials, used in plan:
            for chunk in _chunks(serials, BATCH):
                records = [_serial_record(s, product_id, license_type, used) for s in chunk]
                await connection.copy_records_to_table("serials", records=records, columns=columns)
                progress.advance(len(chunk))
        progress.close()

        activated_serials = fresh[sp3 + trials :]
        machines = [
            (serial, machine_fingerprint(serial, index))
            for serial in activated_serials
            for index in range(MACHINES_PER_SERIAL)
        ]
        progress = Progress("activations", len(machines), open_stream(quiet))
        for chunk in _chunks(machines, BATCH):
            rows = [(uuid.uuid4(), serial, fp, FEATURES, "online") for serial, fp in chunk]
            await connection.copy_records_to_table(
                "activations",
                records=rows,
                columns=("id", "serial", "fingerprint", "features", "via"),
            )
            progress.advance(len(chunk))
        progress.close()
        await connection.execute("ANALYZE serials; ANALYZE activations")
        return Seeded(fresh[:sp3], fresh[sp3 : sp3 + trials], machines)
    finally:
        await connection.close()


def open_stream(quiet: bool) -> TextIO:
    return open("/dev/null", "w") if quiet else sys.stderr


def write_files(seeded: Seeded, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "sp3.txt").write_text("".join(f"{s}\n" for s in seeded.sp3))
    (out / "trial.txt").write_text("".join(f"{s}\n" for s in seeded.trials))
    (out / "machines.txt").write_text("".join(f"{s} {fp}\n" for s, fp in seeded.machines))


def _database_url(given: str | None) -> tuple[Any, str]:
    if given:
        return None, given
    from activation_server.db.embedded import embedded_database_url
    from activation_server.settings import Settings

    settings = Settings.from_env()
    if settings.database_url:
        return None, settings.database_url
    return asyncio.run(embedded_database_url(settings.data_dir))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.seed", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database-url", help="PostgreSQL URL (default: as the server finds it)")
    parser.add_argument("--sp3", type=int, default=200_000, help="unused SP3 serials")
    parser.add_argument("--trials", type=int, default=4, help="unused TRIAL100K serials")
    parser.add_argument("--activated", type=int, default=20_000, help="SP3 serials fully used")
    parser.add_argument(
        "--out", type=Path, default=Path("bench/results/data"), help="files for the load generators"
    )
    arguments = parser.parse_args(argv)
    server, url = _database_url(arguments.database_url)
    started = time.monotonic()
    seeded = asyncio.run(
        seed(url, sp3=arguments.sp3, trials=arguments.trials, activated=arguments.activated)
    )
    write_files(seeded, arguments.out)
    print(
        f"seeded {arguments.sp3 + arguments.trials + arguments.activated:,} serials and "
        f"{len(seeded.machines):,} activations in {time.monotonic() - started:.1f} s; "
        f"files in {arguments.out}/",
        file=sys.stderr,
    )
    del server
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
