"""The hardware fingerprint (client_sdk.fingerprint), read from fake /sys trees where needed."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from client_sdk import Client, LicenseError
from client_sdk.client import FINGERPRINT_ENV
from client_sdk.fingerprint import (
    FingerprintUnavailable,
    combine,
    from_override,
    linux_components,
    machine_fingerprint,
    physical_macs,
    resolve,
)

HEX64 = re.compile(r"[0-9a-f]{64}")
MACHINE_ID = "3d1219c7c4c5404aaa1f6d2a48adfda4"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def interface(
    root: Path,
    name: str,
    mac: str,
    *,
    bus: str | None = "pci0000:00/0000:00:03.0",
    assign_type: str = "0",
    wireless: bool = False,
) -> None:
    """An entry of /sys/class/net; ``bus`` None makes it virtual (no backing device)."""
    directory = root / "sys/class/net" / name
    write(directory / "address", mac)
    write(directory / "addr_assign_type", assign_type)
    if bus is not None:
        device = root / "sys/devices" / bus / name
        device.mkdir(parents=True, exist_ok=True)
        os.symlink(device, directory / "device")
    if wireless:
        (directory / "wireless").mkdir()


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    """A Linux machine with a machine-id, one wired card and a disk holding / on sda1."""
    write(tmp_path / "etc/machine-id", MACHINE_ID)
    interface(tmp_path, "eth0", "52:54:00:12:34:56")
    disk = tmp_path / "sys/devices/pci0000:00/0000:00:1f.2/block/sda"
    write(disk / "device/serial", "WD-WCC4N1234567")
    write(disk / "sda1/partition", "1")
    (tmp_path / "sys/dev/block").mkdir(parents=True)
    os.symlink(disk / "sda1", tmp_path / "sys/dev/block/8:1")
    return tmp_path


def labels(root: Path) -> list[tuple[str, bytes]]:
    return linux_components(root, root_device="8:1")


def test_reads_machine_id_wired_mac_and_system_disk(machine: Path) -> None:
    assert labels(machine) == [
        ("machine-id", MACHINE_ID.encode()),
        ("mac", b"52:54:00:12:34:56"),
        ("disk-serial", b"WD-WCC4N1234567"),
    ]


def test_leaves_out_interfaces_that_come_and_go(machine: Path) -> None:
    interface(machine, "veth1", "aa:bb:cc:00:00:01", bus=None)
    interface(machine, "wlan0", "00:11:22:33:44:55", wireless=True)
    interface(machine, "usb0", "00:11:22:33:44:66", bus="pci0000:00/0000:00:14.0/usb1/1-2")
    interface(machine, "eth1", "02:00:00:00:00:01", assign_type="3")
    interface(machine, "eth2", "00:00:00:00:00:00")
    interface(machine, "eth3", "01:00:5e:00:00:01")
    assert physical_macs(machine / "sys/class/net") == ["52:54:00:12:34:56"]


def test_mac_order_does_not_matter(machine: Path) -> None:
    before = combine(labels(machine))
    interface(machine, "eth1", "52:54:00:00:00:01")
    with_second = combine(labels(machine))
    assert with_second != before
    assert physical_macs(machine / "sys/class/net") == ["52:54:00:00:00:01", "52:54:00:12:34:56"]


def test_dmi_uuid_is_used_only_without_machine_id(machine: Path) -> None:
    write(machine / "sys/class/dmi/id/product_uuid", "4C4C4544-0042-3510-8052-B2C04F4B3132")
    assert "dmi-product-uuid" not in dict(labels(machine))
    (machine / "etc/machine-id").unlink()
    assert dict(labels(machine))["dmi-product-uuid"] == b"4c4c4544-0042-3510-8052-b2c04f4b3132"


def test_unreadable_dmi_uuid_is_skipped(machine: Path) -> None:
    (machine / "etc/machine-id").unlink()
    # A directory where the file should be fails to read like a root-only file does.
    (machine / "sys/class/dmi/id/product_uuid").mkdir(parents=True)
    assert [label for label, _ in labels(machine)] == ["mac", "disk-serial"]


def test_empty_machine_has_no_fingerprint(tmp_path: Path) -> None:
    assert linux_components(tmp_path, root_device="8:1") == []
    with pytest.raises(FingerprintUnavailable):
        combine([])


def test_fingerprint_is_64_hex_and_holds_no_raw_component(machine: Path) -> None:
    fingerprint = combine(labels(machine))
    assert HEX64.fullmatch(fingerprint)
    assert MACHINE_ID not in fingerprint
    assert combine(reversed(labels(machine))) == fingerprint


def test_each_component_counts_under_its_own_label() -> None:
    assert combine([("mac", b"x")]) != combine([("disk-serial", b"x")])
    assert combine([("mac", b"x"), ("mac", b"y")]) != combine([("mac", b"x")])


def test_changing_a_component_changes_the_fingerprint(machine: Path) -> None:
    before = combine(labels(machine))
    write(machine / "sys/devices/pci0000:00/0000:00:1f.2/block/sda/device/serial", "OTHER")
    assert combine(labels(machine)) != before


def test_this_machine_is_stable() -> None:
    try:
        first = machine_fingerprint()
    except FingerprintUnavailable:
        pytest.skip("this machine exposes no hardware component")
    assert HEX64.fullmatch(first)
    assert machine_fingerprint() == first


def test_override_hex_is_kept_and_other_text_is_hashed() -> None:
    assert from_override("AB" * 32) == "ab" * 32
    hashed = from_override("container-42")
    assert HEX64.fullmatch(hashed)
    assert hashed == from_override(" container-42 ")
    assert hashed != from_override("container-43")
    with pytest.raises(ValueError):
        from_override("  ")


def test_resolve_prefers_explicit_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FINGERPRINT_ENV, "cd" * 32)
    assert resolve("ef" * 32, FINGERPRINT_ENV) == "ef" * 32
    assert resolve(None, FINGERPRINT_ENV) == "cd" * 32


def test_client_ignores_the_environment_unless_allowed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(FINGERPRINT_ENV, "cd" * 32)
    allowed = Client(None, "ACME", store_path=tmp_path, allow_fingerprint_env=True)
    assert allowed.fingerprint == "cd" * 32
    default = Client(None, "ACME", store_path=tmp_path)
    try:
        assert default.fingerprint != "cd" * 32
    except LicenseError as error:
        assert error.code == "FINGERPRINT_UNAVAILABLE"


def test_client_without_any_component_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("client_sdk.fingerprint.components", list)
    client = Client(None, "ACME", store_path=tmp_path)
    with pytest.raises(LicenseError) as caught:
        _ = client.fingerprint
    assert caught.value.code == "FINGERPRINT_UNAVAILABLE"
    assert "explicitly" in str(caught.value)
