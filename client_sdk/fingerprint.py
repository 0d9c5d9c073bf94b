"""The hardware fingerprint: 64 lowercase hex characters that identify this machine.

What is read, per platform:

- Linux: ``/etc/machine-id`` (or ``/var/lib/dbus/machine-id``), the permanent MAC addresses of
  wired physical network interfaces, and the serial of the disk that holds ``/``. The DMI
  product UUID (``/sys/class/dmi/id/product_uuid``) is used only when there is no machine-id:
  Linux lets only root read it, and a fingerprint that changes with the user who runs the
  program would make a license activated by one user fail for another on the same machine.
- Windows: ``MachineGuid`` under ``HKLM\\SOFTWARE\\Microsoft\\Cryptography``.
- macOS: ``IOPlatformUUID`` from ``ioreg``.

Each component is hashed with SHA-256 under its own label, and the fingerprint is the SHA-256 of
those labelled hashes; no raw identifier ever leaves the machine, and the fingerprint cannot be
turned back into a MAC address or a disk serial. Changing a component (a new network card, a new
system disk, a reinstalled OS) changes the fingerprint.

Beside it the SDK sends one hash per named component (:func:`component_hashes`): ``os_install``
(machine-id, MachineGuid), ``board`` (DMI product UUID, IOPlatformUUID), ``disk``, ``mac``
(``cpu`` is named for clients that read one). A product with a binding tolerance then keeps the
activation of a machine whose few components changed. A component hash is as salted as the
fingerprint, but alone it covers less: one MAC address is few enough bits that whoever sees its
hash can find it by trying every address of the card's maker.

Wireless, USB, virtual and software-assigned interfaces are left out on purpose: Wi-Fi MACs are
randomised for privacy, USB adapters come and go, and virtual interfaces (bridges, VPNs,
containers) are created at run time.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

DOMAIN = b"client_sdk/fingerprint/v1"
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_MAC = re.compile(r"([0-9a-f]{2}:){5}[0-9a-f]{2}")
# addr_assign_type 0 is NET_ADDR_PERM: the address burnt into the card, not one set by software.
_PERMANENT = "0"
_IOREG = "/usr/sbin/ioreg"


class FingerprintUnavailable(RuntimeError):
    """No stable hardware component could be read; an explicit fingerprint is needed."""


Component = tuple[str, bytes]

# The named components of tolerant binding, and the labels each is made of.
COMPONENT_NAMES = ("board", "cpu", "disk", "mac", "os_install")
COMPONENT_OF_LABEL = {
    "machine-id": "os_install",
    "windows-machine-guid": "os_install",
    "dmi-product-uuid": "board",
    "macos-platform-uuid": "board",
    "disk-serial": "disk",
    "mac": "mac",
}


def _labelled(label: str, value: bytes) -> str:
    return hashlib.sha256(DOMAIN + b"/" + label.encode() + b"\0" + value).hexdigest() + ":" + label


def _digest(prefix: bytes, hashed: Iterable[str]) -> str:
    return hashlib.sha256(prefix + b"\0" + "\n".join(sorted(hashed)).encode()).hexdigest()


def combine(components: Iterable[Component]) -> str:
    """The fingerprint of labelled components; their order does not matter."""
    hashed = [_labelled(label, value) for label, value in components]
    if not hashed:
        raise FingerprintUnavailable("no hardware component was readable on this machine")
    return _digest(DOMAIN, hashed)


def component_hashes(components: Iterable[Component]) -> dict[str, str]:
    """One hash per named component, of the labelled hashes that make it (all the MACs are one
    ``mac``); labels that name no component (an override) are left out."""
    grouped: dict[str, list[str]] = {}
    for label, value in components:
        name = COMPONENT_OF_LABEL.get(label)
        if name is not None:
            grouped.setdefault(name, []).append(_labelled(label, value))
    return {
        name: _digest(DOMAIN + b"/component/" + name.encode(), hashed)
        for name, hashed in grouped.items()
    }


def from_override(text: str) -> str:
    """An explicit fingerprint: 64 hex characters are used as they are, other text is hashed.

    Hashing arbitrary text lets a container use any stable identifier it has (a volume id, a
    deployment name) without producing a value the server would refuse.
    """
    text = text.strip()
    if not text:
        raise ValueError("an explicit fingerprint must not be empty")
    if _HEX64.fullmatch(text):
        return text.lower()
    return combine([("override", text.encode())])


def resolve(explicit: str | None = None, env_var: str | None = None) -> str:
    """The explicit fingerprint if given, else the one in ``env_var`` if set, else the machine's.

    Raises FingerprintUnavailable when it comes to the hardware and nothing is readable.
    """
    return resolve_with_components(explicit, env_var)[0]


def machine_fingerprint() -> str:
    """This machine's fingerprint; raises FingerprintUnavailable when nothing is readable."""
    return combine(components())


def resolve_with_components(
    explicit: str | None = None, env_var: str | None = None
) -> tuple[str, dict[str, str] | None]:
    """:func:`resolve`, with the component hashes when the fingerprint is the machine's own
    (an explicit one has none)."""
    if explicit is None and env_var is not None:
        explicit = os.environ.get(env_var) or None
    if explicit is not None:
        return from_override(explicit), None
    found = components()
    return combine(found), component_hashes(found) or None


def components() -> list[Component]:
    """The labelled raw components for the running platform (they stay on this machine)."""
    if sys.platform.startswith("linux"):
        return linux_components()
    if sys.platform == "win32":
        return windows_components()
    if sys.platform == "darwin":
        return macos_components()
    return []


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None


def linux_components(root: Path = Path("/"), root_device: str | None = None) -> list[Component]:
    """Linux components under ``root`` (a test passes a fake tree).

    ``root_device`` is the ``MAJOR:MINOR`` of the file system holding ``/``; found with stat()
    when not given.
    """
    found: list[Component] = []
    machine_id = _read(root / "etc/machine-id") or _read(root / "var/lib/dbus/machine-id")
    if machine_id and re.fullmatch(r"[0-9a-fA-F]{32}", machine_id):
        found.append(("machine-id", machine_id.lower().encode()))
    else:
        product_uuid = _read(root / "sys/class/dmi/id/product_uuid")
        if product_uuid and product_uuid.strip("0-") and len(product_uuid) >= 32:
            found.append(("dmi-product-uuid", product_uuid.lower().encode()))
    for mac in physical_macs(root / "sys/class/net"):
        found.append(("mac", mac.encode()))
    serial = system_disk_serial(root / "sys", root_device)
    if serial:
        found.append(("disk-serial", serial.encode()))
    return found


def physical_macs(net: Path) -> list[str]:
    """Permanent MACs of wired physical interfaces, sorted so discovery order does not count."""
    macs: set[str] = set()
    try:
        interfaces = list(net.iterdir())
    except OSError:
        return []
    for interface in interfaces:
        # Virtual interfaces (lo, bridges, veth, tun, ifb…) have no backing device.
        device = interface / "device"
        if not device.exists():
            continue
        if (interface / "wireless").exists() or (interface / "phy80211").exists():
            continue
        try:
            if "/usb" in str(device.resolve()):
                continue
        except OSError:
            continue
        assign_type = _read(interface / "addr_assign_type")
        if assign_type is not None and assign_type != _PERMANENT:
            continue
        mac = (_read(interface / "address") or "").lower()
        if not _MAC.fullmatch(mac) or mac == "00:00:00:00:00:00":
            continue
        first_octet = int(mac[:2], 16)
        if first_octet & 0x01:  # multicast: not a station address
            continue
        macs.add(mac)
    return sorted(macs)


def system_disk_serial(sys_root: Path, root_device: str | None = None) -> str | None:
    """The serial of the block device holding ``/``, when the kernel exposes one to everyone."""
    if root_device is None:
        try:
            st_dev = os.stat("/").st_dev
        except OSError:
            return None
        root_device = f"{os.major(st_dev)}:{os.minor(st_dev)}"
    try:
        block = (sys_root / "dev/block" / root_device).resolve(strict=True)
    except OSError:
        return None
    # A partition's serial is its disk's: step up from sda1 to sda.
    if (block / "partition").exists():
        block = block.parent
    # A single-disk device-mapper volume (LVM, LUKS) is as stable as the disk underneath.
    slaves = _list(block / "slaves")
    if len(slaves) == 1:
        block = (block / "slaves" / slaves[0]).resolve()
        if (block / "partition").exists():
            block = block.parent
    for candidate in (block / "device/serial", block / "serial", block / "device/wwid"):
        serial = _read(candidate)
        if serial and serial.strip("0 "):
            return serial
    return None


def _list(path: Path) -> list[str]:
    try:
        return sorted(entry.name for entry in path.iterdir())
    except OSError:
        return []


def windows_components() -> list[Component]:
    # The platform check (not try/except ImportError) lets mypy skip this body elsewhere.
    if sys.platform != "win32":
        return []
    import winreg  # Windows only

    try:
        with winreg.OpenKey(
            winreg.HKEY_LOCAL_MACHINE,
            r"SOFTWARE\Microsoft\Cryptography",
            0,
            # The 64-bit view: a 32-bit Python would otherwise read a redirected, empty key.
            winreg.KEY_READ | winreg.KEY_WOW64_64KEY,
        ) as key:
            value, _ = winreg.QueryValueEx(key, "MachineGuid")
    except OSError:
        return []
    if not isinstance(value, str) or not value.strip():
        return []
    return [("windows-machine-guid", value.strip().lower().encode())]


def macos_components() -> list[Component]:
    try:
        output = subprocess.run(  # noqa: S603 - fixed absolute command, no user input
            [_IOREG, "-rd1", "-c", "IOPlatformExpertDevice"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    match = re.search(r'"IOPlatformUUID"\s*=\s*"([0-9A-Fa-f-]{36})"', output)
    if not match:
        return []
    return [("macos-platform-uuid", match.group(1).lower().encode())]
