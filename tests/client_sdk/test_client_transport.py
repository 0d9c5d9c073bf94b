"""HTTP for the SDK (client_sdk.transport): what is retried, how long it waits, TLS.

Against a real HTTP server on loopback that answers what each test scripts.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from client_sdk.transport import Transport, TransportError, parse_retry_after
from tests.client_sdk.sdk_helpers import FakeServer, Recorded, Reply, serve


class Sleeps(list[float]):
    """Records the pauses instead of taking them, so retry tests run in milliseconds."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def transport(url: str, sleeps: Sleeps, **options: float) -> Transport:
    return Transport(url, sleep=sleeps, **options)  # type: ignore[arg-type]


def scripted(*replies: Reply) -> list[Reply]:
    return list(replies)


def answer_in_turn(server: FakeServer, replies: list[Reply]) -> None:
    def handler(request: Recorded) -> Reply:
        return replies.pop(0) if len(replies) > 1 else replies[0]

    server.handler = handler


UNAVAILABLE = {"error": {"code": "SERVICE_UNAVAILABLE", "message": "database unreachable"}}


def test_success_is_returned_at_once(fake_server: FakeServer) -> None:
    answer_in_turn(fake_server, [(200, {"ok": True})])
    sleeps = Sleeps()
    response = transport(fake_server.url, sleeps).post("/v1/x", {"a": 1}, idempotent=True)
    assert response.status == 200 and response.json() == {"ok": True}
    assert sleeps == []
    request = fake_server.requests[0]
    assert request.body == {"a": 1}
    assert request.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_and_unavailable_answers_are_retried(fake_server: FakeServer, status: int) -> None:
    answer_in_turn(fake_server, [(status, UNAVAILABLE), (status, UNAVAILABLE), (200, {})])
    sleeps = Sleeps()
    response = transport(fake_server.url, sleeps, backoff=0.5).post("/x", {}, idempotent=True)
    assert response.status == 200
    assert len(fake_server.requests) == 3
    # Full jitter: each pause is somewhere below its doubling ceiling.
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0


def test_jitter_spreads_the_pauses() -> None:
    pauses = {Transport("http://127.0.0.1:9", backoff=1.0)._pause(3, None) for _ in range(50)}
    assert len(pauses) > 40
    assert all(0 <= pause <= 4.0 for pause in pauses)


def test_backoff_has_a_ceiling() -> None:
    client = Transport("http://127.0.0.1:9", backoff=1.0, max_backoff=2.0)
    assert all(client._pause(10, None) <= 2.0 for _ in range(50))


def test_the_last_answer_is_returned_when_retries_run_out(fake_server: FakeServer) -> None:
    answer_in_turn(fake_server, [(503, UNAVAILABLE)])
    sleeps = Sleeps()
    response = transport(fake_server.url, sleeps, retries=2).post("/x", {}, idempotent=True)
    assert response.status == 503
    assert len(fake_server.requests) == 3


def test_retry_after_is_honoured(fake_server: FakeServer) -> None:
    answer_in_turn(fake_server, [(503, UNAVAILABLE, {"Retry-After": "7"}), (200, {})])
    sleeps = Sleeps()
    transport(fake_server.url, sleeps).post("/x", {}, idempotent=True)
    assert sleeps == [7.0]


def test_retry_after_is_capped(fake_server: FakeServer) -> None:
    answer_in_turn(fake_server, [(503, UNAVAILABLE, {"Retry-After": "3600"}), (200, {})])
    sleeps = Sleeps()
    transport(fake_server.url, sleeps, max_retry_after=20).post("/x", {}, idempotent=True)
    assert sleeps == [20.0]


@pytest.mark.parametrize("status", [400, 403, 404, 409, 429, 500])
def test_other_refusals_are_never_retried(fake_server: FakeServer, status: int) -> None:
    answer_in_turn(fake_server, [(status, {"error": {"code": "X", "message": "no"}}), (200, {})])
    sleeps = Sleeps()
    response = transport(fake_server.url, sleeps).post("/x", {}, idempotent=True)
    assert response.status == status
    assert len(fake_server.requests) == 1 and sleeps == []


def test_requests_not_safe_to_repeat_are_sent_once(fake_server: FakeServer) -> None:
    answer_in_turn(fake_server, [(503, UNAVAILABLE), (200, {})])
    sleeps = Sleeps()
    response = transport(fake_server.url, sleeps).post("/x", {}, idempotent=False)
    assert response.status == 503
    assert len(fake_server.requests) == 1


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_connection_refused_is_retried_then_reported() -> None:
    sleeps = Sleeps()
    client = transport(f"http://127.0.0.1:{closed_port()}", sleeps, retries=3)
    with pytest.raises(TransportError, match="cannot reach"):
        client.get("/v1/keys")
    assert len(sleeps) == 3


def test_a_silent_server_times_out_and_is_retried(fake_server: FakeServer) -> None:
    answer_in_turn(fake_server, [(200, {})])
    fake_server.delay = 0.5
    sleeps = Sleeps()
    client = transport(fake_server.url, sleeps, timeout=0.1, retries=1)
    started = time.monotonic()
    with pytest.raises(TransportError):
        client.get("/slow")
    assert time.monotonic() - started < 2
    assert len(fake_server.requests) == 2


def test_redirects_are_not_followed(fake_server: FakeServer) -> None:
    answer_in_turn(fake_server, [(302, {}, {"Location": "http://example.invalid/"})])
    response = transport(fake_server.url, Sleeps()).post("/x", {}, idempotent=True)
    assert response.status == 302
    assert len(fake_server.requests) == 1


def test_oversized_answers_are_refused(fake_server: FakeServer) -> None:
    answer_in_turn(fake_server, [(200, b"x" * (2 << 20))])
    with pytest.raises(TransportError, match="too large"):
        transport(fake_server.url, Sleeps()).get("/big")
    assert len(fake_server.requests) == 1


@pytest.mark.parametrize("url", ["ftp://host/", "file:///etc/passwd", "127.0.0.1:8080", "http://"])
def test_only_http_urls_are_accepted(url: str) -> None:
    with pytest.raises(ValueError):
        Transport(url)


def test_retry_after_as_a_date() -> None:
    now = time.time()
    later = email.utils.formatdate(now + 120, usegmt=True)
    assert parse_retry_after(later, now=now) == pytest.approx(120, abs=1)
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


# -- TLS ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: trusted only where a test says so."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[FakeServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with serve(FakeServer(url=""), ssl_context=context) as server:
        answer_in_turn(server, [(200, {"ok": True})])
        yield server


def test_an_untrusted_certificate_is_refused_without_retrying(tls_server: FakeServer) -> None:
    sleeps = Sleeps()
    with pytest.raises(TransportError, match="not trusted") as caught:
        transport(tls_server.url, sleeps).get("/v1/keys")
    assert not caught.value.retryable
    assert sleeps == []


def test_a_certificate_trusted_by_the_application_is_accepted(
    tls_server: FakeServer, certificate: tuple[Path, Path]
) -> None:
    context = ssl.create_default_context(cafile=str(certificate[0]))
    client = Transport(tls_server.url, ssl_context=context)
    assert client.get("/v1/keys").json() == {"ok": True}
