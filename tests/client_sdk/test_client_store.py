"""Where licenses are kept (client_sdk.store): atomic writes, owner-only files."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from client_sdk import Client, LicenseError
from client_sdk import store as store_module
from client_sdk.store import Store, StoreCorrupt, atomic_write, default_directory
from tests.client_sdk.sdk_helpers import Signer


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_written_files_are_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        target = tmp_path / "new" / "license.json"
        atomic_write(target, b"{}")
    finally:
        os.umask(previous)
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700


def test_rewrite_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "license.json"
    for round_ in range(3):
        atomic_write(target, f"{round_}".encode())
    assert target.read_bytes() == b"2"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["license.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "license.json"
    atomic_write(target, b"old")

    def full_disk(source: str, destination: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module.os, "replace", full_disk)
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["license.json"]


def test_damaged_files_are_reported(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert store.read_license() is None
    (tmp_path / "license.json").write_text("{ not json")
    with pytest.raises(StoreCorrupt):
        store.read_license()
    (tmp_path / "license.json").write_text(json.dumps({"version": 1}))
    with pytest.raises(StoreCorrupt):
        store.read_license()
    (tmp_path / "keys.json").write_text("[]")
    assert store.read_keys() is None


def test_update_does_not_overwrite_a_replaced_license(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.write_license({"license": "new-token", "last_seen": 1.0})
    store.update_license(lambda record: {**record, "last_seen": 99.0}, token="old-token")
    record = store.read_license()
    assert record is not None
    assert record["last_seen"] == 1.0


def test_default_location_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(store_module.sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_directory("ACME") == tmp_path / "data" / "activation-client" / "ACME"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/path")
    assert default_directory("ACME") == Path.home() / ".local/share/activation-client/ACME"


def test_default_location_on_windows_and_macos(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(store_module.sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    assert default_directory("ACME") == tmp_path / "Roaming" / "activation-client" / "ACME"
    monkeypatch.setattr(store_module.sys, "platform", "darwin")
    assert default_directory("ACME") == (
        Path.home() / "Library/Application Support/activation-client/ACME"
    )


@pytest.mark.parametrize("product", ["../../etc", "a/b", "..", "x" * 80, "ÄCME"])
def test_odd_product_codes_stay_inside_the_data_directory(product: str) -> None:
    directory = default_directory(product)
    assert directory.parent.name == "activation-client"
    assert "/" not in directory.name and directory.name not in (".", "..")
    assert default_directory(product) == directory


def test_installed_license_is_owner_only(
    signer: Signer, store: Path, offline_client: Client
) -> None:
    token = signer.sign()
    offline_client.install(token)
    assert mode(store / "license.json") == 0o600
    assert mode(store) == 0o700
    record = json.loads((store / "license.json").read_text())
    assert record["license"] == token
    assert record["product"] == "ACME"


def test_unreadable_store_is_license_corrupt(store: Path, offline_client: Client) -> None:
    store.mkdir(parents=True)
    (store / "license.json").write_bytes(b"\xff\xfe garbage")
    with pytest.raises(LicenseError) as caught:
        offline_client.load()
    assert caught.value.code == "LICENSE_CORRUPT"
