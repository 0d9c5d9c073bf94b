"""Coalescing of concurrent activations into one statement per batch.

Each process keeps one :class:`ActivationBatcher` per connection pool. A request joins the
queue; up to ``LANES`` batches are in flight at once, and whatever arrived while they ran goes
out as the next batch, up to ``MAX_BATCH`` requests. Nothing waits on a timer: a lone request
leaves at once (as the single-row statement), and batches grow only when requests queue anyway,
so the batch size follows the load. A batch is one statement and one transaction
(:data:`queries.ACTIVATE_MANY`): one round trip, one commit, one WAL flush, and for a hot trial
serial one row lock for the whole batch instead of one per activation. Durability is unchanged:
no request is answered before its batch has committed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg

from activation_server.activations import queries

# Batches of one pool in flight at once: enough to keep the database busy while the event loop
# signs the previous batch's licenses, few enough that batches stay large under load.
LANES = 2
MAX_BATCH = 64


@dataclass
class _Waiting:
    params: queries.ActivationParams
    future: asyncio.Future[queries.ActivateOutcome | None]


class ActivationBatcher:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.pending: list[_Waiting] = []
        self.running = 0

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

    async def _run(self, batch: list[_Waiting]) -> list[queries.ActivateOutcome | None]:
        async with self.pool.acquire() as connection:
            if len(batch) == 1:
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
            return await queries.activate_many(connection, [w.params for w in batch])


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
