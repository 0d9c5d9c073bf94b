"""The vendor ordering flow of the vendor API, as a user runs it, for the benchmark.

A vendor signs in, reads the price list, places an order of serials, staff invoice it and record
the payment (which issues the serials), and the vendor downloads them. Where the server has no
vendor API (``GET /v1/price-list`` answers 404), the flow is skipped with a message.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

QUANTITY = 10


class FlowError(RuntimeError):
    pass


def call(
    base_url: str, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        raw, status = error.read(), error.code
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


def expect(step: str, answer: tuple[int, Any], *statuses: int) -> Any:
    status, body = answer
    if status not in statuses:
        raise FlowError(f"{step} answered {status}: {str(body)[:200]}")
    return body


def token(base_url: str, account: dict[str, str]) -> str:
    body = expect(
        "sign-in",
        call(
            base_url,
            "POST",
            "/v1/auth/token",
            {"email": account["email"], "password": account["password"]},
        ),
        200,
    )
    return str(body["access_token"])


Call = Callable[..., tuple[int, Any]]


def order_once(call: Call, vendor: str, staff: str, product: str) -> int:
    """One order from placing to downloading its serials; returns the requests it took.

    ``call(method, path, body=None, token=None)`` answers ``(status, json)``.
    """
    expect("price list", call("GET", "/v1/price-list", token=vendor), 200)
    order = expect(
        "place order",
        call(
            "POST",
            "/v1/orders",
            {"lines": [{"license_type": "SP3", "product": product, "quantity": QUANTITY}]},
            token=vendor,
        ),
        201,
    )
    number = order["id"]
    expect("invoice", call("POST", f"/v1/orders/{number}/invoice", {}, staff), 200, 201)
    # A bank transfer that staff record against the invoice (the amount defaults to it).
    payment = {"method": "transfer", "reference": f"BENCH-{uuid.uuid4().hex[:16]}"}
    expect(
        "payment",
        call("POST", f"/v1/orders/{number}/payments", payment, staff),
        200,
        201,
    )
    serials = expect("serials", call("GET", f"/v1/orders/{number}/serials", token=vendor), 200)
    listed = serials.get("serials", serials) if isinstance(serials, dict) else serials
    if len(listed) != QUANTITY:
        raise FlowError(f"the order issued {len(listed)} serials, not {QUANTITY}")
    return 6


def demo_accounts(database_url: str, data_dir: str) -> dict[str, Any]:
    """Creates a staff user, a vendor and a product with the server's own demo command."""
    completed = subprocess.run(
        [sys.executable, "-m", "activation_server", "demo", "--json"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "ACTIVATION_DATABASE_URL": database_url,
            "ACTIVATION_DATA_DIR": data_dir,
            "ACTIVATION_LOG_LEVEL": "WARNING",
        },
        timeout=120,
        check=True,
    )
    return dict(json.loads(completed.stdout))


def run(
    base_url: str, accounts: dict[str, Any] | None, *, seconds: float, users: int = 4
) -> dict[str, Any]:
    status, _ = call(base_url, "GET", "/v1/price-list")
    if status == 404:
        return {"skipped": "the server has no vendor API: GET /v1/price-list answered 404"}
    if accounts is None or "vendor" not in accounts or "staff" not in accounts:
        return {"skipped": "no vendor and staff accounts (activation-server demo --json)"}
    try:
        vendor = token(base_url, accounts["vendor"])
        staff = token(base_url, accounts["staff"])
    except FlowError as error:
        return {"skipped": f"cannot sign in: {error}"}
    deadline = time.monotonic() + seconds
    started = time.monotonic()

    def user() -> tuple[int, int]:
        orders = requests = 0
        while time.monotonic() < deadline:
            requests += order_once(
                functools.partial(call, base_url), vendor, staff, accounts["product"]
            )
            orders += 1
        return orders, requests

    try:
        with ThreadPoolExecutor(users) as executor:
            results = list(executor.map(lambda _: user(), range(users)))
    except FlowError as error:
        return {"failed": str(error)}
    elapsed = time.monotonic() - started
    orders = sum(o for o, _ in results)
    return {
        "orders": orders,
        "requests": sum(r for _, r in results),
        "seconds": elapsed,
        "rate": orders / elapsed,
    }
