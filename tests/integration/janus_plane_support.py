"""Pieces of the Janus-plane tests (and bench/bench_janus.py): the whole testbed inside the test's network
namespace with the platform brokering Janus, desks in this process or as processes of their own, and what the
tests read (which terminal a tile shows, its picture size, how long tiles went without a picture).

Janus gathers on one end of the veth pair (10.200.0.1), the terminals' and the desks' media on the other
(10.200.0.2); signalling stays on 127.0.0.1 inside the namespace.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.core.desk import Desk
from console.core.layout import layout_from_line
from console.core.media_desk import MediaOptions
from media.janus import JanusClient, VideoRoomAdmin
from media.stamp import read_frame_stamp
from testbed.janus import JanusProcess
from testbed.line import Line, default_line_path, load_line
from testbed.platform.janus_plane import room_number
from testbed.platform.server import PlatformServer
from testbed.terminals import Fleet
from testbed.terminals.feeds import FeedSettings
from tests.integration.janus_support import PEER_ADDRESS, janus_config, peers_on_veth
from tests.integration.netns import REPO_ROOT

CLIP_SECONDS = 4.0


@dataclass
class JanusTestbed:
    """Janus, the platform brokering it, and what the test started against them."""

    line: Line
    janus: JanusProcess
    platform: PlatformServer
    clips: Path
    #: frames per second of the terminals' clips
    clip_fps: int = 25
    fleets: list[Fleet] = field(default_factory=list)
    desks: list[Desk] = field(default_factory=list)
    consoles: list[ConsoleProcess] = field(default_factory=list)

    async def start_fleet(self, *terminals: str) -> Fleet:
        fleet = Fleet(self.line, self.platform.url, rate=0, include=terminals,
                      media=FeedSettings(allowed_addresses=(PEER_ADDRESS,), clip_cache=self.clips,
                                         clip_seconds=CLIP_SECONDS, clip_fps=self.clip_fps))
        self.fleets.append(fleet)
        await fleet.start()
        return fleet

    async def desk(self, user: str = "chief", **options: Any) -> Desk:
        """A desk core with media in this process (its media workers are processes), signed in as ``user``."""
        folder = Path(tempfile.mkdtemp(prefix="janus-desk-"))
        settings = MediaOptions(allowed_addresses=(PEER_ADDRESS,), **{"workers": 1, **options})
        desk = Desk(folder / "events.db", layout=layout_from_line(self.line), media=settings)
        self.desks.append(desk)
        await desk.connect(self.platform.url, user, "demo")
        return desk

    async def console(self, user: str, feeds: Sequence[str], numbers: dict[str, int]) -> ConsoleProcess:
        """A console as a process of its own (tests/integration/wall_console.py) pulling ``feeds``."""
        console = await ConsoleProcess.start(self.platform.url, user, feeds, numbers)
        self.consoles.append(console)
        return console

    async def publishers(self) -> dict[str, int]:
        """Janus's own count of publishers (by the terminal they publish for), over every room the broker made."""
        sfu = self.platform.sfu
        assert sfu is not None
        counts: dict[str, int] = {}
        async with await JanusClient.connect(self.janus.url) as client:
            session = await client.create_session()
            admin = await VideoRoomAdmin.attach(session)
            for name in list(sfu._rooms):
                for participant in await admin.participants(room_number(name)):
                    if participant.get("publisher"):
                        terminal = str(participant.get("display", "")).split(" ")[0]
                        counts[terminal] = counts.get(terminal, 0) + 1
        return counts

    async def close(self) -> None:
        for console in self.consoles:
            await console.kill()
        for desk in self.desks:
            with contextlib.suppress(Exception):
                await desk.close()
        for fleet in self.fleets:
            with contextlib.suppress(Exception):
                await fleet.stop()
        await self.platform.stop()


@contextlib.asynccontextmanager
async def janus_testbed(clips: str, *, loss_after: float | None = None, clip_fps: int = 25
                        ) -> AsyncIterator[JanusTestbed]:
    """Janus and the platform brokering it, inside the namespace; everything stopped at the end.

    ``loss_after``: seconds of silence after which the platform and consoles count a session lost (default: the
    protocol's 0.75 s). A test that runs 30 terminals, three consoles and Janus on two cores starves this process's
    event loop now and then for longer than that (sending RTP over a veth pair runs the kernel's receive path in the
    sender); session liveness is not what such a test is about. ``clip_fps``: the terminals' clips' frame rate."""
    peers_on_veth()
    line = load_line(default_line_path())
    janus = JanusProcess(janus_config())
    await janus.start()
    try:
        timing: dict[str, Any] = {}
        if loss_after is not None:
            timing = {"heartbeat_interval": loss_after / 4, "loss_threshold": 4}
        platform = PlatformServer(line, janus_url=janus.url, **timing)
        await platform.start()
        assert platform.sfu is not None
        await platform.sfu.wait_up()
        bed = JanusTestbed(line, janus, platform, Path(clips), clip_fps)
        try:
            yield bed
        finally:
            await bed.close()
    except BaseException:
        sys.stderr.write(f"--- janus log (last lines)\n{janus.log_tail(60)}\n")
        raise
    finally:
        await janus.stop()


def shown_terminal(desk: Desk, tile: int, numbers: dict[str, int]) -> str | None:
    """The terminal whose stamp the tile's newest picture carries (None: no picture or no stamp)."""
    assert desk.media is not None
    frame = desk.media.read_tile(tile)
    stamp = read_frame_stamp(frame.luma()) if frame is not None else None
    if stamp is None:
        return None
    return {number: terminal for terminal, number in numbers.items()}.get(stamp[0])


def tile_size(desk: Desk, tile: int) -> tuple[int, int] | None:
    assert desk.media is not None
    frame = desk.media.read_tile(tile)
    return None if frame is None else (frame.width, frame.height)


def tile_seq(desk: Desk, tile: int) -> int:
    assert desk.media is not None and desk.media.engine is not None and desk.media.engine.wall is not None
    return desk.media.engine.wall.seq(tile)


async def longest_gaps(desks: Sequence[Desk], tiles: int, seconds: float, *, every: float = 0.05) -> list[float]:
    """For ``seconds``, the longest time each tile of each desk went without a new picture (desk by desk)."""
    last = {(d, t): (tile_seq(desks[d], t), time.monotonic()) for d in range(len(desks)) for t in range(tiles)}
    longest = dict.fromkeys(last, 0.0)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await asyncio.sleep(every)
        now = time.monotonic()
        for key, (seq, since) in last.items():
            current = tile_seq(desks[key[0]], key[1])
            if current != seq:
                last[key] = (current, now)
            else:
                longest[key] = max(longest[key], now - since)
    return [max(longest[(d, t)] for t in range(tiles)) for d in range(len(desks))]


async def until(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``check`` every 50 ms; the seconds it took. AssertionError after ``timeout``."""
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - began


class ConsoleProcess:
    """tests/integration/wall_console.py running; its latest report in `last`."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.pid = process.pid
        self.workers: list[int] = []
        self.last: dict[str, Any] = {}
        self._reader: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    @classmethod
    async def start(cls, url: str, user: str, feeds: Sequence[str], numbers: dict[str, int]) -> ConsoleProcess:
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.integration.wall_console", "--url", url, "--user", user,
            "--address", PEER_ADDRESS, "--feeds", ",".join(feeds), "--numbers", json.dumps(numbers),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=REPO_ROOT, env=env)
        console = cls(process)
        console._reader = asyncio.ensure_future(console._read())
        return console

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            with contextlib.suppress(ValueError):
                report = json.loads(line)
                if report.get("event") == "ready":
                    self.workers = list(report.get("workers", []))
                    self.ready.set()
                else:
                    self.last = report

    @property
    def pids(self) -> list[int]:
        return [self.pid, *self.workers]

    async def kill(self) -> None:
        """SIGKILL the console and its media workers at once (a crash, not a goodbye)."""
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        await self.process.wait()
        if self._reader is not None:
            await self._reader

    async def quit(self) -> None:
        """Ask it to stop (it closes its desk), then wait."""
        if self.process.returncode is None and self.process.stdin is not None:
            self.process.stdin.write(b"quit\n")
            with contextlib.suppress(ConnectionError):
                await self.process.stdin.drain()
            try:
                await asyncio.wait_for(self.process.wait(), 15.0)
            except TimeoutError:
                await self.kill()
        if self._reader is not None:
            await self._reader
