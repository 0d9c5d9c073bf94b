"""The access log: one JSON line per request on standard output (fields in docs/deployment.md).

Lines are written to ``sys.stdout`` as they come and flushed together at most ``FLUSH_SECONDS``
later (or when its buffer fills), as a web server's buffered access log is: one write for many
requests instead of a write and a flush each, and no ``logging`` record per request (the two
took about a tenth of a worker's time under validations). A worker that stops flushes what it
holds; one killed outright loses at most its last ``FLUSH_SECONDS`` of lines. The diagnostics
(``logging``, on standard error) are not affected.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import time

import msgspec
from aiohttp import web

# Path parameters that are secrets of a customer: logged by their first group only.
_MASKED = frozenset({"serial"})
FLUSH_SECONDS = 0.2

_encode = msgspec.json.Encoder().encode


class AccessLog:
    """Off until :meth:`enable` (the server's start-up does it unless ``access_log`` is off)."""

    def __init__(self) -> None:
        self.enabled = False
        self._flush_due = False

    def enable(self, enabled: bool = True) -> None:
        self.enabled = enabled

    def record(
        self, request: web.Request, request_id: str, route: str, status: int, seconds: float
    ) -> None:
        line = _encode(
            {
                "ts": _timestamp(int(time.time())),
                "request_id": request_id,
                "method": request.method,
                "route": route,
                "path": _logged_path(request, route),
                "status": status,
                "ms": round(seconds * 1000, 2),
                "client": request.remote,
            }
        )
        try:
            sys.stdout.write(line.decode() + "\n")
        except (OSError, ValueError):  # standard output closed: the answer matters more
            return
        if not self._flush_due:
            self._flush_due = True
            try:
                asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)
            except RuntimeError:  # no event loop (a direct call): written at once
                self.flush()

    def flush(self) -> None:
        self._flush_due = False
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            pass


ACCESS_LOG = AccessLog()


@functools.lru_cache(maxsize=4)
def _timestamp(second: int) -> str:
    # Written once a second, not once a request.
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))


def _logged_path(request: web.Request, route: str) -> str:
    """The path without its query string, and with a serial cut to its first group."""
    if route == "unmatched":
        return request.path[:200]
    info = request.match_info
    if not _MASKED.intersection(info):
        return request.path
    path = request.path
    for name in _MASKED.intersection(info):
        value = info[name]
        path = path.replace(value, value.split("-")[0][:6] + "-…")
    return path
