"""Check-ins and signed leases against the real server: a product with a short policy
(check in every day, one day of grace) and a client clock the test moves."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from activation_server.appkeys import DB_POOL
from client_sdk import Client, LicenseError
from tests.client_sdk.sdk_helpers import Clock
from tests.conftest import LiveServer

DAY = 86400.0
MACHINE = "ab" * 32
DEAD = "http://127.0.0.1:9"  # nothing listens on the discard port


def _policy(server: LiveServer, serial: str, days: int, grace: int) -> None:
    server.run(
        server.app[DB_POOL].execute(
            "UPDATE products SET check_in_days = $2, grace_days = $3"
            " WHERE id = (SELECT product_id FROM serials WHERE serial = $1)",
            serial,
            days,
            grace,
        )
    )


def _same(app: Client, url: str | None, clock: Clock, **options: Any) -> Client:
    """The same application on the same machine, reaching the service at ``url`` (None: no
    network at all)."""
    return Client(
        url,
        app.product,
        store_path=app.store.directory,
        fingerprint=MACHINE,
        clock=clock,
        **options,
    )


def _serial(server: LiveServer, days: int = 1, grace: int = 1) -> str:
    serial = server.make_serial("SP1", product=f"L{uuid.uuid4().hex[:8].upper()}")
    _policy(server, serial, days, grace)
    return serial


def _lease_client(server: LiveServer, store: Path, clock: Clock, serial: str) -> Client:
    product = server.run(
        server.app[DB_POOL].fetchval(
            "SELECT p.code FROM serials s JOIN products p ON p.id = s.product_id"
            " WHERE s.serial = $1",
            serial,
        )
    )
    return Client(server.url, product, store_path=store, fingerprint=MACHINE, clock=clock)


def _started(
    server: LiveServer, tmp_path: Path, days: int = 1, grace: int = 1
) -> tuple[str, Clock, Client]:
    """A serial of a product with this policy, a hand-set clock and an application on it."""
    serial = _serial(server, days, grace)
    clock = Clock()
    return serial, clock, _lease_client(server, tmp_path / "app", clock, serial)


def test_activation_brings_a_lease_and_load_says_how_long_is_left(
    live_server: LiveServer, tmp_path: Path
) -> None:
    serial, clock, app = _started(live_server, tmp_path)
    licensed = app.activate(serial)
    assert (licensed.check_in_days, licensed.grace_days) == (1, 1)
    assert licensed.lease_expires_at is not None and licensed.check_in_due_at is not None
    left = licensed.lease_expires_at.timestamp() - clock.now
    assert 2 * DAY - 120 < left <= 2 * DAY + 1
    # Not due: load() stays offline (a dead server changes nothing).
    offline = Client(
        DEAD, app.product, store_path=tmp_path / "app", fingerprint=MACHINE, clock=clock
    )
    assert offline.load().lease_expires_at == licensed.lease_expires_at


def test_the_backup_restore_attack_fails_when_the_lease_ends(
    live_server: LiveServer, tmp_path: Path
) -> None:
    serial, clock, app = _started(live_server, tmp_path)
    store = tmp_path / "app"
    app.activate(serial)
    shutil.copytree(store, tmp_path / "backup")
    app.deactivate()
    shutil.rmtree(store, ignore_errors=True)
    shutil.copytree(tmp_path / "backup", store)

    # Offline (network cut on purpose), the restored copy runs only until its lease ends.
    offline = _same(app, None, clock)
    assert offline.load().serial == serial
    clock.advance(2 * DAY + 60)
    with pytest.raises(LicenseError) as ended:
        offline.load()
    assert ended.value.code == "LEASE_EXPIRED"
    # Nothing unsigned extends it: the last-checked time, the lease text, or a lease of its own.
    record = json.loads((store / "license.json").read_text())
    record["last_checked"] = clock.now
    record["last_seen"] = clock.now
    header, payload, signature = record["lease"].split(".")
    record["lease"] = f"{header}.{payload[:-4]}AAAA.{signature}"
    (store / "license.json").write_text(json.dumps(record))
    with pytest.raises(LicenseError) as forged:
        offline.load()
    assert forged.value.code == "LEASE_REQUIRED"
    del record["lease"]
    (store / "license.json").write_text(json.dumps(record))
    with pytest.raises(LicenseError) as missing:
        offline.load()
    assert missing.value.code == "LEASE_REQUIRED"

    # Online, the due check-in brings the service's signed refusal, which load() then keeps
    # honouring offline.
    (store / "license.json").unlink()
    shutil.copytree(tmp_path / "backup", store, dirs_exist_ok=True)
    clock.now -= DAY
    with pytest.raises(LicenseError) as refused:
        app.load()
    assert refused.value.code == "DEACTIVATED"
    kept = json.loads((store / "license.json").read_text())
    kept["revoked"] = None  # the unsigned mark is deleted; the signed refusal still stands
    (store / "license.json").write_text(json.dumps(kept))
    with pytest.raises(LicenseError) as still:
        offline.load()
    assert still.value.code == "DEACTIVATED"


def test_a_block_reaches_a_machine_that_only_calls_load(
    live_server: LiveServer, tmp_path: Path
) -> None:
    serial, clock, app = _started(live_server, tmp_path)
    app.activate(serial)
    live_server.run(
        live_server.app[DB_POOL].execute(
            "UPDATE serials SET status = 'blocked' WHERE serial = $1", serial
        )
    )
    assert app.load().serial == serial  # not due yet: no request is made
    clock.advance(DAY + 60)
    with pytest.raises(LicenseError) as blocked:
        app.load()
    assert blocked.value.code == "SERIAL_BLOCKED"
    # Unblocked, the next check-in clears it.
    live_server.run(
        live_server.app[DB_POOL].execute(
            "UPDATE serials SET status = 'active' WHERE serial = $1", serial
        )
    )
    assert app.validate().serial == serial
    assert app.load().serial == serial


def test_server_down_at_check_in_runs_within_the_lease(
    live_server: LiveServer, tmp_path: Path
) -> None:
    serial, clock, app = _started(live_server, tmp_path)
    activated = app.activate(serial)
    down = _same(app, DEAD, clock, retries=0)
    clock.advance(DAY + 60)  # due, and the service cannot be reached
    running = down.load()
    assert running.lease_expires_at == activated.lease_expires_at
    assert running.lease_expires_at is not None
    assert 0 < running.lease_expires_at.timestamp() - clock.now < DAY
    clock.advance(DAY)
    with pytest.raises(LicenseError) as ended:
        down.load()
    assert ended.value.code == "LEASE_EXPIRED"


def test_a_check_in_records_the_machine_and_renews_the_lease(
    live_server: LiveServer, tmp_path: Path
) -> None:
    serial, _, app = _started(live_server, tmp_path, days=30, grace=7)
    first = app.activate(serial)
    seen = live_server.run(
        live_server.app[DB_POOL].fetchval(
            "SELECT last_at FROM check_ins WHERE activation_id = $1::uuid", first.activation_id
        )
    )
    assert seen is None
    renewed = app.validate()
    assert renewed.lease_expires_at is not None and first.lease_expires_at is not None
    assert renewed.lease_expires_at >= first.lease_expires_at
    seen = live_server.run(
        live_server.app[DB_POOL].fetchval(
            "SELECT last_at FROM check_ins WHERE activation_id = $1::uuid", first.activation_id
        )
    )
    assert seen is not None


def test_an_offline_forever_product_needs_no_lease(live_server: LiveServer, tmp_path: Path) -> None:
    serial, clock, app = _started(live_server, tmp_path, days=0, grace=0)
    licensed = app.activate(serial)
    assert licensed.check_in_days == 0 and licensed.lease_expires_at is None
    clock.advance(3650 * DAY)
    offline = Client(
        None, app.product, store_path=tmp_path / "app", fingerprint=MACHINE, clock=clock
    )
    assert offline.load().serial == serial
