"""The application's periodic jobs end when it closes, even when a cancel is lost on the way."""

from __future__ import annotations

import asyncio
import logging

import pytest

from activation_server.background import RECANCEL_SECONDS, background

# A bound that fails a test whose job ignored its cancel, instead of hanging it (the timeout's own
# cancel reaches the job through the task awaiting it).
DEADLINE = 20 * RECANCEL_SECONDS


async def test_a_job_that_turns_its_cancel_into_a_timeout_and_retries_is_stopped() -> None:
    # On Python 3.11 a cancel that meets the deadline of asyncio.timeout() comes out as a
    # TimeoutError, which a job that retries an unreachable server catches.
    retries = 0

    async def call_the_server() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            if retries == 0:  # the deadline and the cancel met once
                raise TimeoutError from None
            raise

    ended = False

    async def job() -> None:
        nonlocal retries, ended
        try:
            while True:
                try:
                    await call_the_server()
                except TimeoutError:
                    retries += 1
        finally:
            ended = True

    async with asyncio.timeout(DEADLINE):
        async with background(job()):
            await asyncio.sleep(0.05)
            closing = asyncio.get_running_loop().time()
    assert ended
    assert asyncio.get_running_loop().time() - closing < DEADLINE / 2
    assert retries == 1  # the first cancel was swallowed, the second one ended it


async def test_a_job_whose_reply_arrives_with_the_cancel_is_stopped() -> None:
    # Python 3.11's asyncio.wait_for returns the awaited result, and drops the cancel, when both
    # arrive in the same step: a mail server's reply as the application closes.
    replies = 0
    reply: asyncio.Future[None] | None = None

    ended = False

    async def job() -> None:
        nonlocal replies, reply, ended
        try:
            while True:
                reply = asyncio.get_running_loop().create_future()
                await asyncio.wait_for(reply, 60)
                replies += 1
        finally:
            ended = True

    async with asyncio.timeout(DEADLINE):
        async with background(job()):
            await asyncio.sleep(0.05)
            assert reply is not None
            reply.set_result(None)
            closing = asyncio.get_running_loop().time()
    assert ended
    assert asyncio.get_running_loop().time() - closing < DEADLINE / 2
    assert replies <= 1


async def test_a_job_that_failed_is_reported_when_the_application_closes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def job() -> None:
        raise ValueError("broken job")

    async def idle() -> None:
        await asyncio.sleep(60)

    with caplog.at_level(logging.ERROR, logger="activation_server.background"):
        async with background(job(), idle()):
            await asyncio.sleep(0.01)
    assert "broken job" in caplog.text
