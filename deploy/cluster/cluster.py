#!/usr/bin/env python3
"""A highly available cluster on one machine's loopback: etcd, three PostgreSQL 15 nodes under
Patroni with synchronous replication, HAProxy in front of the primary and of N server processes,
and PgBouncer (transaction pooling) in front of HAProxy's primary port.

    python deploy/cluster/cluster.py up   [--dir DIR] [--servers N] [--base-port P]
    python deploy/cluster/cluster.py down [--dir DIR]
    python deploy/cluster/cluster.py status [--dir DIR]

Everything lives under DIR (``.cluster/`` of the checkout by default): configuration, data, logs
and one pid file per started process; ``down`` stops exactly those processes by their pids.
PostgreSQL refuses to run as root, so when started by root the Patroni nodes (and PgBouncer) run
as the unprivileged ``postgres`` user, who owns their directories.

The same class drives the failover tests in ``tests/cluster/``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = ROOT / ".cluster"
PG_BIN_CANDIDATES = ("/usr/lib/postgresql/15/bin",)
NODES = 3
DATABASE = "activation"
APP_USER = "activation"
# Patroni's timings: a crashed primary is given up at once (primary_start_timeout 0) and the
# synchronous standby is promoted; loop_wait bounds how soon each node notices.
TTL_SECONDS = 20
LOOP_WAIT_SECONDS = 1
RETRY_TIMEOUT_SECONDS = 5


class ClusterError(RuntimeError):
    """A tool is missing or a part of the cluster did not come up."""


def tool(name: str, *extra_dirs: str) -> str:
    for directory in extra_dirs:
        candidate = Path(directory) / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise ClusterError(f"{name} is not installed (see deploy/cluster/README.md)")
    return found


def pg_bin_dir() -> str:
    for directory in PG_BIN_CANDIDATES:
        if (Path(directory) / "postgres").exists():
            return directory
    postgres = shutil.which("postgres")
    if postgres is None:
        raise ClusterError("PostgreSQL 15 server binaries are missing (apt install postgresql-15)")
    return str(Path(postgres).resolve().parent)


def missing_tools() -> list[str]:
    """What this machine lacks to run the cluster (empty when everything is there)."""
    missing = [name for name in ("etcd", "haproxy", "pgbouncer") if shutil.which(name) is None]
    try:
        pg_bin_dir()
    except ClusterError:
        missing.append("postgresql-15")
    try:
        patroni_executable()
    except ClusterError:
        missing.append("patroni")
    return missing


@dataclass(frozen=True)
class Ports:
    base: int

    @property
    def etcd_client(self) -> int:
        return self.base

    @property
    def etcd_peer(self) -> int:
        return self.base + 1

    @property
    def haproxy_primary(self) -> int:
        return self.base + 2

    @property
    def haproxy_http(self) -> int:
        return self.base + 3

    @property
    def haproxy_stats(self) -> int:
        return self.base + 4

    @property
    def pgbouncer(self) -> int:
        return self.base + 5

    def postgres(self, node: int) -> int:
        return self.base + 10 + node

    def rest(self, node: int) -> int:
        return self.base + 20 + node

    def server(self, index: int) -> int:
        return self.base + 30 + index


def _run_as() -> str | None:
    """The unprivileged user PostgreSQL runs as when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise ClusterError(
            "running as root needs the 'postgres' user (apt install postgresql-15)"
        ) from exc
    return "postgres"


def _chown(path: Path, user: str | None) -> None:
    if user is None:
        return
    entry = pwd.getpwnam(user)
    for item in [path, *path.rglob("*")]:
        os.chown(item, entry.pw_uid, entry.pw_gid)


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _http_json(url: str, timeout: float = 1.0) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body or b"null")
        except ValueError:
            return error.code, None
    except (OSError, ValueError):
        return 0, None


class Cluster:
    """One cluster's directory, ports and processes."""

    def __init__(
        self,
        directory: Path = DEFAULT_DIR,
        *,
        base_port: int = 15400,
        servers: int = 2,
        server_env: Mapping[str, str] | None = None,
    ) -> None:
        self.directory = directory.resolve()
        self.ports = Ports(base_port)
        self.servers = servers
        self.server_env = dict(server_env or {})
        self.pids_dir = self.directory / "pids"
        self.logs_dir = self.directory / "logs"
        self.state_file = self.directory / "cluster.json"

    # -- state ------------------------------------------------------------------------------

    @classmethod
    def load(cls, directory: Path = DEFAULT_DIR) -> Cluster:
        state = json.loads((directory / "cluster.json").read_text())
        cluster = cls(directory, base_port=state["base_port"], servers=state["servers"])
        cluster.server_env = state.get("server_env", {})
        return cluster

    def _save(self) -> None:
        self.state_file.write_text(
            json.dumps(
                {
                    "base_port": self.ports.base,
                    "servers": self.servers,
                    "server_env": self.server_env,
                }
            )
        )

    def _secret(self, name: str) -> str:
        path = self.directory / "secrets" / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.write_text(secrets.token_urlsafe(24))
            path.chmod(0o600)
        return path.read_text().strip()

    @property
    def app_password(self) -> str:
        return self._secret("app")

    @property
    def superuser_password(self) -> str:
        return self._secret("superuser")

    def url(
        self, port: int, *, user: str = APP_USER, database: str = DATABASE, **query: str
    ) -> str:
        password = self.app_password if user == APP_USER else self.superuser_password
        tail = "&".join(f"{key}={value}" for key, value in query.items())
        return f"postgresql://{user}:{password}@127.0.0.1:{port}/{database}" + (
            f"?{tail}" if tail else ""
        )

    @property
    def primary_url(self) -> str:
        """Through HAProxy: always the current primary."""
        return self.url(self.ports.haproxy_primary)

    @property
    def pgbouncer_url(self) -> str:
        return self.url(self.ports.pgbouncer)

    @property
    def multi_host_url(self) -> str:
        """Every node listed; asyncpg picks the one that accepts writes."""
        hosts = ",".join(f"127.0.0.1:{self.ports.postgres(n)}" for n in range(1, NODES + 1))
        return (
            f"postgresql://{APP_USER}:{self.app_password}@{hosts}/{DATABASE}"
            "?target_session_attrs=read-write"
        )

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.haproxy_http}"

    # -- processes --------------------------------------------------------------------------

    def _spawn(
        self,
        name: str,
        argv: list[str],
        *,
        user: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> int:
        self.pids_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.logs_dir / f"{name}.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # Its own process group, so that stopping it by pid reaches its children too.
                start_new_session=True,
                user=user,
                env={**os.environ, **(env or {})},
                cwd=self.directory,
            )
        (self.pids_dir / f"{name}.pid").write_text(str(process.pid))
        return process.pid

    def pid(self, name: str) -> int | None:
        path = self.pids_dir / f"{name}.pid"
        return int(path.read_text()) if path.exists() else None

    def stop_process(self, name: str, *, sig: int = signal.SIGTERM, wait: float = 15.0) -> None:
        """Stops one started process (and its process group) by the pid recorded for it."""
        self.stop_processes([name], sig=sig, wait=wait)

    def stop_processes(
        self, names: list[str], *, sig: int = signal.SIGTERM, wait: float = 15.0
    ) -> None:
        """Signals each named process's group at once, waits for all, then kills stragglers."""
        pids = {name: pid for name in names if (pid := self.pid(name)) is not None}
        for pid in pids.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(_alive(pid) for pid in pids.values()):
            time.sleep(0.1)
        for name, pid in pids.items():
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline and _alive(pid):
                    time.sleep(0.05)
            _reap(pid)
            (self.pids_dir / f"{name}.pid").unlink(missing_ok=True)

    def _wait(self, what: str, condition: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        raise ClusterError(
            f"{what} did not come up within {timeout:.0f} s; logs in {self.logs_dir}"
        )

    # -- etcd -------------------------------------------------------------------------------

    def start_etcd(self) -> None:
        data = self.directory / "etcd"
        data.mkdir(parents=True, exist_ok=True)
        client = f"http://127.0.0.1:{self.ports.etcd_client}"
        peer = f"http://127.0.0.1:{self.ports.etcd_peer}"
        self._spawn(
            "etcd",
            [
                tool("etcd"),
                "--name",
                "etcd1",
                "--data-dir",
                str(data),
                "--listen-client-urls",
                client,
                "--advertise-client-urls",
                client,
                "--listen-peer-urls",
                peer,
                "--initial-advertise-peer-urls",
                peer,
                "--initial-cluster",
                f"etcd1={peer}",
                "--initial-cluster-state",
                "new",
                "--enable-v2=true",
            ],
        )
        self._wait("etcd", lambda: _http_json(client + "/health")[0] == 200, 30)

    # -- Patroni ----------------------------------------------------------------------------

    def node_dir(self, node: int) -> Path:
        return self.directory / f"node{node}"

    def _patroni_config(self, node: int) -> str:
        port, rest = self.ports.postgres(node), self.ports.rest(node)
        directory = self.node_dir(node)
        config = {
            "scope": "activation",
            "name": f"node{node}",
            "log": {"level": "INFO"},
            "restapi": {"listen": f"127.0.0.1:{rest}", "connect_address": f"127.0.0.1:{rest}"},
            "etcd3": {"hosts": [f"127.0.0.1:{self.ports.etcd_client}"]},
            "bootstrap": {
                "dcs": {
                    "ttl": TTL_SECONDS,
                    "loop_wait": LOOP_WAIT_SECONDS,
                    "retry_timeout": RETRY_TIMEOUT_SECONDS,
                    "maximum_lag_on_failover": 1048576,
                    "primary_start_timeout": 0,
                    # A commit is acknowledged only once the synchronous standby has it, and only
                    # that standby may be promoted: no acknowledged write is lost by a failover.
                    "synchronous_mode": True,
                    "postgresql": {
                        "use_pg_rewind": True,
                        "parameters": {
                            "synchronous_commit": "on",
                            "wal_level": "replica",
                            "hot_standby": "on",
                            "wal_log_hints": "on",
                            "max_connections": 200,
                            "max_wal_senders": 10,
                            "max_replication_slots": 10,
                            "shared_buffers": "64MB",
                        },
                    },
                },
                "initdb": [{"encoding": "UTF8"}, {"locale": "C"}, "data-checksums"],
            },
            "postgresql": {
                "listen": f"127.0.0.1:{port}",
                "connect_address": f"127.0.0.1:{port}",
                "data_dir": str(directory / "data"),
                "bin_dir": pg_bin_dir(),
                "pgpass": str(directory / "pgpass"),
                "authentication": {
                    "superuser": {"username": "postgres", "password": self.superuser_password},
                    "replication": {
                        "username": "replicator",
                        "password": self._secret("replication"),
                    },
                },
                "parameters": {"unix_socket_directories": str(directory)},
                "pg_hba": [
                    "local all all trust",
                    "host replication replicator 127.0.0.1/32 scram-sha-256",
                    "host all all 127.0.0.1/32 scram-sha-256",
                ],
            },
        }
        return json.dumps(config, indent=2)

    def start_node(self, node: int) -> None:
        user = _run_as()
        directory = self.node_dir(node)
        directory.mkdir(parents=True, exist_ok=True)
        config = directory / "patroni.yml"
        # JSON is YAML; Patroni reads it as such.
        config.write_text(self._patroni_config(node))
        config.chmod(0o600)
        _chown(directory, user)
        log = self.logs_dir / f"node{node}.log"
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        log.touch()
        _chown(log, user)
        self._spawn(f"node{node}", [patroni_executable(), str(config)], user=user)

    def members(self) -> list[dict[str, Any]]:
        for node in range(1, NODES + 1):
            status, body = _http_json(f"http://127.0.0.1:{self.ports.rest(node)}/cluster")
            if status == 200 and isinstance(body, dict):
                return list(body.get("members", []))
        return []

    def primary(self) -> dict[str, Any] | None:
        for member in self.members():
            if (
                member.get("role") in ("leader", "master", "primary")
                and member.get("state") == "running"
            ):
                return member
        return None

    def healthy(self) -> bool:
        """A running primary and a streaming synchronous standby: a write is on two nodes."""
        members = self.members()
        leader = any(
            m.get("role") in ("leader", "master", "primary") and m.get("state") == "running"
            for m in members
        )
        sync = any(
            m.get("role") == "sync_standby" and m.get("state") in ("streaming", "running")
            for m in members
        )
        return leader and sync and len(members) == NODES

    def postmaster_pid(self, node: int) -> int:
        """The pid of a node's postmaster, from its data directory."""
        text = (self.node_dir(node) / "data" / "postmaster.pid").read_text()
        return int(text.splitlines()[0])

    def node_number(self, member: Mapping[str, Any]) -> int:
        return int(str(member["name"]).removeprefix("node"))

    # -- HAProxy and PgBouncer -------------------------------------------------------------

    def _haproxy_config(self) -> str:
        nodes = "\n".join(
            f"    server node{n} 127.0.0.1:{self.ports.postgres(n)} check port {self.ports.rest(n)}"
            for n in range(1, NODES + 1)
        )
        servers = "\n".join(
            f"    server app{i} 127.0.0.1:{self.ports.server(i)} check"
            for i in range(1, self.servers + 1)
        )
        return f"""\
global
    maxconn 4096
    log stdout format raw local0 notice

defaults
    log global
    timeout connect 2s
    timeout check 1s
    retries 2

# Writes: only the node whose Patroni answers 200 on /primary is up. Sessions to a node marked
# down are cut, so clients reconnect (to the new primary) instead of hanging.
listen postgres_primary
    mode tcp
    bind 127.0.0.1:{self.ports.haproxy_primary}
    timeout client 30m
    timeout server 30m
    option httpchk GET /primary
    http-check expect status 200
    default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
{nodes}

# HTTP: round robin over the server processes; a refused connection (a process just killed) is
# tried again on another one before the client sees anything.
listen activation_http
    mode http
    bind 127.0.0.1:{self.ports.haproxy_http}
    timeout client 30s
    timeout server 30s
    balance roundrobin
    option httpchk GET /healthz
    option redispatch 1
    retry-on conn-failure empty-response
    default-server inter 500ms fall 1 rise 2
{servers}

listen stats
    mode http
    bind 127.0.0.1:{self.ports.haproxy_stats}
    stats enable
    stats uri /
"""

    def start_haproxy(self) -> None:
        config = self.directory / "haproxy.cfg"
        config.write_text(self._haproxy_config())
        self._spawn("haproxy", [tool("haproxy"), "-db", "-f", str(config)])
        self._wait("haproxy", lambda: _port_open(self.ports.haproxy_primary), 15)

    def start_pgbouncer(self) -> None:
        user = _run_as()
        directory = self.directory / "pgbouncer"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "userlist.txt").write_text(f'"{APP_USER}" "{self.app_password}"\n')
        (directory / "pgbouncer.ini").write_text(
            f"""\
[databases]
{DATABASE} = host=127.0.0.1 port={self.ports.haproxy_primary} dbname={DATABASE}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.ports.pgbouncer}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = {directory / "userlist.txt"}
; transaction pooling: a server connection is a client's only for one transaction, so the
; server's asyncpg must not use named prepared statements (statement_cache_size 0).
pool_mode = transaction
default_pool_size = 20
max_client_conn = 500
server_reset_query =
; a server connection cut by a failover is dropped and a new one opened on the next use
server_check_delay = 0
server_connect_timeout = 3
server_login_retry = 1
query_wait_timeout = 5
ignore_startup_parameters = extra_float_digits
"""
        )
        for name in ("userlist.txt", "pgbouncer.ini"):
            (directory / name).chmod(0o600)
        _chown(directory, user)
        self._spawn("pgbouncer", [tool("pgbouncer"), str(directory / "pgbouncer.ini")], user=user)
        self._wait("pgbouncer", lambda: _port_open(self.ports.pgbouncer), 15)

    # -- the database and the servers --------------------------------------------------------

    def _psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run(
            [
                str(Path(pg_bin_dir()) / "psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-d",
                self.url(self.ports.haproxy_primary, user="postgres", database=database),
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if done.returncode != 0:
            raise ClusterError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    def create_database(self) -> None:
        password = self.app_password.replace("'", "''")
        exists = self._psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{APP_USER}'").strip()
        verb = "ALTER" if exists else "CREATE"
        self._psql(f"{verb} ROLE {APP_USER} LOGIN PASSWORD '{password}'")
        if not self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'").strip():
            self._psql(f"CREATE DATABASE {DATABASE} OWNER {APP_USER}")

    def server_environment(self, database_url: str) -> dict[str, str]:
        data_dir = self.directory / "server"
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("ACTIVATION_")},
            "ACTIVATION_DATABASE_URL": database_url,
            "ACTIVATION_DATA_DIR": str(data_dir),
            "ACTIVATION_HOST": "127.0.0.1",
            "ACTIVATION_SECRET_KEY": self._secret("session"),
            "ACTIVATION_TRUST_FORWARDED_FOR": "true",
            "ACTIVATION_POOL_MIN_SIZE": "1",
            "ACTIVATION_POOL_MAX_SIZE": "8",
            **self.server_env,
        }

    def prepare_schema(self, database_url: str) -> None:
        """Migrations and the first signing key, once, before the servers start together."""
        environment = self.server_environment(database_url)
        for command in (["migrate"], ["keys", "list"]):
            done = subprocess.run(
                [server_executable(), *command],
                env=environment,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            if done.returncode != 0:
                raise ClusterError(f"activation-server {command[0]} failed: {done.stderr}")

    def start_server(self, index: int, database_url: str | None = None) -> None:
        url = database_url or self.server_database_url
        environment = self.server_environment(url)
        environment["ACTIVATION_PORT"] = str(self.ports.server(index))
        self._spawn(
            f"server{index}", [server_executable(), "serve", "--workers", "1"], env=environment
        )

    @property
    def server_database_url(self) -> str:
        return self.server_env.get("ACTIVATION_DATABASE_URL") or self.primary_url

    def haproxy_up(self, section: str = "activation_http") -> set[str]:
        """The servers of a HAProxy section that its health checks say are up."""
        url = f"http://127.0.0.1:{self.ports.haproxy_stats}/;csv"
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                lines = answer.read().decode().splitlines()
        except OSError:
            return set()
        up = set()
        for line in lines[1:]:
            cells = line.split(",")
            if len(cells) > 17 and cells[0] == section and cells[17].startswith("UP"):
                up.add(cells[1])
        return up

    def wait_servers(self, timeout: float = 90) -> None:
        """Until every server answers its health check, directly and through HAProxy."""
        for index in range(1, self.servers + 1):
            port = self.ports.server(index)
            self._wait(
                f"server {index}",
                lambda port=port: _http_json(f"http://127.0.0.1:{port}/healthz")[0] == 200,
                timeout,
            )
        names = {f"app{index}" for index in range(1, self.servers + 1)}
        self._wait("the servers behind HAProxy", lambda: names <= self.haproxy_up(), timeout)

    # -- the whole ---------------------------------------------------------------------------

    def up(self, *, pgbouncer: bool = True, servers: bool = True) -> None:
        missing = missing_tools()
        if missing:
            raise ClusterError("missing: " + ", ".join(missing) + " (see deploy/cluster/README.md)")
        if self.state_file.exists() and any(self.pids_dir.glob("*.pid")):
            raise ClusterError(f"a cluster already runs from {self.directory}; cluster-down first")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o755)
        self._save()
        try:
            self.start_etcd()
            for node in range(1, NODES + 1):
                self.start_node(node)
            self.start_haproxy()
            self._wait("a primary with a synchronous standby", self.healthy, 120)
            self._wait("the primary through HAProxy", self._primary_reachable, 30)
            self.create_database()
            if pgbouncer:
                self.start_pgbouncer()
            if servers:
                self.prepare_schema(self.primary_url)
                for index in range(1, self.servers + 1):
                    self.start_server(index)
                self.wait_servers()
        except BaseException:
            self.down()
            raise

    def _primary_reachable(self) -> bool:
        try:
            return self._psql("SELECT NOT pg_is_in_recovery()").strip() == "t"
        except ClusterError:
            return False

    def down(self) -> None:
        """Stops every process this cluster started, by the pid recorded for each."""
        started = (
            sorted(p.stem for p in self.pids_dir.glob("*.pid")) if self.pids_dir.exists() else []
        )
        servers = [name for name in started if name.startswith("server")]
        nodes = [name for name in started if name.startswith("node")]
        self.stop_processes(servers, wait=10)
        self.stop_processes([n for n in ("pgbouncer", "haproxy") if n in started], wait=10)
        self.stop_processes(nodes, wait=30)
        self.stop_processes(
            [n for n in started if n not in {*servers, *nodes, "pgbouncer", "haproxy"}]
        )
        # A postmaster Patroni could not stop (Patroni itself killed first) is stopped here.
        for node in range(1, NODES + 1):
            with contextlib.suppress(OSError, ValueError, IndexError):
                pid = self.postmaster_pid(node)
                os.kill(pid, signal.SIGQUIT)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def patroni_executable() -> str:
    """Patroni beside this interpreter, except as root: the postgres user runs it then, and
    needs an interpreter it may read (Debian's ``patroni`` package, on the system Python)."""
    system = Path("/usr/bin/patroni")
    if _run_as() is not None:
        if not system.exists():
            raise ClusterError("as root the cluster needs Debian's patroni (apt install patroni)")
        return str(system)
    beside = Path(sys.executable).with_name("patroni")
    return str(beside) if beside.exists() else tool("patroni")


def server_executable() -> str:
    beside = Path(sys.executable).with_name("activation-server")
    return str(beside) if beside.exists() else tool("activation-server")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("command", choices=("up", "down", "status"))
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--base-port", type=int, default=15400)
    parser.add_argument("--no-pgbouncer", action="store_true")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "up":
            cluster = Cluster(
                arguments.dir, base_port=arguments.base_port, servers=arguments.servers
            )
            cluster.up(pgbouncer=not arguments.no_pgbouncer)
            hidden = cluster.app_password
            shown = {
                f"HTTP (HAProxy, {cluster.servers} servers)": cluster.http_url + "/",
                "PostgreSQL primary (HAProxy)": cluster.primary_url,
                "Multi-host URL": cluster.multi_host_url,
                "HAProxy stats": f"http://127.0.0.1:{cluster.ports.haproxy_stats}/",
                "State, logs and pids": str(cluster.directory),
            }
            if not arguments.no_pgbouncer:
                shown["PgBouncer (transaction pooling)"] = cluster.pgbouncer_url
            for label, value in shown.items():
                # Passwords stay in the secrets directory, out of terminals and CI logs.
                print(f"{label:<34}{value.replace(hidden, '***')}")
        elif arguments.command == "down":
            if not (arguments.dir / "cluster.json").exists():
                print("no cluster state here; nothing to stop")
                return 0
            Cluster.load(arguments.dir).down()
            print("stopped")
        else:
            cluster = Cluster.load(arguments.dir)
            for member in cluster.members():
                print(f"{member.get('name'):8} {member.get('role'):14} {member.get('state')}")
    except ClusterError as exc:
        print(f"cluster: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
