"""The cluster of ``deploy/cluster`` (etcd, three Patroni nodes, HAProxy, PgBouncer, server
processes) started once for this package's tests in a temporary directory, and stopped after."""

from __future__ import annotations

import importlib.util
import random
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import require

CLUSTER_SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "cluster" / "cluster.py"


def load_cluster_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deploy_cluster", CLUSTER_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["deploy_cluster"] = module
    spec.loader.exec_module(module)
    return module


def _block_free(base: int, size: int = 50) -> bool:
    for port in range(base, base + size):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_port_block() -> int:
    """A base port whose next 50 ports are free (the cluster's ports are offsets from it)."""
    chooser = random.Random()
    for _ in range(200):
        base = chooser.randrange(20000, 40000, 50)
        if _block_free(base):
            return base
    raise RuntimeError("no free block of 50 loopback ports")


@pytest.fixture(scope="session")
def cluster_module() -> ModuleType:
    return load_cluster_module()


@pytest.fixture(scope="package")
def cluster(cluster_module: ModuleType) -> Iterator[Any]:
    missing = cluster_module.missing_tools()
    require(not missing, "the cluster needs: " + ", ".join(missing))
    directory = Path(tempfile.mkdtemp(prefix="activation-cluster-"))
    instance = cluster_module.Cluster(
        directory,
        base_port=free_port_block(),
        servers=2,
        server_env={"ACTIVATION_PASSWORD_TIME_COST": "1", "ACTIVATION_PASSWORD_MEMORY_KIB": "8192"},
    )
    try:
        instance.up(pgbouncer=True, servers=True)
        yield instance
    finally:
        instance.down()
        shutil.rmtree(directory, ignore_errors=True)
