"""Schemathesis against the served OpenAPI document: thousands of generated requests, valid and
invalid, over every documented operation, as staff, as a vendor and with no token. Not one 5xx,
and every answer (status, content type, headers, body) as the document says.

The server is the whole service on a loopback port with generous abuse limits, so generated
requests reach the handlers instead of stopping at the limiters (which other tests prove).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import (
    PASSWORD,
    LiveServer,
    require,
    running_server,
)

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 60
MINIMUM_REQUESTS = 2000


@pytest.fixture
def fuzz_server(tmp_path: Path, pg_admin_url: str, template_database: str) -> Iterator[LiveServer]:
    with running_server(
        tmp_path / "server",
        pg_admin_url,
        template_database,
        rate_limit_failures=10**6,
        login_rate_limit=10**6,
    ) as server:
        yield server


def _token(server: LiveServer, email: str, role: str) -> str:
    from vendor_portal.accounts import service as accounts
    from vendor_portal.accounts.passwords import Passwords
    from vendor_portal.actor import system_actor

    async def create() -> None:
        from activation_server.appkeys import DB_POOL

        await accounts.create_user(
            server.app[DB_POOL],
            Passwords.from_settings(server.settings),
            system_actor("test"),
            email=email,
            password=PASSWORD,
            role=role,
            company="Fuzz Vendor" if role == "vendor" else None,
        )

    server.run(create())
    answer = requests.post(
        server.url + "/v1/auth/token", json={"email": email, "password": PASSWORD}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_generated_requests_over_every_operation_answer_as_documented(
    fuzz_server: LiveServer,
) -> None:
    try:
        import schemathesis
        from hypothesis import HealthCheck, given, settings
        from hypothesis.errors import Unsatisfiable
        from schemathesis import GenerationMode
        from schemathesis.specs.openapi import checks
    except ImportError:
        require(False, "schemathesis is not installed (pip install -e '.[dev]')")
        return
    from schemathesis.checks import not_a_server_error

    base = fuzz_server.url
    # Some serials and a product, so that generated requests sometimes hit real rows.
    for kind in ("SP1", "SP3", "TRIAL30K"):
        fuzz_server.make_serial(kind, product="ACME")
    staff = {"Authorization": "Bearer " + _token(fuzz_server, "staff@fuzz.example", "staff")}
    vendor = {"Authorization": "Bearer " + _token(fuzz_server, "vendor@fuzz.example", "vendor")}
    identities: list[dict[str, str]] = [staff, vendor, {}]

    document = requests.get(base + "/v1/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(document)
    selected = [
        checks.status_code_conformance,
        checks.content_type_conformance,
        checks.response_headers_conformance,
        checks.response_schema_conformance,
        not_a_server_error,
    ]
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    operations = 0
    session = requests.Session()
    calls = 0
    # What is being exercised, for the failure report (read by the generated test).
    current = {"operation": "", "mode": ""}

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        label = f"{operation.method.upper()} {operation.path}"

        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            current.update(operation=label, mode=mode.value)

            @settings(
                max_examples=EXAMPLES_PER_OPERATION // 2,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def exercise(case: Any) -> None:
                nonlocal calls
                calls += 1
                headers = identities[calls % len(identities)]
                response = case.call(base_url=base, session=session, headers=headers, timeout=30)
                statuses[response.status_code] += 1
                try:
                    case.validate_response(response, checks=selected, headers=headers)
                except (AssertionError, BaseExceptionGroup) as exc:
                    # Every failed check is collected and reported together at the end.
                    found = getattr(exc, "exceptions", [exc])
                    for failure in found:
                        key = (
                            f"{current['operation']} [{current['mode']}] -> "
                            f"{response.status_code}: {failure}"
                        )
                        if key not in failures:
                            failures.append(key)

            try:
                exercise()
            except Unsatisfiable:
                # Nothing to make invalid (an operation without parameters or body).
                assert mode is GenerationMode.NEGATIVE, label

    total = sum(statuses.values())
    summary = (
        f"{total} requests over {operations} operations, statuses {dict(sorted(statuses.items()))}"
    )
    print("\nschemathesis: " + summary)
    assert not failures, f"{len(failures)} distinct failures:\n\n" + "\n\n".join(failures[:40])
    assert total >= MINIMUM_REQUESTS, summary
    assert not any(status >= 500 for status in statuses), summary
