"""Where a license lives on disk: one directory per product, files written atomically, 0600.

The directory holds ``license.json`` (the license and the times it was last seen and last
checked online), ``keys.json`` (the server's public keys, when they were fetched rather than
pinned) and ``revocations.jwt`` (the highest-numbered signed revocation list given to it; it
outlives the license, so that activating again does not forget it). Every write goes to a
temporary file in the same directory which is flushed, synced and then renamed over the old
one, so a crash or a full disk leaves either the old file or the new one, never half of each.
Files are created readable by their owner only: a license is bound to the machine, but the
serial inside it is the user's.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

LICENSE_FILE = "license.json"
KEYS_FILE = "keys.json"
REVOCATIONS_FILE = "revocations.jwt"
LOCK_FILE = ".lock"
APP_DIR = "activation-client"
RECORD_VERSION = 1
_SAFE_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


class StoreCorrupt(ValueError):
    """A stored file exists but is not what the SDK wrote."""


def data_home() -> Path:
    """The per-user data directory of this platform."""
    if sys.platform == "win32":
        appdata = os.environ.get("APPDATA")
        return Path(appdata) if appdata else Path.home() / "AppData" / "Roaming"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support"
    xdg = os.environ.get("XDG_DATA_HOME")
    # The XDG spec says a relative value is invalid and must be ignored.
    if xdg and os.path.isabs(xdg):
        return Path(xdg)
    return Path.home() / ".local" / "share"


def default_directory(product: str) -> Path:
    """``<data home>/activation-client/<product>``; odd product codes get a hashed name."""
    name = product
    if not _SAFE_NAME.fullmatch(product) or product in (".", ".."):
        digest = hashlib.sha256(product.encode()).hexdigest()[:16]
        name = re.sub(r"[^A-Za-z0-9_-]", "_", product)[:32] + "-" + digest
    return data_home() / APP_DIR / name


def atomic_write(path: Path, data: bytes) -> None:
    """Replaces ``path`` with ``data`` all at once, mode 0600."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp creates the file 0600 whatever the umask, so the data is never readable by others,
    # not even for the instant before a chmod.
    descriptor, temporary = tempfile.mkstemp(prefix="." + path.name + ".", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk (POSIX); Windows has no
    # directory handles to sync, and its MoveFileEx is already durable enough.
    if sys.platform == "win32":
        return
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


class Store:
    """The license directory of one product on this machine."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.license_path = directory / LICENSE_FILE
        self.keys_path = directory / KEYS_FILE
        self.revocations_path = directory / REVOCATIONS_FILE

    def read_license(self) -> dict[str, Any] | None:
        """The stored record, None when there is none; StoreCorrupt when it is unreadable."""
        record = self._read_json(self.license_path)
        if record is None:
            return None
        if record.get("version") != RECORD_VERSION or not isinstance(record.get("license"), str):
            raise StoreCorrupt(f"{self.license_path} is not a license file")
        return record

    def write_license(self, record: dict[str, Any]) -> None:
        with self._locked():
            self._write_json(self.license_path, {**record, "version": RECORD_VERSION})

    def update_license(
        self, change: Callable[[dict[str, Any]], dict[str, Any] | None], *, token: str
    ) -> None:
        """Re-reads the record under the lock and writes ``change(record)`` back.

        Nothing is written when the stored license is no longer ``token`` (another process
        replaced or removed it meanwhile) or when ``change`` returns None.
        """
        with self._locked():
            try:
                record = self.read_license()
            except StoreCorrupt:
                return
            if record is None or record["license"] != token:
                return
            changed = change(dict(record))
            if changed is not None:
                self._write_json(self.license_path, {**changed, "version": RECORD_VERSION})

    def remove_license(self) -> None:
        with self._locked(), contextlib.suppress(FileNotFoundError):
            self.license_path.unlink()

    def read_keys(self) -> dict[str, Any] | None:
        try:
            return self._read_json(self.keys_path)
        except StoreCorrupt:
            # A damaged cache is only a cache: it is fetched again.
            return None

    def write_keys(self, jwks: dict[str, Any]) -> None:
        with self._locked():
            self._write_json(self.keys_path, jwks)

    def read_revocations(self) -> str | None:
        """The kept revocation list's token, None when there is none or it cannot be read (a
        damaged file is as if absent: the next list given replaces it)."""
        try:
            return self.revocations_path.read_text(encoding="ascii").strip() or None
        except (OSError, UnicodeDecodeError):
            return None

    def update_revocations(self, change: Callable[[str | None], str | None]) -> None:
        """Writes ``change(kept token)`` under the lock, unless it returns None."""
        with self._locked():
            token = change(self.read_revocations())
            if token is not None:
                atomic_write(self.revocations_path, token.encode("ascii") + b"\n")

    @staticmethod
    def _read_json(path: Path) -> dict[str, Any] | None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StoreCorrupt(f"{path} cannot be read: {error.strerror}") from error
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, ValueError):
            raise StoreCorrupt(f"{path} is damaged") from None
        if not isinstance(document, dict):
            raise StoreCorrupt(f"{path} is damaged")
        return document

    @staticmethod
    def _write_json(path: Path, document: dict[str, Any]) -> None:
        atomic_write(path, json.dumps(document, indent=1, sort_keys=True).encode() + b"\n")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # Serialises read-modify-write between processes of the same application, so that a
        # start-up advancing the last-seen time cannot undo a revocation written meanwhile.
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if sys.platform == "win32":
            yield
            return
        import fcntl  # POSIX only

        descriptor = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)
