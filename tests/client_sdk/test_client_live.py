"""The SDK against the real activation server on a fresh real PostgreSQL database.

``live_server`` (tests/conftest.py) runs the whole service on a loopback port in a background
thread; these tests talk to it over real HTTP exactly as a protected application would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest

from activation_server.appkeys import DB_POOL
from client_sdk import ActivationError, Client, LicenseError
from client_sdk.cli import EXIT_OK, EXIT_REFUSED, main
from client_sdk.fingerprint import FingerprintUnavailable, machine_fingerprint
from tests.client_sdk.sdk_helpers import Clock, Signer

MACHINE_A = "a1" * 32
MACHINE_B = "b2" * 32
MACHINE_C = "c3" * 32
DAY = 86400.0
REPOSITORY = Path(__file__).resolve().parents[2]
EXAMPLE = REPOSITORY / "examples" / "protected_app.py"


class LiveServer(Protocol):
    url: str

    def make_serial(self, license_type: str = "SP3", **options: Any) -> str: ...


def client(server: LiveServer, store: Path, machine: str = MACHINE_A, **options: Any) -> Client:
    return Client(server.url, "ACME", store_path=store, fingerprint=machine, **options)


def post_json(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """What a person does on a machine with network: send the request code, keep the answer."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refusal:
        return refusal.code, json.loads(refusal.read())


def get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=30) as answer:
        document: dict[str, Any] = json.loads(answer.read())
        return document


def test_activate_restart_validate_deactivate_reactivate(
    live_server: LiveServer, tmp_path: Path
) -> None:
    serial = live_server.make_serial("SP3", features=["export", "print"])
    store = tmp_path / "app"

    first = client(live_server, store).activate(serial.lower().replace("-", " "))
    assert first.serial == serial
    assert first.product == "ACME"
    assert first.type == "full" and first.expires_at is None
    assert set(first.features) == {"export", "print"}
    assert first.fingerprint == MACHINE_A

    # The application starts again: a new Client, no network needed for load().
    restarted = client(live_server, store)
    loaded = restarted.load()
    assert loaded.activation_id == first.activation_id
    assert loaded.has_feature("export")

    assert restarted.validate().activation_id == first.activation_id

    receipt = restarted.deactivate()
    assert receipt.activation_id == first.activation_id
    assert (receipt.used, receipt.limit) == (0, 3)
    with pytest.raises(LicenseError) as caught:
        restarted.load()
    assert caught.value.code == "NOT_ACTIVATED"

    again = client(live_server, store).activate(serial)
    assert again.serial == serial
    assert client(live_server, store).load().activation_id == again.activation_id


def test_the_same_machine_never_takes_a_second_slot(
    live_server: LiveServer, tmp_path: Path
) -> None:
    serial = live_server.make_serial("SP1")
    first = client(live_server, tmp_path / "one").activate(serial)
    # Another copy of the application on the same machine, with its own store.
    second = client(live_server, tmp_path / "two").activate(serial)
    assert second.activation_id == first.activation_id
    with pytest.raises(ActivationError) as caught:
        client(live_server, tmp_path / "three", MACHINE_B).activate(serial)
    assert caught.value.code == "ACTIVATION_LIMIT_REACHED"
    assert caught.value.status == 409


def test_a_freed_slot_can_be_taken_by_another_machine(
    live_server: LiveServer, tmp_path: Path
) -> None:
    serial = live_server.make_serial("SP1")
    machine_a = client(live_server, tmp_path / "a")
    machine_a.activate(serial)
    machine_b = client(live_server, tmp_path / "b", MACHINE_B)
    with pytest.raises(ActivationError):
        machine_b.activate(serial)
    machine_a.deactivate()
    assert machine_b.activate(serial).fingerprint == MACHINE_B


def test_offline_request_to_the_service_and_install(
    live_server: LiveServer, tmp_path: Path
) -> None:
    serial = live_server.make_serial("SP3", features=["export", "print"])
    keys = get_json(live_server.url + "/v1/keys")
    # The machine without network knows only the keys built into the application.
    isolated = Client(
        None, "ACME", store_path=tmp_path / "app", public_keys=keys, fingerprint=MACHINE_C
    )
    code = isolated.offline_request(serial, features=["export"])

    status, answer = post_json(live_server.url + "/v1/offline-activations", {"request": code})
    assert status == 201, answer
    assert answer["serial"] == serial

    license = isolated.install(json.dumps(answer))
    assert license.fingerprint == MACHINE_C
    assert license.features == ("export",)
    assert isolated.load().activation_id == answer["activation_id"]

    # The same request again is the same activation, not a second slot.
    status, again = post_json(live_server.url + "/v1/offline-activations", {"request": code})
    assert status == 200
    assert again["activation_id"] == answer["activation_id"]
    assert again["activations"]["used"] == 1


def test_an_offline_license_does_not_install_on_another_machine(
    live_server: LiveServer, tmp_path: Path
) -> None:
    serial = live_server.make_serial("SP3")
    keys = get_json(live_server.url + "/v1/keys")
    requester = Client(
        None, "ACME", store_path=tmp_path / "a", public_keys=keys, fingerprint=MACHINE_A
    )
    _, answer = post_json(
        live_server.url + "/v1/offline-activations", {"request": requester.offline_request(serial)}
    )
    other = Client(None, "ACME", store_path=tmp_path / "b", public_keys=keys, fingerprint=MACHINE_B)
    with pytest.raises(LicenseError) as caught:
        other.install(answer["license"])
    assert caught.value.code == "WRONG_MACHINE"


def test_pinned_keys_from_the_service_verify_its_licenses(
    live_server: LiveServer, tmp_path: Path
) -> None:
    serial = live_server.make_serial("SP3")
    keys = get_json(live_server.url + "/v1/keys")
    pinned = client(live_server, tmp_path / "pinned", public_keys=json.dumps(keys))
    assert pinned.activate(serial).key_id == keys["keys"][0]["kid"]
    assert not (tmp_path / "pinned" / "keys.json").exists()
    impostor = client(live_server, tmp_path / "impostor", MACHINE_B, public_keys=Signer().jwks)
    with pytest.raises(ActivationError) as caught:
        impostor.activate(serial)
    assert caught.value.code == "SIGNATURE_INVALID"


def test_refusals_carry_the_servers_codes(live_server: LiveServer, tmp_path: Path) -> None:
    serial = live_server.make_serial("SP3", features=["export"])
    with pytest.raises(ActivationError) as caught:
        client(live_server, tmp_path / "a").activate(serial, features=["export", "admin"])
    assert caught.value.code == "FEATURES_NOT_LICENSED"
    with pytest.raises(ActivationError) as caught:
        Client(live_server.url, "OTHER", store_path=tmp_path / "b", fingerprint=MACHINE_A).activate(
            serial
        )
    assert caught.value.code == "PRODUCT_MISMATCH"
    with pytest.raises(ActivationError) as caught:
        client(live_server, tmp_path / "c").activate("ZZZZZ-ZZZZZ-ZZZZZ-ZZZZK")
    assert caught.value.code == "SERIAL_NOT_FOUND"
    with pytest.raises(ActivationError) as caught:
        client(live_server, tmp_path / "d").activate(
            serial[:-1] + ("0" if serial[-1] != "0" else "1")
        )
    assert caught.value.code == "SERIAL_MALFORMED"


def test_trial_expires_and_cannot_be_moved(live_server: LiveServer, tmp_path: Path) -> None:
    serial = live_server.make_serial("TRIAL30K")
    clock = Clock()
    trial_client = client(live_server, tmp_path / "trial", clock=clock)
    trial = trial_client.activate(serial)
    assert trial.is_trial
    assert trial.expires_at is not None
    remaining = trial.expires_at - datetime.now(UTC)
    assert timedelta(days=29) < remaining <= timedelta(days=30, minutes=1)

    with pytest.raises(ActivationError) as caught:
        trial_client.deactivate()
    assert caught.value.code == "DEACTIVATION_NOT_ALLOWED"

    clock.advance(31 * DAY)
    with pytest.raises(LicenseError) as caught:
        trial_client.load()
    assert caught.value.code == "EXPIRED"
    clock.advance(-31 * DAY - 2 * DAY)
    with pytest.raises(LicenseError) as caught:
        trial_client.load()
    assert caught.value.code == "CLOCK_TAMPERED"


def test_a_deactivation_elsewhere_is_learnt_by_validate(
    live_server: LiveServer, tmp_path: Path
) -> None:
    serial = live_server.make_serial("SP3")
    application = client(live_server, tmp_path / "app")
    application.activate(serial)
    # Support frees the slot with the CLI, from its own copy of the license.
    support = client(live_server, tmp_path / "support")
    support.activate(serial)
    support.deactivate()
    with pytest.raises(LicenseError) as caught:
        application.validate()
    assert caught.value.code == "DEACTIVATED"
    with pytest.raises(LicenseError) as caught:
        client(live_server, tmp_path / "app").load()
    assert caught.value.code == "DEACTIVATED"


def test_command_line_against_the_service(
    live_server: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serial = live_server.make_serial("SP3")
    common = ["--product", "ACME", "--store", str(tmp_path / "cli"), "--fingerprint", MACHINE_A]
    assert main(["activate", serial, "--server", live_server.url, *common]) == EXIT_OK
    assert main(["status", "--online", *common]) == EXIT_OK
    assert main(["deactivate", *common]) == EXIT_OK
    assert main(["status", *common]) == EXIT_REFUSED
    out = capsys.readouterr().out
    assert serial in out
    assert "activations now used: 0 of 3" in out


def test_the_example_application_needs_a_license_for_its_feature(
    live_server: LiveServer, tmp_path: Path
) -> None:
    try:
        machine_fingerprint()
    except FingerprintUnavailable:
        pytest.skip("the example uses the hardware fingerprint, and this machine exposes none")
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPOSITORY),
        "ACME_ACTIVATION_SERVER": live_server.url,
    }
    environment.pop("ACME_PUBLIC_KEYS", None)
    store, report = tmp_path / "store", tmp_path / "report.csv"

    def example(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(EXAMPLE), "--store", str(store), "--output", str(report), *argv],
            env=environment,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )

    refused = example()
    assert refused.returncode == 1
    assert "not activated" in refused.stderr
    assert not report.exists()

    without_export = example("--serial", live_server.make_serial("SP1", features=["print"]))
    assert without_export.returncode == 1
    assert "does not include export" in without_export.stderr
    assert not report.exists()
    assert example("--deactivate").returncode == 0

    serial = live_server.make_serial("SP3", features=["export"])
    activated = example("--serial", serial)
    assert activated.returncode == 0, activated.stderr
    assert serial in report.read_text()
    report.unlink()

    offline_start = example()  # the next start: loads the stored license
    assert offline_start.returncode == 0, offline_start.stderr
    assert report.exists()


def test_update_subscription_from_the_server_refuses_a_newer_build_offline(
    live_server: LiveServer, tmp_path: Path
) -> None:
    serial = live_server.make_serial("SP1")
    ends = datetime(2026, 3, 1, tzinfo=UTC)

    async def subscribe() -> None:
        async with live_server.app[DB_POOL].acquire() as connection:
            await connection.execute(
                "UPDATE serials SET updates_until = $2 WHERE serial = $1", serial, ends
            )

    live_server.run(subscribe())
    store = tmp_path / "app"
    old_build = client(live_server, store, release_date=date(2026, 2, 1))
    assert old_build.activate(serial).updates_until == ends
    new_build = client(live_server, store, release_date=date(2026, 4, 1))
    with pytest.raises(LicenseError) as caught:
        new_build.load()
    assert caught.value.code == "UPDATES_EXPIRED"
    assert "2026-03-01" in caught.value.message
    assert old_build.load().serial == serial
