"""Schemathesis against the served OpenAPI document: over 5 000 generated requests, valid and
invalid, over every documented operation, as staff, as a vendor and with no token. Every check
of schemathesis (``--checks all``) but one: not one 5xx, every answer (status, content type,
headers, body, Allow) as the document says, and no request accepted that the document says is
invalid (a null where a string is required, an empty query value, a missing field).

The one left out is ``positive_data_acceptance`` (every request that the document allows is
accepted): the document cannot say all that a request must be, such as a serial's check
symbol or the fields that go together, so schema-valid requests are rightly refused with 400.

The server is the whole service on a loopback port with generous abuse limits, so generated
requests reach the handlers instead of stopping at the limiters (which other tests prove).
"""

from __future__ import annotations

import os
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

EXAMPLES_PER_OPERATION = 130
MINIMUM_REQUESTS = 5000
# FUZZ_TAGS=orders,balances: only the operations of these tags, for a quick local run over one
# part of the API (the request count's floor is then not checked). Unset: every operation.
ONLY_TAGS = frozenset(tag for tag in os.environ.get("FUZZ_TAGS", "").split(",") if tag)


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


# What schemathesis expects by default of an invalid request.
REFUSALS = [400, 401, 403, 404, 405, 406, 409, 415, 422, 428, 429]


def _mutates_header(case: Any) -> bool:
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    locations = [mutation.parameter_location for mutation in getattr(data, "mutations", ())]
    locations.append(getattr(data, "parameter_location", None))
    return any(location is not None and location.value == "header" for location in locations)


# About 110 s on a quiet 2-core machine; the bound leaves room for a machine busy with more.
@pytest.mark.timeout(900)
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
    from schemathesis.config import SchemathesisConfig

    base = fuzz_server.url
    # Some serials and a product, so that generated requests sometimes hit real rows.
    for kind in ("SP1", "SP3", "TRIAL30K"):
        fuzz_server.make_serial(kind, product="ACME")
    staff = {"Authorization": "Bearer " + _token(fuzz_server, "staff@fuzz.example", "staff")}
    vendor = {"Authorization": "Bearer " + _token(fuzz_server, "vendor@fuzz.example", "vendor")}
    identities: list[dict[str, str]] = [staff, vendor, {}]

    document = requests.get(base + "/v1/openapi.json", timeout=30).json()
    config = SchemathesisConfig.from_dict(
        # A body over the size limit is refused with 413: a refusal like 400.
        {"checks": {"negative_data_rejection": {"expected-statuses": [*REFUSALS, 413]}}}
    )
    schema = schemathesis.openapi.from_dict(document, config=config)
    excluded = [checks.positive_data_acceptance]
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    examples: dict[str, str] = {}
    operations = 0
    session = requests.Session()
    calls = 0
    # What is being exercised, for the failure report (read by the generated test).
    current = {"operation": "", "mode": ""}

    for result in schema.get_all_operations():
        operation = result.ok()
        if ONLY_TAGS and not ONLY_TAGS.intersection(operation.tags or ()):
            continue
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
                # A case that breaks the Authorization header on purpose is sent as generated.
                headers = {} if _mutates_header(case) else identities[calls % len(identities)]
                if headers is staff and current["operation"].endswith("/disable"):
                    # Staff could disable the fuzzing vendor and leave the rest of the run
                    # to 401s; the vendor may disable only colleagues it invited.
                    headers = vendor
                response = case.call(base_url=base, session=session, headers=headers, timeout=30)
                statuses[response.status_code] += 1
                try:
                    case.validate_response(response, headers=headers, excluded_checks=excluded)
                except (AssertionError, BaseExceptionGroup) as exc:
                    # Every failed check is collected and reported together at the end.
                    found = getattr(exc, "exceptions", [exc])
                    for failure in found:
                        title = str(failure).strip().splitlines()[0]
                        key = (
                            f"{current['operation']} [{current['mode']}] -> "
                            f"{response.status_code}: {title}"
                        )
                        if key not in failures:
                            failures.append(key)
                            examples[key] = (
                                f"{failure}\n{case.as_curl_command()}\n{response.text[:300]}"
                            )

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
    assert not failures, f"{len(failures)} distinct failures:\n\n" + "\n\n".join(
        f"{key}\n{examples[key]}" for key in failures[:60]
    )
    assert ONLY_TAGS or total >= MINIMUM_REQUESTS, summary
    assert not any(status >= 500 for status in statuses), summary
