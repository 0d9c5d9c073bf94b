"""Coalescing of concurrent activations into one statement per batch.

Each process keeps one :class:`ActivationBatcher` per connection pool. A request joins the
queue; up to ``LANES`` batches are in flight at once, and whatever arrived while they ran goes
out as the next batch, up to ``MAX_BATCH`` requests. Nothing waits on a timer: a lone request
leaves at once (as the single-row statement), and batches grow only when requests queue anyway,
so the batch size follows the load. A batch is one statement and one transaction
(:data:`queries.ACTIVATE_MANY`): one round trip, one commit, one WAL flush, and for a hot trial
serial one row lock for the whole batch instead of one per activation. Durability is unchanged:
no request is answered before its batch has committed.

The batcher also carries the licenses issued again since its previous batch to the database
(:meth:`ActivationBatcher.keep_license`): the next batch's statement writes them on their
activations, so a machine's later starts reuse its license without a new signature and without a
round trip of their own. They are a cache: if the process stops first, they are signed again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import asyncpg

from activation_server.activations import queries

log = logging.getLogger(__name__)

# Batches of one pool in flight at once: enough to keep the database busy while the event loop
# signs the previous batch's licenses, few enough that batches stay large under load.
LANES = 1
MAX_BATCH = 64
# Licenses waiting for a batch to carry them: at most this many (more are signed again later),
# and when no batch comes for this long, a statement of their own writes them.
MAX_KEPT = 4096
KEEP_DELAY = 0.5


@dataclass
class _Waiting:
    params: queries.ActivationParams
    future: asyncio.Future[queries.ActivateOutcome | None]


class ActivationBatcher:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.pending: list[_Waiting] = []
        self.running = 0
        self.licenses: list[tuple[str, str]] = []
        self.flush_handle: asyncio.TimerHandle | None = None

    def keep_license(self, activation_id: str, token: str) -> None:
        """Keeps this license on its activation with the next batch (or within KEEP_DELAY)."""
        if len(self.licenses) >= MAX_KEPT:
            return
        self.licenses.append((activation_id, token))
        if self.flush_handle is None and not self.running:
            self.flush_handle = asyncio.get_running_loop().call_later(KEEP_DELAY, self._flush)

    def _flush(self) -> None:
        self.flush_handle = None
        if self.licenses and not self.running:
            asyncio.get_running_loop().create_task(self._store())

    async def _store(self) -> None:
        licenses, self.licenses = self.licenses, []
        try:
            async with self.pool.acquire() as connection:
                await queries.store_licenses(connection, licenses)
        except Exception as error:  # a cache: the licenses are signed again when next issued
            log.info("could not keep %d issued licenses: %r", len(licenses), error)

    async def activate(self, params: queries.ActivationParams) -> queries.ActivateOutcome | None:
        """The outcome of this request's activation statement (its batch's, for this row)."""
        future: asyncio.Future[queries.ActivateOutcome | None] = (
            asyncio.get_running_loop().create_future()
        )
        self.pending.append(_Waiting(params, future))
        if self.running < LANES:
            self.running += 1
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self.pending:
                batch = self.pending[:MAX_BATCH]
                del self.pending[:MAX_BATCH]
                try:
                    outcomes = await self._run(batch)
                except asyncio.CancelledError:
                    for waiting in batch:
                        waiting.future.cancel()
                    raise
                except Exception as error:
                    # The batch's transaction rolled back as a whole: every request in it gets
                    # the error, and the retryable ones (a machine that another batch activated
                    # a moment earlier) try again with a fresh snapshot.
                    for waiting in batch:
                        if not waiting.future.done():
                            waiting.future.set_exception(error)
                    continue
                for waiting, outcome in zip(batch, outcomes, strict=True):
                    if not waiting.future.done():
                        waiting.future.set_result(outcome)
        finally:
            self.running -= 1
            if self.licenses and not self.running and self.flush_handle is None:
                self.flush_handle = asyncio.get_running_loop().call_later(KEEP_DELAY, self._flush)

    async def _run(self, batch: list[_Waiting]) -> list[queries.ActivateOutcome | None]:
        licenses, self.licenses = self.licenses, []
        async with self.pool.acquire() as connection:
            if len(batch) == 1 and not licenses:
                params = batch[0].params
                return [
                    await queries.activate(
                        connection,
                        serial=params.serial,
                        fingerprint=params.fingerprint,
                        product=params.product,
                        features=params.features,
                        client=params.client,
                        address=params.address,
                        new_id=params.new_id,
                        via=params.via,
                    )
                ]
            return await queries.activate_many(connection, [w.params for w in batch], licenses)


_BATCHERS: dict[int, tuple[asyncpg.Pool, ActivationBatcher]] = {}


def batcher_for(pool: asyncpg.Pool) -> ActivationBatcher:
    """The batcher of this pool, created on first use (pools belong to one event loop)."""
    entry = _BATCHERS.get(id(pool))
    if entry is not None and entry[0] is pool:
        return entry[1]
    for key, (other, _) in list(_BATCHERS.items()):
        if other.is_closing():
            del _BATCHERS[key]
    batcher = ActivationBatcher(pool)
    _BATCHERS[id(pool)] = (pool, batcher)
    return batcher
