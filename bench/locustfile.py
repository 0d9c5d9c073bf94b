"""Locust scenarios of the activation server, as users run them.

Seed first (``python -m bench.seed``, files in ``bench/results/data``; ``BENCH_DATA`` points
elsewhere), then, against a server on this machine:

    locust -f bench/locustfile.py --host http://127.0.0.1:8080                 # web UI on :8089
    locust -f bench/locustfile.py --host http://127.0.0.1:8080 --headless -u 200 -r 50 -t 1m
    locust -f bench/locustfile.py --host ... ColdActivation HotTrial           # some scenarios
    locust -f bench/locustfile.py --master --expect-workers 4 --host ...       # distributed
    locust -f bench/locustfile.py --worker --master-host 127.0.0.1             # × 4

Scenarios (user classes): ``ColdActivation`` (SP3 serials, three distinct machines each),
``HotTrial`` (one TRIAL100K serial, every activation a new machine), ``ReactivationStorm`` (the
same machines starting again), ``Validation`` (status checks by serial and fingerprint) and
``VendorOrdering`` (sign in, price list, order, invoice, pay, download the serials; it stops
with a message if the server has no vendor API). Cold and hot runs use up what they activate:
seed again before the next run, or its cold activations answer 409. One locust process
saturates near 2 000 requests per second: for more, run one worker per core; ``make bench``
uses wrk instead.
Load tests are for loopback or your own servers only.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import threading
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, between, constant, events, task
from locust.env import Environment
from locust.exception import StopUser

from bench import vendorflow

DATA = Path(os.environ.get("BENCH_DATA", Path(__file__).parent / "results" / "data"))
CLIENT = {"app": "bench-locust", "version": "1.0", "os": "linux"}
MACHINES_PER_SERIAL = 3


class Inputs:
    """The seeder's files, read once per process; each process walks its own shuffled order so
    that the workers of a distributed run rarely share a serial."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loaded = False
        self.sp3: list[str] = []
        self.trial = ""
        self.machines: list[tuple[str, str]] = []
        self._cold: Any = iter(())
        self._machines: Any = iter(())

    def load(self, worker_index: int) -> None:
        with self.lock:
            if self.loaded:
                return
            rng = random.Random(worker_index)
            self.sp3 = _lines(DATA / "sp3.txt")
            rng.shuffle(self.sp3)
            trials = _lines(DATA / "trial.txt")
            self.trial = trials[worker_index % len(trials)] if trials else ""
            self.machines = [
                (pair.split()[0], pair.split()[1]) for pair in _lines(DATA / "machines.txt")
            ]
            rng.shuffle(self.machines)
            self._cold = iter(
                (serial, slot) for serial in self.sp3 for slot in range(MACHINES_PER_SERIAL)
            )
            self._machines = itertools.cycle(self.machines) if self.machines else iter(())
            self.loaded = True

    def cold(self) -> str | None:
        with self.lock:
            return next(self._cold, (None, 0))[0]

    def known_machine(self) -> tuple[str, str] | None:
        with self.lock:
            return next(self._machines, None)


def _lines(path: Path) -> list[str]:
    try:
        return [line for line in path.read_text().splitlines() if line.strip()]
    except FileNotFoundError:
        return []


INPUTS = Inputs()


def _worker_index(environment: Environment) -> int:
    return int(getattr(environment.runner, "worker_index", 0) or 0)


@events.test_start.add_listener  # type: ignore[untyped-decorator]
def _load_inputs(environment: Environment, **_: Any) -> None:
    INPUTS.load(_worker_index(environment))


def new_machine() -> str:
    return uuid.uuid4().hex + uuid.uuid4().hex


class ActivationUser(HttpUser):
    abstract = True
    wait_time = constant(0)

    def on_start(self) -> None:
        INPUTS.load(_worker_index(self.environment))

    def activate(self, serial: str, fingerprint: str, name: str, expect: int) -> None:
        body = {"serial": serial, "fingerprint": fingerprint, "product": "BENCH", "client": CLIENT}
        with self.client.post(
            "/v1/activations", json=body, name=name, catch_response=True
        ) as response:
            if response.status_code != expect:
                response.failure(f"expected {expect}, got {response.status_code}")


class ColdActivation(ActivationUser):
    """New machines on SP3 serials: three slots per serial, then the next serial."""

    @task
    def cold(self) -> None:
        serial = INPUTS.cold()
        if serial is None:
            self.environment.runner.quit()
            return
        self.activate(serial, new_machine(), "activation (cold)", 201)


class HotTrial(ActivationUser):
    """A launch day: every machine takes a slot of the one public trial serial."""

    @task
    def hot(self) -> None:
        self.activate(INPUTS.trial, new_machine(), "activation (hot trial)", 201)


class ReactivationStorm(ActivationUser):
    """Machines that already hold an activation start the program again."""

    @task
    def again(self) -> None:
        machine = INPUTS.known_machine()
        if machine is not None:
            self.activate(*machine, "activation (again)", 200)


class Validation(ActivationUser):
    @task
    def validate(self) -> None:
        machine = INPUTS.known_machine()
        if machine is None:
            return
        serial, fingerprint = machine
        with self.client.post(
            "/v1/validations",
            json={"serial": serial, "fingerprint": fingerprint},
            name="validation",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or not response.json().get("valid"):
                response.failure(f"not valid: {response.status_code} {response.text[:100]}")


class VendorOrdering(HttpUser):
    """A vendor orders serials; staff invoice and record the payment; the vendor downloads.

    Accounts come from ``BENCH_VENDOR_EMAIL``/``BENCH_VENDOR_PASSWORD`` and
    ``BENCH_STAFF_EMAIL``/``BENCH_STAFF_PASSWORD`` with ``BENCH_PRODUCT`` (the output of
    ``activation-server demo --json`` has them).
    """

    wait_time = between(0.5, 2.0)
    vendor = ""
    staff = ""

    def on_start(self) -> None:
        with self.client.get(
            "/v1/price-list", name="price list (probe)", catch_response=True
        ) as probe:
            # Only whether the vendor API exists matters here, not the answer to a stranger.
            probe.success()
        if probe.status_code == 404:
            print("VendorOrdering: the server has no vendor API (GET /v1/price-list is 404)")
            raise StopUser()
        missing = [
            name
            for name in ("BENCH_VENDOR_EMAIL", "BENCH_STAFF_EMAIL", "BENCH_PRODUCT")
            if not os.environ.get(name)
        ]
        if missing:
            print(f"VendorOrdering: set {', '.join(missing)} (see activation-server demo --json)")
            raise StopUser()
        self.vendor = self._token("VENDOR")
        self.staff = self._token("STAFF")

    def _token(self, role: str) -> str:
        answer = self.client.post(
            "/v1/auth/token",
            json={
                "email": os.environ.get(f"BENCH_{role}_EMAIL", ""),
                "password": os.environ.get(f"BENCH_{role}_PASSWORD", ""),
            },
            name="sign in",
        )
        if answer.status_code != 200:
            print(f"VendorOrdering: {role.lower()} sign-in answered {answer.status_code}")
            raise StopUser()
        return str(answer.json()["access_token"])

    @task
    def order(self) -> None:
        try:
            vendorflow.order_once(
                self._call, self.vendor, self.staff, os.environ.get("BENCH_PRODUCT", "")
            )
        except vendorflow.FlowError as error:
            print(f"VendorOrdering: {error}")

    def _call(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # Order ids in paths would make one statistics row each: name the route instead.
        name = re.sub(r"^/v1/orders/[^/]+", "/v1/orders/{id}", path)
        answer = self.client.request(method, path, json=body, headers=headers, name=name)
        try:
            return answer.status_code, answer.json()
        except ValueError:
            return answer.status_code, answer.text
