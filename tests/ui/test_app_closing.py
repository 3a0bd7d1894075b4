"""Quitting the desk is bounded: each closing step, and the tasks still pending when the desk's coroutine returns,
get a time limit; a part that does not end (even one that ignores cancellation) or that fails is named in the log
and the desk goes on closing the rest."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from console.ui import app


def stubborn(release: asyncio.Event, cancels: list[int]) -> asyncio.Task[None]:
    """A task that swallows cancellation until ``release`` is set (the kind of part that hung the desk)."""

    async def run() -> None:
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                cancels.append(1)

    return asyncio.get_running_loop().create_task(run())


async def test_a_closing_step_that_ignores_cancellation_is_left_behind_in_time(
        caplog: pytest.LogCaptureFixture) -> None:
    release, cancels = asyncio.Event(), list[int]()
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def step() -> None:
        await stubborn(release, cancels)

    with caplog.at_level(logging.ERROR, logger="console.ui.app"):
        await app._closing(step(), "the stubborn part", timeout=0.2)
    assert loop.time() - started < 5.0, "the closing went on although the part did not end"
    assert "closing the stubborn part took over 0.2 s: left behind" in caplog.text
    await asyncio.sleep(0.05)
    assert cancels, "the part left behind was cancelled"
    release.set()
    await asyncio.sleep(0.05)


async def test_a_closing_step_that_fails_is_logged_and_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    async def broken() -> None:
        raise OSError("socket already gone")

    done: list[str] = []

    async def fine() -> None:
        done.append("closed")

    with caplog.at_level(logging.ERROR, logger="console.ui.app"):
        await app._closing(broken(), "the broken part")
        await app._closing(fine(), "the next part")
    assert "closing the broken part failed" in caplog.text and "socket already gone" in caplog.text
    assert done == ["closed"]


def test_leftover_tasks_that_do_not_end_when_cancelled_do_not_hold_up_quitting(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(app, "LEFTOVER_TIMEOUT", 0.2)
    loop = asyncio.new_event_loop()
    try:
        release, cancels = asyncio.Event(), list[int]()

        async def begin() -> tuple[asyncio.Future[None], asyncio.Task[None]]:
            polite = asyncio.ensure_future(asyncio.sleep(3600))
            rude = stubborn(release, cancels)
            await asyncio.sleep(0)
            return polite, rude

        polite, rude = loop.run_until_complete(begin())
        rude.set_name("rude-task")
        started = loop.time()
        with caplog.at_level(logging.ERROR, logger="console.ui.app"):
            app._cancel_leftovers(loop)
        assert loop.time() - started < 5.0
        assert polite.cancelled()
        assert not rude.done() and cancels
        assert "task rude-task did not end when cancelled: left behind" in caplog.text
        release.set()
        loop.run_until_complete(asyncio.wait([rude], timeout=1))
        assert rude.done()
    finally:
        with contextlib.suppress(Exception):
            loop.close()
