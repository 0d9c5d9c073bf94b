"""JSON over HTTP(S) with the standard library: TLS verification, timeouts, careful retries.

Only requests that are safe to repeat are retried. Every request the SDK sends is: an activation
from the same fingerprint returns the same activation instead of taking a second slot, a
validation and a key listing only read, and a second deactivation answers like the first. A
retry happens after a connection failure, a timeout, or a 502, 503 or 504 (a proxy or the server
saying "not now"); never after another 4xx or 5xx, which would only be refused again. The pause
grows exponentially with full jitter, so that many clients cut off by one outage do not come back
in step; a 503's ``Retry-After`` is honoured up to a cap.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import random
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any

RETRY_STATUSES = frozenset({502, 503, 504})
MAX_BODY_BYTES = 1 << 20  # answers are small; a larger one is not the activation API


class TransportError(Exception):
    """The request could not be completed (no answer), even after the retries allowed."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The decoded JSON body; raises ValueError when it is not JSON."""
        return json.loads(self.body.decode("utf-8"))

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers.get("Retry-After"))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # Following a redirect could turn a POST into a GET or https into http; the activation API
    # never redirects, so a redirect is reported as the answer it is.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Transport:
    """Sends JSON requests to one base URL."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_retry_after: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        user_agent: str = "client_sdk",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"the server URL must be http:// or https://, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.user_agent = user_agent
        self._sleep = sleep
        self._ssl_context = ssl_context
        self._opener: urllib.request.OpenerDirector | None = None

    @property
    def opener(self) -> urllib.request.OpenerDirector:
        # Built on first use: loading the system's CA certificates takes tens of milliseconds,
        # which an application that only checks its license offline should not pay at start-up.
        if self._opener is None:
            # create_default_context() verifies the certificate and the host name.
            context = self._ssl_context or ssl.create_default_context()
            self._opener = urllib.request.build_opener(
                _NoRedirect(), urllib.request.HTTPSHandler(context=context)
            )
        return self._opener

    def get(self, path: str) -> Response:
        return self.request("GET", path, idempotent=True)

    def post(self, path: str, body: Mapping[str, Any], *, idempotent: bool) -> Response:
        return self.request("POST", path, body, idempotent=idempotent)

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        idempotent: bool,
    ) -> Response:
        """The server's answer, whatever its status; TransportError when there was none."""
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        attempts = 1 + (self.retries if idempotent else 0)
        last_error: Exception | None = None
        for attempt in range(attempts):
            if attempt:
                self._sleep(self._pause(attempt, last_error))
            try:
                response = self._send(method, path, data)
            except TransportError as error:
                if not error.retryable:
                    raise
                last_error = error
                continue
            if response.status in RETRY_STATUSES and attempt + 1 < attempts:
                last_error = _RetryableStatus(response)
                continue
            return response
        if isinstance(last_error, _RetryableStatus):
            return last_error.response
        assert last_error is not None
        raise last_error

    def _pause(self, attempt: int, error: Exception | None) -> float:
        if isinstance(error, _RetryableStatus) and error.response.status == 503:
            retry_after = error.response.retry_after
            if retry_after is not None:
                return min(retry_after, self.max_retry_after)
        ceiling = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)  # noqa: S311 - jitter, not a secret

    def _send(self, method: str, path: str, data: bytes | None) -> Response:
        headers = {"Accept": "application/json", "User-Agent": self.user_agent}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            try:
                answer = self.opener.open(request, timeout=self.timeout)
            except urllib.error.HTTPError as refusal:
                # urllib raises for every non-2xx status; to us it is an answer like any other.
                answer = refusal
            with answer:
                return Response(answer.code, dict(answer.headers), _read(answer))
        except ssl.SSLCertVerificationError as error:
            # Asking again cannot make an untrusted certificate trusted.
            raise TransportError(
                f"the server's certificate is not trusted: {error.verify_message}",
                retryable=False,
            ) from error
        except urllib.error.URLError as error:
            if isinstance(error.reason, ssl.SSLCertVerificationError):
                raise TransportError(
                    f"the server's certificate is not trusted: {error.reason.verify_message}",
                    retryable=False,
                ) from error
            raise TransportError(f"cannot reach {self.base_url}: {error.reason}") from error
        except TimeoutError as error:
            raise TransportError(f"{self.base_url} did not answer in time") from error
        except (OSError, http.client.HTTPException) as error:
            raise TransportError(f"the connection to {self.base_url} failed: {error}") from error


class _RetryableStatus(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _read(answer: Any) -> bytes:
    body: bytes = answer.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise TransportError(
            "the server's answer is too large to be the activation API", retryable=False
        )
    return body
