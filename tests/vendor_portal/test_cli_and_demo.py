"""``activation-server create-user`` and ``demo``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import fingerprint
from tests.vendor_portal.helpers import ok
from vendor_portal.demo import seed_demo


def _cli(settings, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ACTIVATION_DATABASE_URL": settings.database_url,
        "ACTIVATION_DATA_DIR": str(settings.data_dir),
        "ACTIVATION_PASSWORD_TIME_COST": "1",
        "ACTIVATION_PASSWORD_MEMORY_KIB": "1024",
        "ACTIVATION_PASSWORD_PARALLELISM": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "activation_server", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


async def test_create_user_then_sign_in(client, settings):
    made = _cli(
        settings,
        "create-user",
        "Ops@Example.com",
        "--role",
        "vendor",
        "--company",
        "CLI Co",
        "--password",
        "cli password 1",
    )
    assert made.returncode == 0, made.stderr
    assert "ops@example.com" in made.stdout
    again = _cli(
        settings,
        "create-user",
        "ops@example.com",
        "--role",
        "staff",
        "--password",
        "cli password 1",
    )
    assert again.returncode == 1 and "exists" in again.stderr
    no_password = _cli(settings, "create-user", "x@example.com", "--role", "staff")
    assert no_password.returncode != 0 and "--password" in no_password.stderr
    short = _cli(settings, "create-user", "y@example.com", "--role", "staff", "--password", "short")
    assert short.returncode == 2
    session = await ok(
        await client.post(
            "/v1/auth/token", json={"email": "ops@example.com", "password": "cli password 1"}
        )
    )
    me = await ok(
        await client.get("/v1/me", headers={"Authorization": f"Bearer {session['access_token']}"})
    )
    assert me["vendor"]["name"] == "CLI Co"


async def test_demo_shape_and_new_unused_serials_each_call(client, pool, settings):
    first = await seed_demo(pool, settings)
    second = await seed_demo(pool, settings)
    for demo in (first, second):
        assert set(demo) == {"product", "serials", "staff", "vendor"}
        assert demo["product"] == "DEMO"
        assert set(demo["serials"]) == {"SP1", "SP3", "SP5", "TRIAL30K", "TRIAL100K"}
        for kind in ("SP1", "SP3", "SP5"):
            assert len(demo["serials"][kind]) >= 5
        for kind in ("TRIAL30K", "TRIAL100K"):
            assert len(demo["serials"][kind]) >= 1
        json.dumps(demo)
    assert not set(first["serials"]["SP1"]) & set(second["serials"]["SP1"])
    for role in ("staff", "vendor"):
        await ok(await client.post("/v1/auth/token", json=second[role]))
    activated = await client.post(
        "/v1/activations",
        json={
            "serial": first["serials"]["SP5"][0],
            "fingerprint": fingerprint(9),
            "product": "DEMO",
        },
    )
    assert activated.status == 201
