"""``activation-client`` (client_sdk.cli): messages for people, exit codes for scripts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import client_sdk
from client_sdk.cli import EXIT_OK, EXIT_REFUSED, EXIT_UNREACHABLE, main
from client_sdk.client import FINGERPRINT_ENV
from client_sdk.offline import decode_request
from tests.client_sdk.sdk_helpers import (
    FP,
    PRODUCT,
    SERIAL,
    FakeServer,
    Recorded,
    Reply,
    Signer,
    activation_service,
)

REPOSITORY = Path(client_sdk.__file__).parent.parent


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def local(store: Path) -> list[str]:
    return ["--product", PRODUCT, "--store", str(store), "--fingerprint", FP]


def test_offline_request_prints_a_code_for_this_machine(
    capsys: pytest.CaptureFixture[str], local: list[str]
) -> None:
    status, out, err = run(capsys, "offline-request", SERIAL.lower(), *local, "--feature", "export")
    assert status == EXIT_OK
    request = decode_request(out)
    assert (request.serial, request.fingerprint, request.product) == (SERIAL, FP, PRODUCT)
    assert request.features == ["export"]
    assert "install" in err


def test_offline_request_to_a_file(
    capsys: pytest.CaptureFixture[str], local: list[str], tmp_path: Path
) -> None:
    target = tmp_path / "request.txt"
    status, out, _ = run(capsys, "offline-request", SERIAL, *local, "-o", str(target))
    assert status == EXIT_OK
    assert decode_request(target.read_text()).serial == SERIAL
    assert str(target) in out


def test_a_typo_is_refused_with_a_reason(
    capsys: pytest.CaptureFixture[str], local: list[str]
) -> None:
    status, out, err = run(capsys, "offline-request", "7KQ2M-4X9PR-T3VW8-ANC5K", *local)
    assert status == EXIT_REFUSED
    assert out == ""
    assert err.startswith("SERIAL_MALFORMED: ")
    assert "typo" in err


def test_status_without_a_license(capsys: pytest.CaptureFixture[str], local: list[str]) -> None:
    status, _, err = run(capsys, "status", *local)
    assert status == EXIT_REFUSED
    assert "NOT_ACTIVATED" in err and "Activate" in err


def test_install_then_status(
    capsys: pytest.CaptureFixture[str], local: list[str], signer: Signer, tmp_path: Path
) -> None:
    keys = tmp_path / "keys.pem"
    keys.write_text(signer.pem)
    answer = tmp_path / "license.json"
    answer.write_text(json.dumps(signer.activation()))
    status, out, _ = run(capsys, "install", str(answer), *local, "--public-keys", str(keys))
    assert status == EXIT_OK
    assert "Installed" in out and SERIAL in out
    status, out, _ = run(capsys, "status", *local, "--public-keys", str(keys))
    assert status == EXIT_OK
    assert re.search(r"features\s+export, print", out)
    assert re.search(r"expires\s+never", out)


def test_install_of_a_license_for_another_machine(
    capsys: pytest.CaptureFixture[str], local: list[str], signer: Signer, tmp_path: Path
) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(signer.jwks))
    answer = tmp_path / "license.jwt"
    answer.write_text(signer.sign(fp="c3" * 32))
    status, _, err = run(capsys, "install", str(answer), *local, "--public-keys", str(keys))
    assert status == EXIT_REFUSED
    assert err.startswith("WRONG_MACHINE: ")


def test_activate_status_online_and_deactivate(
    capsys: pytest.CaptureFixture[str], local: list[str], fake_server: FakeServer, signer: Signer
) -> None:
    fake_server.handler = activation_service(signer)
    status, out, _ = run(capsys, "activate", SERIAL, "--server", fake_server.url, *local)
    assert status == EXIT_OK
    assert f"Activated {PRODUCT}" in out
    # Later commands find the service in the stored license.
    status, out, _ = run(capsys, "status", "--online", *local)
    assert status == EXIT_OK
    assert fake_server.requests[-1].path == "/v1/validations"
    status, out, _ = run(capsys, "deactivate", *local)
    assert status == EXIT_OK
    assert "0 of 3" in out
    assert run(capsys, "status", *local)[0] == EXIT_REFUSED


def test_a_refused_activation(
    capsys: pytest.CaptureFixture[str], local: list[str], fake_server: FakeServer, signer: Signer
) -> None:
    service = activation_service(signer)

    def handler(request: Recorded) -> Reply:
        if request.path == "/v1/activations":
            body = {"error": {"code": "ACTIVATION_LIMIT_REACHED", "message": "3 of 3 used."}}
            return 409, body
        return service(request)

    fake_server.handler = handler
    status, _, err = run(capsys, "activate", SERIAL, "--server", fake_server.url, *local)
    assert status == EXIT_REFUSED
    assert err.startswith("ACTIVATION_LIMIT_REACHED: 3 of 3 used.")


def test_an_unreachable_service(capsys: pytest.CaptureFixture[str], local: list[str]) -> None:
    status, _, err = run(
        capsys, "activate", SERIAL, "--server", "http://127.0.0.1:9", "--timeout", "1", *local
    )
    assert status == EXIT_UNREACHABLE
    assert err.startswith("NETWORK_ERROR: ")


def test_activate_needs_a_server(capsys: pytest.CaptureFixture[str], local: list[str]) -> None:
    status, _, err = run(capsys, "activate", SERIAL, *local)
    assert status == 2
    assert "--server" in err


def test_fingerprint_command(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FINGERPRINT_ENV, "de" * 32)
    status, out, _ = run(capsys, "fingerprint")
    assert (status, out.strip()) == (EXIT_OK, "de" * 32)


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["activate"])
    assert caught.value.code == 2


def test_runs_as_a_program(store: Path) -> None:
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY), FINGERPRINT_ENV: FP}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "client_sdk.cli",
            "status",
            "--product",
            PRODUCT,
            "--store",
            str(store),
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == EXIT_REFUSED
    assert "NOT_ACTIVATED" in result.stderr


def test_revocations_applies_the_newest_list_and_refuses_an_older_one(
    capsys: pytest.CaptureFixture[str], store: Path, tmp_path: Path
) -> None:
    vectors = json.loads((REPOSITORY / "docs" / "protocol-vectors.json").read_text())
    keys = tmp_path / "jwks.json"
    keys.write_text(json.dumps(vectors["jwks"]))
    newer, older = tmp_path / "newer.jwt", tmp_path / "older.jwt"
    newer.write_text(vectors["revocation_list"]["token"] + "\n")
    older.write_text(vectors["revocation_list"]["older_token"])
    common = ["--product", vectors["product"], "--store", str(store), "--public-keys", str(keys)]
    status, out, _ = run(capsys, "revocations", str(newer), *common)
    assert status == EXIT_OK
    claims = vectors["revocation_list"]["claims"]
    assert f"Revocation list {claims['seq']} " in out
    assert f"({len(claims['serials'])} serials, {len(claims['activations'])} activations)" in out
    status, _, err = run(capsys, "revocations", str(older), *common)
    assert status == EXIT_REFUSED
    assert err.startswith("REVOCATION_LIST_OUTDATED:")
