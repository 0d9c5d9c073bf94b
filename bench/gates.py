"""Correctness gates checked after every load run: a run that fails one reports no figure."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import jwt

OVER_LIMIT = "SELECT count(*) FROM serials WHERE used > activation_limit OR used < 0"

USED_MISMATCH = """
SELECT count(*)
FROM serials s
LEFT JOIN (
    SELECT serial, count(*) AS live FROM activations WHERE deactivated_at IS NULL GROUP BY serial
) a USING (serial)
WHERE s.used <> COALESCE(a.live, 0)
"""

DUPLICATES = """
SELECT count(*) FROM (
    SELECT serial, fingerprint FROM activations WHERE deactivated_at IS NULL
    GROUP BY serial, fingerprint HAVING count(*) > 1
) d
"""

SAMPLE = """
SELECT a.id, a.serial, a.fingerprint, p.code AS product
FROM activations a JOIN serials s USING (serial) JOIN products p ON p.id = s.product_id
WHERE a.created_at >= $1 AND a.deactivated_at IS NULL
ORDER BY random() LIMIT $2
"""


@dataclass
class GateReport:
    passed: bool = True
    failures: list[str] = field(default_factory=list)
    checked_licenses: int = 0

    def fail(self, message: str) -> None:
        self.passed = False
        self.failures.append(message)


def _post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _keys(base_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base_url}/v1/keys", timeout=10) as response:
        jwks = json.loads(response.read())
    return {key["kid"]: jwt.PyJWK(key) for key in jwks["keys"]}


async def check(
    database_url: str, base_url: str, since: datetime, *, sample: int = 50
) -> GateReport:
    """The database invariants, and ``sample`` activations made since ``since``, whose licenses
    (fetched again by the same machine, which must get the same activation) verify against the
    server's published keys with the right claims."""
    report = GateReport()
    connection = await asyncpg.connect(database_url)
    try:
        if over := await connection.fetchval(OVER_LIMIT):
            report.fail(f"{over} serial(s) over their activation limit")
        if mismatched := await connection.fetchval(USED_MISMATCH):
            report.fail(f"{mismatched} serial(s) whose used count differs from live activations")
        if duplicates := await connection.fetchval(DUPLICATES):
            report.fail(f"{duplicates} duplicate live (serial, fingerprint) pair(s)")
        rows = await connection.fetch(SAMPLE, since, sample)
    finally:
        await connection.close()
    keys = _keys(base_url) if rows else {}
    for row in rows:
        status, body = _post(
            f"{base_url}/v1/activations",
            {"serial": row["serial"], "fingerprint": row["fingerprint"]},
        )
        if status != 200 or body.get("activation_id") != str(row["id"]):
            report.fail(f"re-activation of {row['serial']} answered {status}, not the same one")
            continue
        token = body["license"]
        try:
            key = keys[jwt.get_unverified_header(token)["kid"]]
            claims = jwt.decode(token, key.key, algorithms=["EdDSA"], audience=row["product"])
        except (KeyError, jwt.InvalidTokenError) as error:
            report.fail(f"license of activation {row['id']} does not verify: {error!r}")
            continue
        expected = (row["serial"], row["fingerprint"], str(row["id"]))
        if (claims.get("sub"), claims.get("fp"), claims.get("aid")) != expected:
            report.fail(f"license of activation {row['id']} has the wrong claims")
            continue
        report.checked_licenses += 1
    if sample and not rows:
        report.fail("no activation was made during the run")
    return report
