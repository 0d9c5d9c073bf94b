"""The access log holds its lines briefly and writes them together, none lost or reordered."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp.test_utils import make_mocked_request

from activation_server.accesslog import FLUSH_SECONDS, MAX_HELD, AccessLog


async def test_lines_are_written_together_soon_and_in_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = AccessLog()
    log.enable()
    request = make_mocked_request("POST", "/v1/validations")
    for number in range(3):
        log.record(request, f"id-{number}", "/v1/validations", 200, 0.001)
    assert capsys.readouterr().out == ""  # held, not yet written
    await asyncio.sleep(FLUSH_SECONDS * 2)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["request_id"] for line in lines] == ["id-0", "id-1", "id-2"]
    assert lines[0]["route"] == "/v1/validations" and lines[0]["status"] == 200


async def test_a_full_hold_is_written_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    log = AccessLog()
    log.enable()
    request = make_mocked_request("GET", "/v1/health")
    for number in range(MAX_HELD + 1):
        log.record(request, f"id-{number}", "/v1/health", 200, 0.001)
    written = capsys.readouterr().out.splitlines()
    assert len(written) == MAX_HELD
    log.flush()
    assert [json.loads(line)["request_id"] for line in capsys.readouterr().out.splitlines()] == [
        f"id-{MAX_HELD}"
    ]
