"""Fixtures for the desk core: the real reference platform on loopback, a desk logged in as ``chief``, and
simulated terminals of the sample line."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from console.core.desk import Desk
from console.core.layout import layout_from_line
from testbed.line import Line, default_line_path, load_line
from testbed.platform.server import PlatformServer
from testbed.terminals import Fleet

#: demo-only password of the sample line's dispatchers (docs/line-format.md, "Sample accounts")
PASSWORD = "demo"

StartFleet = Callable[..., Awaitable[Fleet]]


@pytest.fixture(scope="session")
def line() -> Line:
    return load_line(default_line_path())


@pytest.fixture
async def platform(line: Line) -> AsyncIterator[PlatformServer]:
    server = PlatformServer(line, port=0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "events.db"


@pytest.fixture
async def desk(platform: PlatformServer, line: Line, log_path: Path) -> AsyncIterator[Desk]:
    """The chief dispatcher's desk, connected, with the snapshot applied."""
    desk = Desk(log_path, layout=layout_from_line(line))
    await desk.connect(platform.url, "chief", PASSWORD)
    assert await desk.wait_until(lambda: len(desk.world.terminals) == len(line.terminals)), "no snapshot"
    try:
        yield desk
    finally:
        await desk.close()


@pytest.fixture
async def start_fleet(platform: PlatformServer, line: Line) -> AsyncIterator[StartFleet]:
    """Start simulated terminals (ids or kinds) that do only what the test tells them."""
    fleets: list[Fleet] = []

    async def _start(*include: str, **options: object) -> Fleet:
        fleet = Fleet(line, platform.url, rate=0, include=include, **options)  # type: ignore[arg-type]
        fleets.append(fleet)
        await fleet.start()
        return fleet

    yield _start
    for fleet in fleets:
        with contextlib.suppress(Exception):
            await fleet.stop()
