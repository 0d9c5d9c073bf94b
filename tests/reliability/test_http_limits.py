"""What the HTTP layer does with awkward clients: bodies over the limit are refused with 413
before anything is parsed; bodies split over many packets are read whole; clients that send
their body or their headers too slowly are cut off, and they do not slow anybody else down."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import (
    LiveServer,
    fingerprint,
    running_server,
)
from tests.reliability.servers import ServerProcess

LIMIT = 64 * 1024
POST_PATHS = [
    "/v1/activations",
    "/v1/offline-activations",
    "/v1/validations",
    "/v1/deactivations",
    "/v1/auth/token",
]


@pytest.fixture
def quick_server(tmp_path: Path, pg_admin_url: str, template_database: str) -> Iterator[LiveServer]:
    """The whole service with a one-second allowance for slow bodies."""
    with running_server(
        tmp_path / "server",
        pg_admin_url,
        template_database,
        pool_max_size=4,
        client_timeout_seconds=1.0,
    ) as server:
        yield server


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _raw_exchange(
    port: int, parts: list[bytes], pause: float = 0.0, timeout: float = 10.0
) -> bytes:
    """Sends ``parts`` with ``pause`` seconds between them; returns the first answer, read as far
    as its Content-Length (the server may keep reading a refused body for a while)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        for index, part in enumerate(parts):
            if index and pause:
                time.sleep(pause)
            try:
                connection.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break
        answer = b""
        try:
            while chunk := connection.recv(65536):
                answer += chunk
                head, separator, body = answer.partition(b"\r\n\r\n")
                if separator:
                    length = _content_length(head)
                    if length is not None and len(body) >= length:
                        break
        except ConnectionResetError:
            pass
        return answer


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return None


def _head(path: str, length: int | None, extra: str = "") -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def _error_code(answer: bytes) -> str:
    body = answer.split(b"\r\n\r\n", 1)[1]
    return str(json.loads(body)["error"]["code"])


@pytest.mark.parametrize("path", POST_PATHS)
def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(
    live_server: LiveServer, path: str
) -> None:
    started = time.monotonic()
    # The body never comes: the answer must not wait for it.
    answer = _raw_exchange(_port(live_server.url), [_head(path, 50 * 1024 * 1024)], timeout=5)
    assert _status(answer) == 413, answer[:200]
    assert _error_code(answer) == "PAYLOAD_TOO_LARGE"
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("path", POST_PATHS)
def test_a_chunked_body_over_the_limit_is_refused_without_being_parsed(
    live_server: LiveServer, path: str
) -> None:
    # Not JSON at all: a parser that ran first would answer 400, not 413.
    chunk = b"{" * 16384
    framed = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(6)) + b"0\r\n\r\n"
    head = _head(path, None, "Transfer-Encoding: chunked\r\n")
    answer = _raw_exchange(_port(live_server.url), [head, framed])
    assert _status(answer) == 413, answer[:200]


def test_a_body_arriving_in_many_small_packets_is_read_whole(live_server: LiveServer) -> None:
    serial = live_server.make_serial("SP3")
    body = json.dumps(
        {"serial": serial, "fingerprint": fingerprint("packets"), "client": {"pad": "x" * 1500}}
    ).encode()
    parts = [_head("/v1/activations", len(body))] + [
        body[i : i + 200] for i in range(0, len(body), 200)
    ]
    answer = _raw_exchange(_port(live_server.url), parts, pause=0.02)
    assert _status(answer) == 201, answer[:400]


def test_a_body_sent_too_slowly_is_cut_off_with_408(quick_server: LiveServer) -> None:
    serial = quick_server.make_serial("SP3")
    body = json.dumps({"serial": serial, "fingerprint": fingerprint("slow")}).encode()
    started = time.monotonic()
    # Ten bytes of the body, then nothing: the rest would come far too late.
    answer = _raw_exchange(
        _port(quick_server.url), [_head("/v1/activations", len(body)) + body[:10]], timeout=5
    )
    assert _status(answer) == 408, answer[:300]
    assert _error_code(answer) == "REQUEST_TIMEOUT"
    assert time.monotonic() - started < 2.5


async def _trickle(port: int, stop_at: float) -> float | None:
    """A slowloris connection: headers one byte every 200 ms. Returns when the server closed
    it (seconds after opening), or None when it was still open at ``stop_at``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    opened = time.monotonic()
    header = b"POST /v1/activations HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 4000
    try:
        for byte in header:
            if time.monotonic() > stop_at:
                return None
            writer.write(bytes([byte]))
            try:
                await writer.drain()
                closed = await asyncio.wait_for(reader.read(1024), timeout=0.2)
            except TimeoutError:
                continue
            except (ConnectionResetError, BrokenPipeError):
                return time.monotonic() - opened
            if closed == b"" or closed:
                return time.monotonic() - opened
        return None
    finally:
        writer.close()


@pytest.mark.slow
async def test_slowloris_connections_are_closed_and_do_not_starve_other_clients(
    tmp_path: Path, database_url: str
) -> None:
    timeout = 2.0
    server = ServerProcess(
        tmp_path / "server",
        database_url,
        workers=2,
        env={"ACTIVATION_CLIENT_TIMEOUT_SECONDS": str(timeout)},
    ).start()
    try:
        port = server.port
        stop_at = time.monotonic() + 15
        trickles = [asyncio.create_task(_trickle(port, stop_at)) for _ in range(300)]
        await asyncio.sleep(0.5)
        latencies: list[float] = []
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                started = time.monotonic()
                async with session.get(server.url + "/v1/keys") as answer:
                    assert answer.status == 200
                latencies.append(time.monotonic() - started)
        closed_after = await asyncio.gather(*trickles)
    finally:
        server.stop()
    still_open = [c for c in closed_after if c is None]
    assert still_open == [], f"{len(still_open)} slow connections were never closed"
    assert max(c for c in closed_after if c is not None) < timeout + 2.0
    latencies.sort()
    assert latencies[94] < 0.5, f"p95 {latencies[94]:.3f} s while slow clients held connections"
    print(
        f"\nslowloris: 300 slow connections closed after at most "
        f"{max(c for c in closed_after if c is not None):.1f} s; 100 other requests, "
        f"p95 {latencies[94] * 1000:.1f} ms"
    )
