from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from activation_server.cli import main
from tests.conftest import create_test_database, drop_test_database, fingerprint, free_port


@pytest.fixture
def cli_env(
    tmp_path: Path, pg_admin_url: str, template_database: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    name, url = asyncio.run(create_test_database(pg_admin_url, template_database))
    env = {"ACTIVATION_DATABASE_URL": url, "ACTIVATION_DATA_DIR": str(tmp_path / "data")}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield env
    asyncio.run(drop_test_database(pg_admin_url, name))


def _fetch(url: str, query: str) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(url)
        try:
            return await connection.fetch(query)
        finally:
            await connection.close()

    return asyncio.run(run())


def test_migrate_reports_an_up_to_date_database(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_demo_json_prints_new_unused_serials_of_every_type_on_each_call(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(["demo", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert {"product", "serials", "staff", "vendor"} <= set(first)
    for kind in ("SP1", "SP3", "SP5"):
        assert len(first["serials"][kind]) >= 5
    for kind in ("TRIAL30K", "TRIAL100K"):
        assert len(first["serials"][kind]) >= 1
    every = [
        s for serials in (first, second) for group in serials["serials"].values() for s in group
    ]
    assert len(every) == len(set(every))
    rows = _fetch(
        cli_env["ACTIVATION_DATABASE_URL"], "SELECT serial, used, license_type FROM serials"
    )
    stored = {row["serial"]: row for row in rows}
    for kind, serials in first["serials"].items():
        for serial in serials:
            assert stored[serial]["used"] == 0
            assert stored[serial]["license_type"] == kind


def test_keys_rotate_adds_a_current_key_and_keeps_the_old_one(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    company = ["--role", "vendor", "--company", "Keys Ltd", "--password", "a long password 1"]
    assert main(["create-user", "keys@vendor.example", *company]) == 0
    capsys.readouterr()
    assert main(["keys", "list"]) == 0
    (only,) = capsys.readouterr().out.splitlines()
    first, state, *owner = only.split()
    assert state == "current" and owner[0] == "vendor"
    vendor = owner[1]
    assert main(["keys", "rotate"]) == 0
    assert "new current signing key" in capsys.readouterr().out
    assert main(["keys", "list", "--vendor", vendor]) == 0
    listed = [line.split()[:2] for line in capsys.readouterr().out.splitlines()]
    assert len(listed) == 2
    assert listed[0][1] == "current" and listed[0][0] != first
    assert listed[1] == [first, "retired"]


def test_keys_are_staged_next_then_promoted(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    company = ["--role", "vendor", "--company", "Stages Ltd", "--password", "a long password 2"]
    assert main(["create-user", "stages@vendor.example", *company]) == 0
    capsys.readouterr()
    assert main(["keys", "list"]) == 0
    current, _, _, vendor = capsys.readouterr().out.split()
    assert main(["keys", "promote", "--vendor", vendor]) != 0
    capsys.readouterr()
    assert main(["keys", "add-next", "--vendor", vendor]) == 0
    capsys.readouterr()
    assert main(["keys", "list", "--vendor", vendor]) == 0
    listed = [line.split()[:2] for line in capsys.readouterr().out.splitlines()]
    assert [state for _, state in listed] == ["current", "next"]
    assert main(["keys", "promote", "--vendor", vendor]) == 0
    capsys.readouterr()
    assert main(["keys", "list", "--vendor", vendor]) == 0
    promoted = [line.split()[:2] for line in capsys.readouterr().out.splitlines()]
    assert promoted == [[listed[1][0], "current"], [current, "retired"]]


def test_a_changed_migration_stops_the_command_with_a_clear_message(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    async def tamper() -> None:
        connection = await asyncpg.connect(cli_env["ACTIVATION_DATABASE_URL"])
        try:
            await connection.execute(
                "UPDATE schema_migrations SET checksum = 'x' WHERE version = 1"
            )
        finally:
            await connection.close()

    asyncio.run(tamper())
    assert main(["migrate"]) == 1
    assert "changed after it was applied" in capsys.readouterr().err


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not become ready")


def test_serve_with_two_workers_activates_a_printed_serial_and_stops_cleanly(
    cli_env: dict[str, str],
) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "activation_server",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--demo",
        ],
        env={**os.environ, **cli_env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        rows = _fetch(
            cli_env["ACTIVATION_DATABASE_URL"],
            "SELECT serial FROM serials WHERE license_type = 'SP3' AND used = 0 LIMIT 1",
        )
        body = json.dumps({"serial": rows[0]["serial"], "fingerprint": fingerprint("cli")}).encode()
        request = urllib.request.Request(
            url + "/v1/activations", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
            assert json.load(response)["serial"] == rows[0]["serial"]
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    text = output.decode()
    assert "curl -s -X POST" in text
    assert f"{url}/portal/" in text


@pytest.mark.parametrize("workers", [1, 2])
def test_ready_is_printed_only_once_the_port_answers(cli_env: dict[str, str], workers: int) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "activation_server",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env={**os.environ, **cli_env},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline().decode()
            assert line, "the server exited before it was ready"
            if line.startswith("Ready:"):
                break
        # No retry: the first request after the line must be answered.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
            assert response.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_serve_only_api_serves_no_portal_page(cli_env: dict[str, str]) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "activation_server", "serve", "--port", str(port), "--only", "api"],
        env={**os.environ, **cli_env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        assert _status(url + "/portal/login") == 404
        assert _status(url + "/v1/keys") == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert process.returncode == 0
