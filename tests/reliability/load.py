"""A small, bounded activation load for the chaos tests, and a record of what clients were told."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.conftest import fingerprint

INTERRUPTED = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, asyncio.TimeoutError)


@dataclass
class LoadRecord:
    """Everything the clients were told, so the database can be checked against it."""

    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    # activation id -> (serial, fingerprint) for every 2xx activation answer.
    granted: dict[str, tuple[str, str]] = field(default_factory=dict)
    # activation ids a 200 deactivation answer confirmed freed.
    freed: set[str] = field(default_factory=set)
    # activation ids whose deactivation was interrupted: either state is right afterwards.
    freed_unknown: set[str] = field(default_factory=set)
    licenses: dict[str, str] = field(default_factory=dict)
    interrupted: int = 0
    retried: int = 0
    requests: int = 0
    slowest: float = 0.0

    def note(self, status: int, body: Any, elapsed: float) -> None:
        self.requests += 1
        self.statuses[status] += 1
        self.slowest = max(self.slowest, elapsed)
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            self.codes[str(body["error"].get("code"))] += 1


async def post(
    session: aiohttp.ClientSession, url: str, body: dict[str, Any], timeout: float
) -> tuple[int, Any, float, Any]:
    started = time.monotonic()
    async with session.post(url, json=body, timeout=aiohttp.ClientTimeout(total=timeout)) as answer:
        payload = await answer.json(content_type=None)
        return answer.status, payload, time.monotonic() - started, answer.headers


async def activate_with_retries(
    session: aiohttp.ClientSession,
    base: str,
    record: LoadRecord,
    serial: str,
    machine: str,
    *,
    attempts: int = 6,
    timeout: float = 15.0,
) -> int | None:
    """One activation as a well-behaved client does it: retried, same fingerprint, when the
    connection breaks. Returns the final status, None when every attempt was interrupted."""
    for attempt in range(attempts):
        if attempt:
            record.retried += 1
            await asyncio.sleep(0.2 * attempt)
        try:
            status, body, elapsed, _ = await post(
                session,
                base + "/v1/activations",
                {"serial": serial, "fingerprint": machine},
                timeout,
            )
        except INTERRUPTED:
            record.interrupted += 1
            continue
        record.note(status, body, elapsed)
        if status in (200, 201):
            record.granted[body["activation_id"]] = (serial, machine)
            record.licenses[body["activation_id"]] = body["license"]
        return status
    return None


async def deactivate_once(
    session: aiohttp.ClientSession, base: str, record: LoadRecord, activation_id: str
) -> None:
    try:
        status, body, elapsed, _ = await post(
            session, base + "/v1/deactivations", {"license": record.licenses[activation_id]}, 15.0
        )
    except INTERRUPTED:
        record.interrupted += 1
        record.freed_unknown.add(activation_id)
        return
    record.note(status, body, elapsed)
    if status == 200:
        record.freed.add(activation_id)


async def activation_load(
    base: str,
    serials: dict[str, list[str]],
    *,
    total: int,
    concurrency: int,
    deadline_seconds: float,
    machines_per_serial: int = 6,
    deactivate_share: float = 0.1,
    on_progress: Any = None,
    seed: int = 7,
    record: LoadRecord | None = None,
) -> LoadRecord:
    """``total`` operations (activations, some deactivations) from ``concurrency`` clients,
    stopped at ``deadline_seconds`` whatever happens. ``on_progress(done)`` is awaited after
    each operation, for fault injection at a chosen point; a given ``record`` is added to."""
    record = record if record is not None else LoadRecord()
    chooser = random.Random(seed)
    pool = [(kind, serial) for kind, batch in serials.items() for serial in batch]
    deadline = time.monotonic() + deadline_seconds
    done = 0

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal done
        while done < total and time.monotonic() < deadline:
            done += 1
            live = [aid for aid in record.granted if aid not in record.freed]
            full_live = [aid for aid in live if not _is_trial(serials, record.granted[aid][0])]
            if full_live and chooser.random() < deactivate_share:
                await deactivate_once(session, base, record, chooser.choice(full_live))
            else:
                kind, serial = chooser.choice(pool)
                spread = 400 if kind.startswith("TRIAL") else machines_per_serial
                machine = fingerprint(f"{serial}-{chooser.randrange(spread)}")
                await activate_with_retries(session, base, record, serial, machine)
            if on_progress is not None:
                await on_progress(done)

    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
    return record


def _is_trial(serials: dict[str, list[str]], serial: str) -> bool:
    return any(serial in batch for kind, batch in serials.items() if kind.startswith("TRIAL"))
