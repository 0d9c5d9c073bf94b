"""The SDK's public surface and what it may import (client_sdk/__init__.py, client_sdk.errors)."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import client_sdk
from client_sdk import ActivationError, LicenseError
from client_sdk.errors import ClientError

PACKAGE = Path(client_sdk.__file__).parent
REPOSITORY = PACKAGE.parent
SERVER_SIDE = ("aiohttp", "asyncpg", "activation_server", "vendor_portal")
ALLOWED_THIRD_PARTY = {"cryptography", "jwt", "client_sdk"}


def test_public_surface_is_pinned() -> None:
    assert client_sdk.__all__ == ["ActivationError", "Client", "License", "LicenseError"]
    for name in client_sdk.__all__:
        assert getattr(client_sdk, name).__module__.startswith("client_sdk.")


def test_importing_the_sdk_imports_no_server_package() -> None:
    # The check must be able to fail: the server's libraries are installed in this environment.
    assert importlib.util.find_spec("aiohttp") is not None
    assert importlib.util.find_spec("asyncpg") is not None
    probe = (
        "import sys, client_sdk, client_sdk.cli\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {SERVER_SIDE!r})\n"
        "print(','.join(loaded))\n"
        "sys.exit(1 if loaded else 0)\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"imported: {result.stdout} {result.stderr}"


def test_the_probe_would_see_a_server_import() -> None:
    probe = "import sys, client_sdk, aiohttp; sys.exit(0 if 'aiohttp' in sys.modules else 1)"
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPOSITORY, env=environment, timeout=60
    )
    assert result.returncode == 0


@pytest.mark.parametrize("module", sorted(PACKAGE.glob("*.py")), ids=lambda path: path.name)
def test_sdk_modules_import_only_the_standard_library_cryptography_and_pyjwt(
    module: Path,
) -> None:
    tree = ast.parse(module.read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    foreign = imported - set(sys.stdlib_module_names) - ALLOWED_THIRD_PARTY - {"__future__"}
    assert not foreign, f"{module.name} imports {sorted(foreign)}"


def test_error_classes() -> None:
    activation = ActivationError("SERIAL_NOT_FOUND", "No serial 7KQ2M…", status=404)
    license = LicenseError("WRONG_MACHINE", "This license was issued to another machine.")
    assert isinstance(activation, ClientError) and isinstance(license, ClientError)
    assert not isinstance(activation, LicenseError)
    assert not isinstance(license, ActivationError)
    assert activation.code == "SERIAL_NOT_FOUND" and activation.status == 404
    # The message says what happened, the hint what to do about it.
    assert str(license).startswith("This license was issued to another machine.")
    assert "activate on this machine" in str(license)
    assert repr(license) == (
        "LicenseError(code='WRONG_MACHINE', message='This license was issued to another machine.')"
    )
    unknown = ActivationError("SOMETHING_NEW", "The server learnt a new refusal.")
    assert str(unknown) == "The server learnt a new refusal."
