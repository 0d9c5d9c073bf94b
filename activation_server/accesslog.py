"""The access log: one JSON line per request on standard output (fields in docs/deployment.md).

Lines are held and written to ``sys.stdout`` together at most ``FLUSH_SECONDS`` later (at once
when ``MAX_HELD`` are waiting), as a web server's buffered access log is: one write for many
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
# Lines held at most; more are written at once.
MAX_HELD = 256

_encode = msgspec.json.Encoder().encode


class AccessLog:
    """Off until :meth:`enable` (the server's start-up does it unless ``access_log`` is off)."""

    def __init__(self) -> None:
        self.enabled = False
        self._flush_due = False
        self._lines: list[str] = []

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
        lines = self._lines
        lines.append(line.decode())
        if len(lines) >= MAX_HELD:
            self.flush()
        elif not self._flush_due:
            self._flush_due = True
            try:
                asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)
            except RuntimeError:  # no event loop (a direct call): written at once
                self.flush()

    def flush(self) -> None:
        """Writes the lines held, in one write (``PYTHONUNBUFFERED`` or not)."""
        self._flush_due = False
        if not self._lines:
            return
        text = "\n".join(self._lines) + "\n"
        self._lines.clear()
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except (OSError, ValueError):  # standard output closed: the answers matter more
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
    masked = _MASKED.intersection(info)
    if not masked:
        return request.path
    path = request.path
    for name in masked:
        value = info[name]
        path = path.replace(value, value.split("-")[0][:6] + "-…")
    return path
