"""Keys and secrets: the signing key's private half never leaves its file in clear (not into a log,
an answer or the database), its file is private and encrypted with the passphrase, rotation works
end to end on a running server, and a wrong passphrase is a clear refusal."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from activation_server.keys.keyring import SigningKeyError, read_private_key
from tests.conftest import fingerprint
from tests.reliability.servers import SERVER_EXECUTABLE, ServerProcess, issue, run_cli

PASSPHRASE = "correct horse battery staple, rotated yearly"
PRIVATE_MARKER = "PRIVATE" + " KEY-----"
REPOSITORY = Path(__file__).resolve().parents[2]


def private_keys(keys_dir: Path) -> dict[str, Ed25519PrivateKey]:
    found: dict[str, Ed25519PrivateKey] = {}
    for path in sorted(keys_dir.glob("*.pem")):
        found[path.stem] = read_private_key(keys_dir, path.stem, PASSPHRASE)
    return found


def assert_modern_key_file(path: Path) -> None:
    """Encrypted under a key derived with scrypt at a modern cost (not PKCS#8's 2 048 rounds
    of PBKDF2)."""
    document = json.loads(path.read_text())
    assert document["kdf"]["name"] == "scrypt" and document["kdf"]["n"] >= 2**17, document
    assert document["cipher"] == "AES-256-GCM"


def test_an_old_key_file_is_still_read_and_rewritten_with_the_modern_kdf(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "kid-1.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(PASSPHRASE.encode()),
        )
    )
    assert path.read_text().startswith("-----BEGIN ENCRYPTED " + PRIVATE_MARKER)
    loaded = read_private_key(tmp_path, "kid-1", PASSPHRASE)
    assert loaded.private_bytes_raw() == key.private_bytes_raw()
    assert_modern_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = read_private_key(tmp_path, "kid-1", PASSPHRASE)
    assert again.private_bytes_raw() == key.private_bytes_raw()
    with pytest.raises(SigningKeyError):
        read_private_key(tmp_path, "kid-1", "not the passphrase")
    # The key id is bound to the file: copied under another key's name, it does not decrypt.
    (tmp_path / "kid-2.pem").write_bytes(path.read_bytes())
    with pytest.raises(SigningKeyError):
        read_private_key(tmp_path, "kid-2", PASSPHRASE)


def secret_forms(key: Ed25519PrivateKey) -> list[str]:
    """Every way the private key could leak as text: raw bytes in base64, base64url, hex, and the
    unencrypted PEM and DER encodings."""
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return [
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        raw.hex(),
        base64.b64encode(der).decode().rstrip("="),
        pem.splitlines()[1],
    ]


async def all_database_text(url: str) -> str:
    """Every row of every table of the application's schema, as text."""
    connection = await asyncpg.connect(url)
    try:
        tables = await connection.fetch(
            "SELECT quote_ident(table_name) AS name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        chunks = []
        for table in tables:
            # Identifiers cannot be parameters; the names come from the catalog, quoted.
            rows = await connection.fetch(f"SELECT t::text AS row FROM {table['name']} t")
            chunks.extend(row["row"] for row in rows)
        return "\n".join(chunks)
    finally:
        await connection.close()


async def answers(session: aiohttp.ClientSession, base: str) -> str:
    texts = []
    for path in ("/v1/keys", "/metrics", "/healthz", "/readyz", "/v1/openapi.json", "/portal/"):
        async with session.get(base + path) as answer:
            texts.append(await answer.text())
    return "\n".join(texts)


async def activate(
    session: aiohttp.ClientSession, base: str, serial: str, machine: str
) -> dict[str, Any]:
    async with session.post(
        base + "/v1/activations", json={"serial": serial, "fingerprint": fingerprint(machine)}
    ) as answer:
        assert answer.status == 201, await answer.text()
        body: dict[str, Any] = await answer.json()
        return body


async def post(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> Any:
    async with session.post(url, json=body) as answer:
        return answer.status, await answer.json()


@pytest.mark.slow
async def test_rotation_end_to_end_and_the_private_key_never_leaks(
    tmp_path: Path, database_url: str
) -> None:
    data_dir = tmp_path / "server"
    serials = await issue(database_url, "SP5", 1)
    trial = (await issue(database_url, "TRIAL30K", 1))[0]
    server = ServerProcess(
        data_dir,
        database_url,
        workers=2,
        env={
            "ACTIVATION_KEY_PASSPHRASE": PASSPHRASE,
            "ACTIVATION_LOG_LEVEL": "DEBUG",
            # The session secret is generated into the data directory when not given.
            "ACTIVATION_SECRET_KEY": "",
        },
    ).start()
    cli_output = ""
    try:
        async with (
            aiohttp.ClientSession() as session,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as spread,
        ):
            first = await activate(session, server.url, serials[0], "before")
            old_kid = jwt.get_unverified_header(first["license"])["kid"]

            cli_output += run_cli(
                data_dir, database_url, "keys", "rotate", ACTIVATION_KEY_PASSPHRASE=PASSPHRASE
            )
            cli_output += run_cli(
                data_dir, database_url, "keys", "list", ACTIVATION_KEY_PASSPHRASE=PASSPHRASE
            )
            new_kids = [k for k in private_keys(data_dir / "keys") if k != old_kid]
            assert len(new_kids) == 1
            new_kid = new_kids[0]

            # Both running workers switch to the new key by themselves, within seconds. Each
            # activation comes on a new connection, so the kernel spreads them over the workers.
            deadline = time.monotonic() + 30
            machine = 0
            while time.monotonic() < deadline:
                kids = []
                for _ in range(8):
                    machine += 1
                    fresh = await activate(spread, server.url, trial, f"after-{machine}")
                    kids.append(jwt.get_unverified_header(fresh["license"])["kid"])
                if set(kids) == {new_kid}:
                    break
                await asyncio.sleep(0.5)
            else:
                raise AssertionError("the running server never signed with the rotated key")

            async with session.get(server.url + "/v1/keys") as answer:
                jwks = await answer.json()
            assert [key["kid"] for key in jwks["keys"]][:2] == [new_kid, old_kid]
            # The license signed with the retired key still verifies, validates and deactivates.
            public = {key["kid"]: jwt.PyJWK(key) for key in jwks["keys"]}
            claims = jwt.decode(
                first["license"], public[old_kid].key, algorithms=["EdDSA"], audience="REL"
            )
            assert claims["aid"] == first["activation_id"]
            status, verdict = await post(
                session, server.url + "/v1/validations", {"license": first["license"]}
            )
            assert (status, verdict["code"]) == (200, "VALID")
            status, freed = await post(
                session, server.url + "/v1/deactivations", {"license": first["license"]}
            )
            assert status == 200 and freed["activation_id"] == first["activation_id"]
            served = await answers(session, server.url)
    finally:
        server.stop()

    keys_dir = data_dir / "keys"
    assert stat.S_IMODE(keys_dir.stat().st_mode) == 0o700
    for path in keys_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert_modern_key_file(path)
    session_secret = data_dir / "session-secret"
    assert stat.S_IMODE(session_secret.stat().st_mode) == 0o600
    secrets = [session_secret.read_text().strip(), PASSPHRASE]
    for key in private_keys(keys_dir).values():
        secrets.extend(secret_forms(key))

    logs = server.log_text() + cli_output
    assert "signing key rotated" in logs
    database = await all_database_text(database_url)
    for place, text in (("logs", logs), ("answers", served), ("database", database)):
        assert PRIVATE_MARKER not in text, place
        for secret in secrets:
            assert secret not in text, f"a secret is in the {place}"


def _cli(
    data_dir: Path, database_url: str, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ACTIVATION_")},
        "ACTIVATION_DATABASE_URL": database_url,
        "ACTIVATION_DATA_DIR": str(data_dir),
        **env,
    }
    return subprocess.run(
        [str(SERVER_EXECUTABLE), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_wrong_or_missing_passphrase_is_a_clear_refusal(
    tmp_path: Path, database_url: str
) -> None:
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    # The passphrase may come from a file (a mounted secret) instead of the environment.
    made = _cli(
        tmp_path, database_url, "keys", "list", ACTIVATION_KEY_PASSPHRASE_FILE=str(passphrase_file)
    )
    assert made.returncode == 0, made.stderr
    assert private_keys(tmp_path / "keys")
    for env in ({"ACTIVATION_KEY_PASSPHRASE": "not the passphrase"}, {}):
        for command in (("keys", "list"), ("keys", "rotate"), ("serve", "--port", "0")):
            refused = _cli(tmp_path, database_url, *command, **env)
            assert refused.returncode != 0, (command, env)
            assert "ACTIVATION_KEY_PASSPHRASE" in refused.stderr, refused.stderr
            assert "Traceback" not in refused.stderr
            assert PASSPHRASE not in refused.stdout + refused.stderr
    assert len(private_keys(tmp_path / "keys")) == 1, "a refused rotation must not add a key"


def test_no_private_key_or_secret_file_is_in_the_repository() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPOSITORY, capture_output=True, check=False
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    offenders = []
    for name in listed.stdout.decode().split("\0"):
        path = REPOSITORY / name
        if not name or not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        if name.endswith((".pem", ".key")) or Path(name).name == "session-secret":
            offenders.append(name)
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        if "-----BEGIN " in text and PRIVATE_MARKER in text:
            offenders.append(name)
    assert offenders == []
