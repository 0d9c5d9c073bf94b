"""Revocation that reaches machines which never go online (the vendor's signed, numbered
revocation list), and the bad input an application must refuse with a clear code: keys unknown,
retired too long or another vendor's, a lease of another activation, an older list, a clock
wound back. Against the real server, with the vendor's JWKS pinned and a hand-set clock."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from activation_server.activations import service as activations
from activation_server.appkeys import ACTIVATIONS, DB_POOL
from activation_server.keys import keyring as keys
from activation_server.keys import queries as key_queries
from activation_server.revocations import lists
from client_sdk import Client, LicenseError
from client_sdk.cli import main as cli_main
from client_sdk.license import RETIRED_KEY_DAYS
from tests.client_sdk.sdk_helpers import Clock, Signer
from tests.conftest import LiveServer

DAY = 86400.0
MACHINES = ["c1" * 32, "c2" * 32, "c3" * 32]
DEAD = "http://127.0.0.1:9"  # nothing listens on the discard port


class Vendor:
    """A vendor of the live server with one product (its check-in policy as given)."""

    def __init__(self, server: LiveServer, days: int = 0, grace: int = 0) -> None:
        self.server = server
        self.product = f"R{uuid.uuid4().hex[:8].upper()}"

        async def make() -> tuple[int, uuid.UUID]:
            vendor_id = await server.factory.vendor("Revoking Vendor")
            await server.factory.product(self.product, vendor_id=vendor_id)
            pool = server.app[DB_POOL]
            await pool.execute(
                "UPDATE products SET check_in_days = $2, grace_days = $3"
                " WHERE vendor_id = $1 AND code = $4",
                vendor_id,
                days,
                grace,
                self.product,
            )
            async with pool.acquire() as connection:
                await server.app[ACTIVATIONS].keyring.ensure(connection, vendor_id)
                public_id = await key_queries.public_id(connection, vendor_id)
            assert public_id is not None
            return vendor_id, public_id

        self.vendor_id, self.public_id = server.run(make())

    def serial(self, license_type: str = "SP5") -> str:
        result: str = self.server.run(
            self.server.factory.serial(license_type, product=self.product, vendor_id=self.vendor_id)
        )
        return result

    def jwks(self) -> dict[str, Any]:
        jwks: dict[str, Any] = self.server.app[ACTIVATIONS].keyring.vendor_jwks(self.vendor_id)
        return jwks

    def revocation_list(self) -> lists.IssuedList:
        """A new list, as the vendor API and the portal's button make it."""
        server = self.server

        async def issue() -> lists.IssuedList:
            keyring = server.app[ACTIVATIONS].keyring
            async with server.app[DB_POOL].acquire() as connection:
                signer = await keyring.ensure(connection, self.vendor_id)
                async with connection.transaction():
                    return await lists.issue(
                        connection,
                        signer,
                        self.vendor_id,
                        self.public_id,
                        issuer=server.settings.issuer,
                    )

        issued: lists.IssuedList = server.run(issue())
        return issued

    def release(self, activation_id: str) -> None:
        self.server.run(
            activations.free(
                self.server.app[DB_POOL],
                uuid.UUID(activation_id),
                address=None,
                by="vendor",
                actor="vendor",
            )
        )

    def block(self, serial: str, status: str = "blocked") -> None:
        self.server.run(
            self.server.app[DB_POOL].execute(
                "UPDATE serials SET status = $2 WHERE serial = $1", serial, status
            )
        )

    def add_next_key(self) -> None:
        async def run() -> None:
            keyring = self.server.app[ACTIVATIONS].keyring
            async with self.server.app[DB_POOL].acquire() as connection:
                await keys.add_next_key(
                    connection, keyring.directory, keyring.passphrase, self.vendor_id
                )
                await keyring.refresh(connection)

        self.server.run(run())

    def promote(self) -> None:
        async def run() -> None:
            keyring = self.server.app[ACTIVATIONS].keyring
            async with self.server.app[DB_POOL].acquire() as connection:
                assert await keys.promote(connection, self.vendor_id) is not None
                await keyring.refresh(connection)

        self.server.run(run())

    def rotate(self) -> None:
        """A staged rotation: next key published, then promoted (the old one is retired now)."""
        self.add_next_key()
        self.promote()

    def app(
        self, store: Path, machine: str, clock: Clock, *, url: str | None = "", **options: Any
    ) -> Client:
        """The vendor's application on a machine, its keys pinned; ``url`` None: no network."""
        options.setdefault("public_keys", self.jwks())
        return Client(
            self.server.url if url == "" else url,
            self.product,
            store_path=store,
            fingerprint=machine,
            clock=clock,
            **options,
        )


def _code(call: Any) -> str:
    with pytest.raises(LicenseError) as refused:
        call()
    code: str = refused.value.code
    return code


def test_a_machine_that_never_goes_online_learns_releases_deactivations_and_blocks(
    live_server: LiveServer, tmp_path: Path
) -> None:
    vendor = Vendor(live_server)
    clock = Clock()
    serial, blocked_serial = vendor.serial(), vendor.serial()
    online = [vendor.app(tmp_path / f"m{n}", machine, clock) for n, machine in enumerate(MACHINES)]
    released = online[0].activate(serial)
    online[1].activate(serial)
    kept = online[2].activate(serial)
    blocked_app = vendor.app(tmp_path / "blocked", MACHINES[0], clock)
    blocked_app.activate(blocked_serial)
    # A licensee deactivates (keeping a copy of the license), the vendor releases another
    # machine and blocks a serial.
    copy = (tmp_path / "m1" / "license.json").read_bytes()
    online[1].deactivate()
    (tmp_path / "m1" / "license.json").write_bytes(copy)
    vendor.release(released.activation_id)
    vendor.block(blocked_serial)

    shipped = vendor.revocation_list()
    assert (shipped.serials, shipped.activations) == (1, 2)
    offline = [
        vendor.app(tmp_path / f"m{n}", machine, clock, url=None)
        for n, machine in enumerate(MACHINES)
    ]
    blocked_offline = vendor.app(tmp_path / "blocked", MACHINES[0], clock, url=None)
    # Before the list, every copy runs offline: nothing else can tell them.
    assert all(app.load() for app in [*offline, blocked_offline])
    for app in [*offline, blocked_offline]:
        applied = app.apply_revocation_list(shipped.token.encode())
        assert applied.sequence == shipped.sequence
    assert _code(offline[0].load) == "DEACTIVATED"
    assert _code(offline[1].load) == "DEACTIVATED"
    assert _code(blocked_offline.load) == "SERIAL_BLOCKED"
    assert offline[2].load().activation_id == kept.activation_id
    with pytest.raises(LicenseError) as released_error:
        offline[0].load()
    assert released_error.value.details["reason"] == "released"
    # The list stays when the license file is restored or activated anew offline.
    (tmp_path / "m1" / "license.json").write_bytes(copy)
    assert _code(offline[1].load) == "DEACTIVATED"


def test_an_older_list_is_refused_and_the_newest_is_kept(
    live_server: LiveServer, tmp_path: Path
) -> None:
    vendor = Vendor(live_server)
    clock = Clock()
    serial = vendor.serial()
    app = vendor.app(tmp_path / "app", MACHINES[0], clock)
    licensed = app.activate(serial)
    older = vendor.revocation_list()
    vendor.release(licensed.activation_id)
    newer = vendor.revocation_list()
    assert newer.sequence == older.sequence + 1

    offline = vendor.app(tmp_path / "app", MACHINES[0], clock, url=None)
    offline.apply_revocation_list(newer.token)
    with pytest.raises(LicenseError) as outdated:
        offline.apply_revocation_list(older.token)
    assert outdated.value.code == "REVOCATION_LIST_OUTDATED"
    assert outdated.value.details == {"given": older.sequence, "kept": newer.sequence}
    # The same list again is harmless, and the newer one still stands.
    assert offline.apply_revocation_list(newer.token + "\n").sequence == newer.sequence
    assert _code(offline.load) == "DEACTIVATED"
    assert (tmp_path / "app" / "revocations.jwt").read_text().strip() == newer.token


def test_a_changed_or_foreign_list_is_refused(live_server: LiveServer, tmp_path: Path) -> None:
    vendor, other = Vendor(live_server), Vendor(live_server)
    clock = Clock()
    app = vendor.app(tmp_path / "app", MACHINES[0], clock)
    licensed = app.activate(vendor.serial())
    vendor.release(licensed.activation_id)
    genuine = vendor.revocation_list().token
    header, payload, signature = genuine.split(".")
    claims = json.loads(_unb64(payload))
    claims["activations"] = {}
    forged = ".".join((header, _b64(json.dumps(claims).encode()), signature))
    offline = vendor.app(tmp_path / "app", MACHINES[0], clock, url=None)
    for bad in (
        forged,
        other.revocation_list().token,  # signed by another vendor's key
        licensed.token,  # a license is not a list
        "not a list",
        b"\xff\xfe",
        "",
    ):
        assert _code(lambda bad=bad: offline.apply_revocation_list(bad)) == (
            "REVOCATION_LIST_INVALID"
        )
    assert not (tmp_path / "app" / "revocations.jwt").exists()
    assert offline.load().activation_id == licensed.activation_id
    # A kept list that was changed on disk is as if absent, never a crash.
    offline.apply_revocation_list(genuine)
    (tmp_path / "app" / "revocations.jwt").write_text(forged)
    assert offline.load().activation_id == licensed.activation_id


def test_a_check_in_after_the_list_outranks_it(live_server: LiveServer, tmp_path: Path) -> None:
    vendor = Vendor(live_server, days=1, grace=1)
    clock = Clock()
    serial = vendor.serial()
    app = vendor.app(tmp_path / "app", MACHINES[0], clock)
    app.activate(serial)
    vendor.block(serial)
    shipped = vendor.revocation_list()
    app.apply_revocation_list(shipped.token)
    assert _code(app.load) == "SERIAL_BLOCKED"
    # Unblocked since: the next check-in's lease is newer than the list (signed times count in
    # whole seconds).
    vendor.block(serial, "active")
    time.sleep(1.1)
    clock.advance(2)
    assert app.validate().serial == serial
    assert app.load().serial == serial


def test_a_clock_wound_back_before_a_signed_time_is_refused(
    live_server: LiveServer, tmp_path: Path
) -> None:
    vendor = Vendor(live_server, days=1, grace=1)
    clock = Clock()
    app = vendor.app(tmp_path / "app", MACHINES[0], clock)
    app.activate(vendor.serial())
    app.apply_revocation_list(vendor.revocation_list().token)
    offline = vendor.app(tmp_path / "app", MACHINES[0], clock, url=None)
    assert offline.load()
    # The unsigned last-seen time is deleted: the signed times (license, lease, revocation list)
    # still hold the floor.
    record = json.loads((tmp_path / "app" / "license.json").read_text())
    record.pop("last_seen", None)
    (tmp_path / "app" / "license.json").write_text(json.dumps(record))
    clock.advance(-2 * DAY)
    with pytest.raises(LicenseError) as wound:
        offline.load()
    assert wound.value.code == "CLOCK_TAMPERED"
    # Within the tolerance (24 hours by default) it runs.
    clock.advance(DAY + 3600)
    assert offline.load()


def test_a_lease_of_another_activation_is_refused(live_server: LiveServer, tmp_path: Path) -> None:
    vendor = Vendor(live_server, days=1, grace=1)
    clock = Clock()
    serial = vendor.serial()
    first = vendor.app(tmp_path / "a", MACHINES[0], clock)
    second = vendor.app(tmp_path / "b", MACHINES[1], clock)
    first.activate(serial)
    second.activate(serial)
    record_a = json.loads((tmp_path / "a" / "license.json").read_text())
    record_b = json.loads((tmp_path / "b" / "license.json").read_text())
    record_b["lease"] = record_a["lease"]
    (tmp_path / "b" / "license.json").write_text(json.dumps(record_b))
    offline = vendor.app(tmp_path / "b", MACHINES[1], clock, url=None)
    assert _code(offline.load) == "LEASE_MISMATCH"
    # A lease for this very activation, but signed by a key the application does not trust.
    own = json.loads(_unb64(record_b["license"].split(".")[1]))
    now = int(clock.now)
    record_b["lease"] = Signer("stranger").sign(
        **{name: own[name] for name in ("iss", "sub", "aud", "fp", "aid")},
        typ="lease",
        iat=now,
        due=now + int(DAY),
        exp=now + int(10 * DAY),
    )
    (tmp_path / "b" / "license.json").write_text(json.dumps(record_b))
    assert _code(offline.load) == "LEASE_REQUIRED"
    # Online, the machine checks in and gets its own lease back.
    assert second.load().serial == serial


def test_unknown_and_other_vendors_keys_are_refused(
    live_server: LiveServer, tmp_path: Path
) -> None:
    vendor, other = Vendor(live_server), Vendor(live_server)
    clock = Clock()
    licensed = vendor.app(tmp_path / "app", MACHINES[0], clock).activate(vendor.serial())
    # Another vendor's pinned keys, and a key the service never published.
    for pinned in (other.jwks(), Signer("stranger").jwks):
        app = vendor.app(tmp_path / "app", MACHINES[0], clock, url=None, public_keys=pinned)
        with pytest.raises(LicenseError) as refused:
            app.load()
        assert refused.value.code == "SIGNATURE_INVALID"
        assert refused.value.details["kid"] == licensed.key_id
    stranger = Signer("stranger")
    forged = stranger.sign(aud=vendor.product, fp=MACHINES[0])
    app = vendor.app(tmp_path / "forged", MACHINES[0], clock, url=None)
    with pytest.raises(LicenseError) as unknown:
        app.install(forged)
    assert unknown.value.code == "SIGNATURE_INVALID"
    assert unknown.value.details["kid"] == "stranger"


def test_a_key_retired_too_long_signs_no_lease(live_server: LiveServer, tmp_path: Path) -> None:
    vendor = Vendor(live_server, days=60, grace=10)
    clock = Clock()
    app = vendor.app(tmp_path / "app", MACHINES[0], clock)
    licensed = app.activate(vendor.serial())
    vendor.rotate()
    retired = {key["kid"]: key for key in vendor.jwks()["keys"]}[licensed.key_id]
    assert "retired_at" in retired
    # Pinned as published now (the retired key says since when): the old lease carries the
    # machine for RETIRED_KEY_DAYS, then only a check-in under the current key does.
    offline = vendor.app(tmp_path / "app", MACHINES[0], clock, url=None)
    assert offline.load().key_id == licensed.key_id
    clock.advance((RETIRED_KEY_DAYS + 1) * DAY)
    assert _code(offline.load) == "KEY_RETIRED"
    renewed = vendor.app(tmp_path / "app", MACHINES[0], clock).load()
    assert renewed.key_id != licensed.key_id
    assert offline.load().key_id == renewed.key_id


def test_an_application_pinned_before_the_retirement_learns_it_from_the_list(
    live_server: LiveServer, tmp_path: Path
) -> None:
    vendor = Vendor(live_server, days=60, grace=10)
    clock = Clock()
    app = vendor.app(tmp_path / "app", MACHINES[0], clock)
    licensed = app.activate(vendor.serial())
    vendor.add_next_key()
    # Pinned once the next key was out (as docs/protocol.md says to): both keys, no retirement.
    pinned = vendor.jwks()
    vendor.promote()
    assert all("retired_at" not in key for key in pinned["keys"])
    offline = vendor.app(tmp_path / "app", MACHINES[0], clock, url=None, public_keys=pinned)
    clock.advance((RETIRED_KEY_DAYS + 1) * DAY)
    assert offline.load()  # nothing it knows says the key retired
    applied = offline.apply_revocation_list(vendor.revocation_list().token)
    assert set(applied.retired_keys) == {licensed.key_id}
    assert _code(offline.load) == "KEY_RETIRED"


def test_offline_forever_licenses_of_a_retired_key_keep_running(
    live_server: LiveServer, tmp_path: Path
) -> None:
    vendor = Vendor(live_server)
    clock = Clock()
    licensed = vendor.app(tmp_path / "app", MACHINES[0], clock).activate(vendor.serial())
    vendor.rotate()
    clock.advance(3 * 365 * DAY)
    offline = vendor.app(tmp_path / "app", MACHINES[0], clock, url=None)
    assert offline.load().key_id == licensed.key_id


def test_server_down_the_sdk_says_how_long_is_left(
    live_server: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vendor = Vendor(live_server, days=1, grace=2)
    clock = Clock()
    activated = vendor.app(tmp_path / "app", MACHINES[0], clock).activate(vendor.serial())
    assert activated.grace_remaining is not None
    assert 3 * DAY - 120 < activated.grace_remaining.total_seconds() < 3 * DAY + 60
    # The command line's status says it to a person (by the real clock, before the test's
    # clock moves on).
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(vendor.jwks()))
    status = cli_main(
        [
            "status",
            "--product",
            vendor.product,
            "--store",
            str(tmp_path / "app"),
            "--server",
            DEAD,
            "--public-keys",
            str(jwks),
            "--fingerprint",
            MACHINES[0],
        ]
    )
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "runs until" in printed and "left" in printed
    down = vendor.app(tmp_path / "app", MACHINES[0], clock, url=DEAD, retries=0)
    clock.advance(DAY + 3600)  # due, and the service cannot be reached
    running = down.load()
    assert running.grace_remaining is not None and running.lease_expires_at is not None
    left = running.grace_remaining.total_seconds()
    assert left == pytest.approx(running.lease_expires_at.timestamp() - clock.now)
    assert 2 * DAY - 7200 < left < 2 * DAY
    assert down.validate().grace_remaining == running.grace_remaining


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
