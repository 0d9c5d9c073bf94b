"""Coalescing of concurrent requests into one statement per batch.

The activation service keeps one :class:`Coalescer` per kind of statement over its pool. A request
joins the queue; up to ``LANES`` batches are in flight at once, and whatever arrived while they
ran goes out as the next batch, up to ``MAX_BATCH`` requests. Nothing waits on a timer: a lone
request leaves at once, and batches grow only when requests queue anyway, so the batch size
follows the load.

:class:`ActivationBatcher` runs activations: a batch is one statement and one transaction
(:data:`queries.ACTIVATE_MANY`): one round trip, one commit, one WAL flush, and for a hot trial
serial one row lock for the whole batch instead of one per activation. Durability is unchanged:
no request is answered before its batch has committed. :class:`MachineStates` and
:class:`ActivationStates` run the read-only look-ups of validations the same way
(:data:`queries.STATES_BY_MACHINE`, :data:`queries.STATES_BY_ACTIVATION`): one round trip and
one pool connection for a batch instead of one each.

The activation batcher also carries the licenses issued again since its previous batch to the
database (:meth:`ActivationBatcher.keep_license`): the next batch's statement writes them on
their activations, so a machine's later starts reuse its license without a new signature and
without a round trip of their own. They are a cache: if the process stops first, they are signed
again.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import Generic, TypeVar

import asyncpg

from activation_server.activations import queries
from activation_server.db.pool import UNAVAILABLE_ERRORS, is_refused_value

log = logging.getLogger(__name__)

# Batches of one pool in flight at once: enough to keep the database busy while the event loop
# signs the previous batch's licenses, few enough that batches stay large under load.
LANES = 1
MAX_BATCH = 64
# Licenses waiting for a batch to carry them: at most this many (more are signed again later),
# and when no batch comes for this long, a statement of their own writes them.
MAX_KEPT = 4096
KEEP_DELAY = 0.5


# Failures that are nobody's fault in particular: the database is unreachable (every request
# would fail alone too), or a concurrent batch changed the rows (every request retries with a
# fresh snapshot). Any other failure of a batch is blamed on one of its requests.
_SHARED_FAILURES: tuple[type[BaseException], ...] = (
    *UNAVAILABLE_ERRORS,
    asyncpg.exceptions.UniqueViolationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.SerializationError,
)

P = TypeVar("P")
R = TypeVar("R")


@dataclass
class _Waiting(Generic[P, R]):
    params: P
    future: asyncio.Future[R]


class Coalescer(Generic[P, R]):
    """Concurrent requests of one pool, run a batch at a time by :meth:`_run`."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.pending: list[_Waiting[P, R]] = []
        self.running = 0

    async def submit(self, params: P) -> R:
        """This request's outcome: its row of its batch's statement."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
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
                    outcomes = await self._run([waiting.params for waiting in batch])
                except asyncio.CancelledError:
                    for waiting in batch:
                        waiting.future.cancel()
                    raise
                except Exception as error:
                    if len(batch) > 1 and (
                        is_refused_value(error) or not isinstance(error, _SHARED_FAILURES)
                    ):
                        # A statement refused for what one request holds: each runs alone, so
                        # only that one fails, not the others that happened to share its batch.
                        await self._run_alone(batch)
                        continue
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
            self._idle()

    async def _run_alone(self, batch: list[_Waiting[P, R]]) -> None:
        log.warning("a batch of %d was refused; running its requests one by one", len(batch))
        for waiting in batch:
            try:
                outcome = (await self._run([waiting.params]))[0]
            except asyncio.CancelledError:
                for other in batch:
                    other.future.cancel()
                raise
            except Exception as error:
                if not waiting.future.done():
                    waiting.future.set_exception(error)
            else:
                if not waiting.future.done():
                    waiting.future.set_result(outcome)

    async def _run(self, batch: list[P]) -> list[R]:
        raise NotImplementedError

    def _idle(self) -> None:
        """Called whenever a drain ends."""


class ActivationBatcher(Coalescer[queries.ActivationParams, queries.ActivateOutcome | None]):
    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(pool)
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
        return await self.submit(params)

    def close(self) -> None:
        """Drops the timer of licenses waiting for a batch (they are a cache)."""
        if self.flush_handle is not None:
            self.flush_handle.cancel()
            self.flush_handle = None

    def _idle(self) -> None:
        if self.licenses and not self.running and self.flush_handle is None:
            self.flush_handle = asyncio.get_running_loop().call_later(KEEP_DELAY, self._flush)

    async def _run(
        self, batch: list[queries.ActivationParams]
    ) -> list[queries.ActivateOutcome | None]:
        licenses, self.licenses = self.licenses, []
        async with self.pool.acquire() as connection:
            if len(batch) == 1 and not licenses:
                return [await queries.activate_one(connection, batch[0])]
            return await queries.activate_many(connection, batch, licenses)


class MachineStates(Coalescer[tuple[str, str], queries.ActivationState | None]):
    async def _run(self, batch: list[tuple[str, str]]) -> list[queries.ActivationState | None]:
        async with self.pool.acquire() as connection:
            return await queries.states_by_machine(connection, batch)


class ActivationStates(Coalescer[uuid.UUID, queries.ActivationState | None]):
    async def _run(self, batch: list[uuid.UUID]) -> list[queries.ActivationState | None]:
        async with self.pool.acquire() as connection:
            return await queries.states_by_activation(connection, batch)
