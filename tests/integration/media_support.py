"""Shared pieces of the end-to-end media tests: a desk with media, terminals with cameras and microphones, and
what the tests measure (tones in received audio, CPU of the media workers).

Real WebRTC on loopback through the real platform: the desk's media engine runs in worker processes, the
simulated terminals' senders in the test process; ICE gathers on 127.0.0.1 only. A test module imports the
``*_fixture`` functions, which pytest knows by their names without the suffix.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from console.core.desk import Desk
from console.core.layout import layout_from_line
from console.core.media_desk import MediaOptions
from media import ice
from testbed.line import Line
from testbed.platform.server import PlatformServer
from testbed.terminals import Fleet
from testbed.terminals.feeds import FeedSettings

#: media in tests flows over loopback only
LOOPBACK = ("127.0.0.1",)
DISPATCHER_PASSWORD = "demo"

MakeDesk = Callable[..., Awaitable[Desk]]
StartFleet = Callable[..., Awaitable[Fleet]]


@pytest.fixture(scope="session", name="media_clips")
def media_clips_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Clips encoded once per test run (4-second loops: quicker to encode, as good for a test)."""
    return tmp_path_factory.mktemp("media-clips")


@pytest.fixture(name="feed_settings")
def feed_settings_fixture(media_clips: Path) -> FeedSettings:
    return FeedSettings(allowed_addresses=LOOPBACK, clip_cache=media_clips, clip_seconds=4.0)


@pytest.fixture(name="start_fleet")
async def start_fleet_fixture(platform: PlatformServer, sample_line: Line,
                      feed_settings: FeedSettings) -> AsyncIterator[StartFleet]:
    """Start simulated terminals (ids or kinds) that only do what the test tells them."""
    fleets: list[Fleet] = []

    async def start(*include: str) -> Fleet:
        fleet = Fleet(sample_line, platform.url, rate=0, include=include, media=feed_settings)
        fleets.append(fleet)
        await fleet.start()
        return fleet

    try:
        yield start
    finally:
        for fleet in fleets:
            with contextlib.suppress(Exception):
                await fleet.stop()
        ice.lift_host_restriction()


@pytest.fixture(name="media_desk")
async def media_desk_fixture(platform: PlatformServer, sample_line: Line, tmp_path: Path) -> AsyncIterator[MakeDesk]:
    """``await media_desk(**options)``: the chief dispatcher's desk with media (`MediaOptions`), connected."""
    desks: list[Desk] = []

    async def make(**options: object) -> Desk:
        settings = MediaOptions(allowed_addresses=LOOPBACK, **options)  # type: ignore[arg-type]
        desk = Desk(tmp_path / f"events-{len(desks)}.db", layout=layout_from_line(sample_line), media=settings)
        desks.append(desk)
        await desk.connect(platform.url, "chief", DISPATCHER_PASSWORD)
        assert await desk.wait_until(lambda: len(desk.world.terminals) == len(sample_line.terminals)), "no snapshot"
        return desk

    try:
        yield make
    finally:
        for desk in desks:
            engine = desk.media.engine if desk.media is not None else None
            pids = engine.worker_pids if engine is not None else []
            await desk.close()
            for pid in pids:
                assert not _alive(pid), f"media worker {pid} outlived its desk"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


async def until(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Wait (polling every 50 ms) until ``check()``; the seconds it took. AssertionError after ``timeout``."""
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - began


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds a process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def cpu_share(pids: list[int], seconds: float) -> dict[int, float]:
    """Each process's CPU use over the next ``seconds``, as a share of one core."""
    before = {pid: cpu_seconds(pid) for pid in pids}
    began = time.monotonic()
    await asyncio.sleep(seconds)
    spent = time.monotonic() - began
    return {pid: (cpu_seconds(pid) - before[pid]) / spent for pid in pids}
