"""The desk's media engine, started on first need (warm voice links start it as soon as the desk monitors a group),
leaves no worker behind when the desk closes while it is still starting, nor once it runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from console.core.desk import Desk
from console.core.media_desk import MediaOptions
from tests.media.test_engine_close import assert_reaped, children, helpers, until

pytestmark = [pytest.mark.timeout(90),
              pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads children from /proc (Linux)")]


async def test_a_desk_closed_while_its_media_engine_starts_leaves_no_worker(tmp_path: Path) -> None:
    before = children()
    desk = Desk(tmp_path / "events.sqlite", media=MediaOptions(workers=2))
    assert desk.media is not None
    starting = asyncio.ensure_future(desk.media.start())
    await until(lambda: len(children() - before - helpers()) == 2)  # spawned, still loading aiortc
    spawned = children() - before - helpers()
    assert not starting.done()
    await desk.close()
    with pytest.raises((asyncio.CancelledError, RuntimeError)):
        await starting
    for pid in spawned:
        assert_reaped(pid)
    assert children() - before - helpers() == set()
    with pytest.raises(RuntimeError, match="closed"):
        await desk.media.start()  # nothing is started again after the close
    assert children() - before - helpers() == set()


async def test_a_desk_closed_with_its_media_engine_running_reaps_the_workers(tmp_path: Path) -> None:
    before = children()
    desk = Desk(tmp_path / "events.sqlite", media=MediaOptions(workers=2))
    assert desk.media is not None
    engine = await desk.media.start()
    pids = engine.worker_pids
    assert len(pids) == 2
    await desk.close()
    for pid in pids:
        assert_reaped(pid)
    assert children() - before - helpers() == set()
