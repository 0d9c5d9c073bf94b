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
import random
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import asyncpg

from activation_server.db.migrate import migrate
from vendor_portal.products import queries as product_queries
from vendor_portal.serials.issuing import SerialBatch, issue_serials

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
    existing = await product_queries.product_by_code(connection, PRODUCT, None)
    if existing is not None:
        return existing.id
    vendor = await product_queries.insert_vendor(connection, "Bench Vendor")
    product = await product_queries.insert_product(
        connection, vendor, PRODUCT, "Benchmark", FEATURES
    )
    return product.id


async def issue(
    connection: asyncpg.Connection, product_id: int, license_type: str, count: int
) -> list[str]:
    """``count`` new unused serials of the benchmark's product, issued as an order's are."""
    [serials] = await issue_serials(
        connection, [SerialBatch(product_id, license_type, count, FEATURES)], trial_days=30
    )
    return serials


async def seed(url: str, *, sp3: int, trials: int, activated: int, quiet: bool = False) -> Seeded:
    """Creates the serials and activations; returns what the load generators need."""
    connection = await asyncpg.connect(url)
    try:
        await migrate(connection)
        product_id = await _product(connection)
        plan = [("SP3", sp3), ("TRIAL100K", trials), ("SP3", activated)]
        issued: list[list[str]] = []
        progress = Progress("serials", sp3 + trials + activated, open_stream(quiet))
        for license_type, count in plan:
            serials: list[str] = []
            for start in range(0, count, BATCH):
                serials += await issue(
                    connection, product_id, license_type, min(BATCH, count - start)
                )
                progress.advance(min(BATCH, count - start))
            issued.append(serials)
        progress.close()

        unused, trial_serials, activated_serials = issued
        # Issued sorted; end users activate them in no particular order.
        random.shuffle(unused)
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
        # The machines above hold every slot of their serials.
        await connection.execute(
            "UPDATE serials SET used = $2 WHERE serial = ANY($1::text[])",
            activated_serials,
            MACHINES_PER_SERIAL,
        )
        await connection.execute("ANALYZE serials; ANALYZE activations")
        return Seeded(unused, trial_serials, machines)
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
