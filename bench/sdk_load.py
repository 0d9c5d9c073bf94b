"""The cost of ``Client.load()``: verifying the stored license offline, as at every start.

    python -m bench.sdk_load [--runs 7] [--number 2000]

Prints the median over ``runs`` of the mean time per call, in microseconds, for:

- ``load()`` with pinned keys (the recommended set-up) and with the JWKS cached beside the
  license (read from disk on the first call of each Client);
- a first ``load()`` on a new Client, as an application pays it once per start (key parsing and
  the fingerprint included; the fingerprint is given, so it measures the SDK, not /sys);
- reading this machine's hardware fingerprint (paid once per Client when not given);
- the Ed25519 signature check alone, the floor under all of these.

The license is signed locally with a fresh Ed25519 key, exactly as the server signs it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from client_sdk import Client
from client_sdk.fingerprint import FingerprintUnavailable, machine_fingerprint
from client_sdk.store import Store

PRODUCT = "ACME"
FINGERPRINT = "a1" * 32


def _jwks(key: Ed25519PrivateKey, kid: str) -> dict[str, object]:
    document = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    document.update({"kid": kid, "use": "sig", "alg": "EdDSA"})
    return {"keys": [document]}


def _license(key: Ed25519PrivateKey, kid: str) -> str:
    claims = {
        "iss": "bench",
        "sub": "7KQ2M-4X9PR-T3VW8-ANC5J",
        "aud": PRODUCT,
        "fp": FINGERPRINT,
        "aid": "5f0c6d1e-6a8b-4bd4-9d55-0d5f3c2b1a90",
        "typ": "full",
        "feat": ["export", "print", "reports"],
        "iat": int(time.time()),
    }
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})


def _median_us(function: Callable[[], object], runs: int, number: int) -> float:
    times = timeit.repeat(function, number=number, repeat=runs)
    return statistics.median(times) / number * 1e6


def _fingerprint_us(runs: int, number: int) -> float:
    try:
        machine_fingerprint()
    except FingerprintUnavailable:
        return float("nan")
    return _median_us(machine_fingerprint, runs, number)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--number", type=int, default=2000, help="calls per run")
    arguments = parser.parse_args(argv)
    runs, number = arguments.runs, arguments.number

    key, kid = Ed25519PrivateKey.generate(), "bench-key"
    jwks = _jwks(key, kid)
    token = _license(key, kid)

    with tempfile.TemporaryDirectory() as directory:
        pinned_store, cached_store = Path(directory) / "pinned", Path(directory) / "cached"
        pinned = Client(
            None, PRODUCT, store_path=pinned_store, public_keys=jwks, fingerprint=FINGERPRINT
        )
        pinned.install(token)
        cached = Client(None, PRODUCT, store_path=cached_store, fingerprint=FINGERPRINT)
        Store(cached_store).write_keys(jwks)
        cached.install(token)

        def first_load() -> None:
            Client(
                None, PRODUCT, store_path=pinned_store, public_keys=jwks, fingerprint=FINGERPRINT
            ).load()

        public, message = key.public_key(), b"x" * 400
        signature = key.sign(message)

        results = [
            ("load(), pinned keys", _median_us(pinned.load, runs, number)),
            ("load(), cached JWKS", _median_us(cached.load, runs, number)),
            ("new Client + first load()", _median_us(first_load, runs, max(1, number // 4))),
            ("hardware fingerprint read", _fingerprint_us(runs, max(1, number // 10))),
            (
                "Ed25519 verify alone",
                _median_us(lambda: public.verify(signature, message), runs, number),
            ),
        ]
    print(f"median of {runs} runs, {number} calls each (microseconds per call)")
    for name, micros in results:
        print(f"  {name:<28} {micros:8.1f} us")


if __name__ == "__main__":
    main()
