"""The desk's media engine: receive sessions run in worker processes, pictures come back through shared memory.

`MediaEngine` is an asyncio facade for the desk (or the headless console). It owns the `FrameWall` and starts
``workers`` media worker processes (media/worker.py), one per core: aiortc's RTP path runs on one thread per
process and tops out near 365 frames/s of 720p, so a wall of 30 HD feeds has to be spread over processes.
Each session goes to the least-loaded worker (an HD feed weighs about four thumbnails, as their decoding costs).

The SDP flow is the sink's (SPEC.md §5.14): `open_session` returns the complete offer to send as `media.offer`,
`accept_answer` takes the relayed `media.answer`. The desk paints with `read_tile` (latest frame per tile).
Quality switches need no call here: the source changes resolution in-band and the tile follows.

Workers are started with ``spawn``, which imports the program's main module again in each worker: a program
that starts an engine keeps its start-up code under ``if __name__ == "__main__":`` (console scripts do).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from aiortc import RTCConfiguration

from media import worker as worker_module
from media.commands import (
    AcceptAnswer,
    AnswerReceive,
    CloseReceive,
    Command,
    DrainAudio,
    DrainMicrophone,
    Failure,
    GetConfiguration,
    GetStats,
    IceServer,
    OpenPublish,
    OpenReceive,
    RecentAudio,
    Reply,
    SessionState,
    SessionStats,
    SetMicrophone,
    Shutdown,
    TapMicrophone,
    WorkerConfig,
    WorkerReady,
)
from media.frames import FrameWall, PixelFormat, TileFrame
from media.processes import exited, reap_now, release_helpers_at_exit, signal_process

log = logging.getLogger(__name__)

__all__ = ["MediaEngine", "MediaWorkerError", "MediaWorkerLost", "default_workers"]

#: how much decoding a session costs its worker, by quality (720p about 6 % of a core, 180p about 1.5 %)
LOAD = {"thumb": 1, "hd": 4}
#: longest wait for a worker to start, and for any command's answer
START_TIMEOUT = 30.0
COMMAND_TIMEOUT = 20.0
#: on close: the wait for a worker's answer to `Shutdown`, for it to exit after that, and after each signal
SHUTDOWN_TIMEOUT = 3.0
EXIT_TIMEOUT = 5.0
KILL_TIMEOUT = 2.0


class MediaWorkerError(RuntimeError):
    """A worker refused or failed a command (``kind`` is the worker-side exception's class)."""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(f"{kind}: {text}")
        self.kind = kind


class MediaWorkerLost(MediaWorkerError):
    """A worker process ended; its sessions are gone."""


@dataclass
class _Worker:
    index: int
    process: BaseProcess
    connection: Connection
    pending: dict[int, asyncio.Future[object]] = field(default_factory=dict)
    sessions: dict[str, int] = field(default_factory=dict)  # session -> load
    ready: asyncio.Future[int] | None = None
    lost: bool = False

    @property
    def load(self) -> int:
        return sum(self.sessions.values())


@dataclass
class _Session:
    name: str
    worker: int
    tile: int | None
    state: str = "new"


class MediaEngine:
    """Receive sessions over ``workers`` worker processes, pictures on a wall of ``tiles`` tiles.

    ``allowed_addresses`` (IP addresses or interface names) are where the workers gather ICE candidates;
    ``ice_servers`` stays empty unless the user configured STUN/TURN. ``on_state(session, state)`` hears each
    session's media state (``connecting``, ``connected``, ``failed``, ``closed``); on ``failed`` the desk ends
    the session with ``video.stop``. ``microphone`` (a `media.sources.microphone_track` spec, "" for none) is
    what voice links send while keyed.
    """

    def __init__(
        self,
        *,
        allowed_addresses: Sequence[str],
        workers: int = 1,
        tiles: int = 30,
        max_width: int = 1280,
        max_height: int = 720,
        pixel_format: PixelFormat = "yuv420p",
        ice_servers: Sequence[IceServer] = (),
        on_state: Callable[[str, str], None] | None = None,
        log_level: int = logging.WARNING,
        microphone: str = "",
    ) -> None:
        if workers < 1:
            raise ValueError("a media engine needs at least one worker")
        if not allowed_addresses:
            raise ValueError("no media address allowed: give the addresses (or interfaces) media may use")
        self.allowed_addresses = tuple(allowed_addresses)
        self.ice_servers = tuple(ice_servers)
        self.worker_count = workers
        self.on_state = on_state
        self.microphone = microphone
        self._wall_shape = (tiles, max_width, max_height, pixel_format)
        self._log_level = log_level
        self.wall: FrameWall | None = None
        self._workers: list[_Worker] = []
        self._sessions: dict[str, _Session] = {}
        self._generations = [0] * tiles
        self._requests = itertools.count(1)
        #: the worker that taps the microphone for the recorder, and how far its tap was read
        self._tap: tuple[int, int] | None = None
        self._started = False
        self._closed = False
        #: the one closing of the engine, shared by every `close` call
        self._closing: asyncio.Future[None] | None = None

    # ----- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Create the wall and start the workers; returns when every worker is ready.

        A `close` while this waits ends the workers already spawned and makes this raise `MediaWorkerLost`; a
        start after `close` raises RuntimeError and spawns nothing (an engine is started once and closed once)."""
        if self._closed:
            raise RuntimeError("the media engine is closed")
        if self._started:
            return
        self._started = True
        tiles, max_width, max_height, pixel_format = self._wall_shape
        self.wall = FrameWall.create(tiles, max_width, max_height, pixel_format)
        loop = asyncio.get_running_loop()
        context = multiprocessing.get_context("spawn")
        release_helpers_at_exit()
        try:
            for index in range(self.worker_count):
                ours, theirs = context.Pipe()
                config = WorkerConfig(index=index, wall=self.wall.name, allowed_addresses=self.allowed_addresses,
                                      ice_servers=self.ice_servers, log_level=self._log_level,
                                      microphone=self.microphone)
                process = context.Process(target=worker_module.run, args=(theirs, config), daemon=True,
                                          name=f"trunkdesk-media-{index}")
                process.start()
                theirs.close()
                worker = _Worker(index, process, ours, ready=loop.create_future())
                self._workers.append(worker)
                loop.add_reader(ours.fileno(), self._readable, worker)
            async with asyncio.timeout(START_TIMEOUT):
                pids = [await worker.ready for worker in self._workers if worker.ready is not None]
        except BaseException:
            await self.close()
            raise
        log.info("media engine: %d workers (pids %s), wall %s", len(pids), pids, self.wall.name)

    async def close(self) -> None:
        """Stop every worker (closing its sessions), reap it, and free the wall; idempotent, and every call returns
        only once that is done.

        Workers that are ready are asked to shut down (in parallel, ``SHUTDOWN_TIMEOUT``); one still starting is
        terminated at once (it would only answer once aiortc is imported). Any worker not gone within
        ``EXIT_TIMEOUT`` is terminated, then killed: no worker outlives the engine, none is left a zombie. The
        closing runs as its own task, so a caller that gives up waiting (cancelled) does not stop it half-way; if
        that task itself is cancelled (the loop ends), the workers left are killed and reaped on the spot."""
        if self._closing is None:
            self._closed = True
            self._closing = asyncio.ensure_future(self._shut_down())
        await asyncio.shield(self._closing)

    async def _shut_down(self) -> None:
        workers = list(self._workers)
        try:
            ready = [w for w in workers if not w.lost and w.ready is not None and w.ready.done()
                     and not w.ready.cancelled() and w.ready.exception() is None]
            closed = MediaWorkerLost("EngineClosed", "the media engine closed while its workers were starting")
            starting = [w for w in workers if w.ready is not None and not w.ready.done()]
            for worker in starting:  # wakes a start() waiting for them
                assert worker.ready is not None
                worker.ready.set_exception(closed)
                worker.ready.exception()  # retrieved: start() may be gone already
            for worker in starting:
                signal_process(worker.process, "terminate")
            await asyncio.gather(*(self._ask_to_shut_down(w) for w in ready))
            for worker in workers:  # our end of the pipe closed (a worker still serving stops on its own), calls
                self._lost(worker)  # still waiting for an answer fail now
            await self._reap([w.process for w in workers])
        finally:
            for worker in workers:
                self._lost(worker)
                reap_now(worker.process)
            self._sessions.clear()
            if self.wall is not None:
                self.wall.close()
                self.wall = None

    async def _ask_to_shut_down(self, worker: _Worker) -> None:
        try:
            await self._call(worker, Shutdown(), timeout=SHUTDOWN_TIMEOUT)
        except (MediaWorkerError, TimeoutError):
            log.warning("media worker %d did not shut down cleanly", worker.index)

    async def _reap(self, processes: list[BaseProcess]) -> None:
        """Wait for ``processes`` to exit (polling reaps them), then terminate, then kill the ones left."""
        alive = await exited(processes, EXIT_TIMEOUT)
        for action in ("terminate", "kill"):
            if not alive:
                return
            log.warning("media workers %s did not exit: %s", [p.pid for p in alive], action)
            for process in alive:
                signal_process(process, action)
            alive = await exited(alive, KILL_TIMEOUT)
        if alive:
            log.error("media workers %s did not end after SIGKILL", [p.pid for p in alive])

    async def __aenter__(self) -> MediaEngine:
        await self.start()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, value: BaseException | None,
                        traceback: TracebackType | None) -> None:
        await self.close()

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (to measure what they cost)."""
        return [w.process.pid for w in self._workers if w.process.pid is not None and not w.lost]

    # ----- the pipe --------------------------------------------------------------------------------------

    def _readable(self, worker: _Worker) -> None:
        try:
            while worker.connection.poll():
                self._dispatch(worker, worker.connection.recv())
        except (EOFError, OSError):
            self._lost(worker)

    def _dispatch(self, worker: _Worker, message: object) -> None:
        if isinstance(message, Reply | Failure):
            future = worker.pending.pop(message.request, None)
            if future is None or future.done():
                return
            if isinstance(message, Reply):
                future.set_result(message.value)
            else:
                future.set_exception(MediaWorkerError(message.kind, message.text))
        elif isinstance(message, SessionState):
            session = self._sessions.get(message.session)
            if session is not None:
                session.state = message.state
            if self.on_state is not None:
                self.on_state(message.session, message.state)
        elif isinstance(message, WorkerReady) and worker.ready is not None and not worker.ready.done():
            worker.ready.set_result(message.pid)

    def _forget(self, worker: _Worker) -> None:
        if not worker.lost:
            worker.lost = True
            asyncio.get_running_loop().remove_reader(worker.connection.fileno())
            worker.connection.close()

    def _lost(self, worker: _Worker) -> None:
        was_lost = worker.lost
        self._forget(worker)
        error = MediaWorkerLost("EOFError", f"media worker {worker.index} ended")
        futures: list[asyncio.Future[Any]] = [*worker.pending.values(), *([worker.ready] if worker.ready else [])]
        for future in futures:
            if not future.done():
                future.set_exception(error)
        worker.pending.clear()
        if was_lost or self._closed:
            return
        log.error("media worker %d ended (exit code %s); its sessions failed: %s", worker.index,
                  worker.process.exitcode, sorted(worker.sessions))
        for name in list(worker.sessions):
            session = self._sessions.get(name)
            if session is not None:
                session.state = "failed"
            if self.on_state is not None:
                self.on_state(name, "failed")

    async def _call(self, worker: _Worker, command: Command, timeout: float = COMMAND_TIMEOUT) -> object:
        if worker.lost:
            raise MediaWorkerLost("EOFError", f"media worker {worker.index} has ended")
        request = next(self._requests)
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        worker.pending[request] = future
        try:
            worker.connection.send((request, command))
        except (OSError, EOFError):
            worker.pending.pop(request, None)
            self._lost(worker)
            raise MediaWorkerLost("EOFError", f"media worker {worker.index} has ended") from None
        try:
            async with asyncio.timeout(timeout):
                return await future
        finally:
            worker.pending.pop(request, None)

    # ----- sessions --------------------------------------------------------------------------------------

    def _running(self) -> FrameWall:
        if not self._started or self._closed or self.wall is None:
            raise RuntimeError("the media engine is not running")
        return self.wall

    def _free_tile(self, wall: FrameWall) -> int:
        taken = {s.tile for s in self._sessions.values()}
        for tile in range(wall.tiles):
            if tile not in taken:
                return tile
        raise ValueError(f"all {wall.tiles} tiles are taken")

    async def open_session(self, session: str, *, tile: int | None = None, video: bool = True,
                           audio: bool = False, quality: Literal["thumb", "hd"] = "thumb",
                           send_audio: bool = False) -> str:
        """Open a receive-only session and return its complete SDP offer (to send as ``media.offer``).

        Video lands on ``tile`` (the first free one when None); ``quality`` only weighs the session when
        choosing its worker. An audio-only session takes no tile. With ``send_audio`` (a voice link) the audio
        also carries the engine's microphone, silent until keyed with `set_microphone`.
        """
        wall = self._running()
        if session in self._sessions:
            raise ValueError(f"session {session} is already open")
        if video:
            if tile is None:
                tile = self._free_tile(wall)
            elif not 0 <= tile < wall.tiles:
                raise ValueError(f"tile {tile} is not on the wall (0..{wall.tiles - 1})")
            elif any(s.tile == tile for s in self._sessions.values()):
                raise ValueError(f"tile {tile} already shows another session")
        else:
            tile = None
        live = [w for w in self._workers if not w.lost]
        if not live:
            raise MediaWorkerLost("EOFError", "no media worker is running")
        worker = min(live, key=lambda w: (w.load, w.index))
        generation = 0
        if tile is not None:
            self._generations[tile] += 1
            generation = self._generations[tile]
        self._sessions[session] = _Session(session, worker.index, tile)
        worker.sessions[session] = LOAD.get(quality, 1) if video else 1
        try:
            offer = await self._call(worker, OpenReceive(session, tile, generation, video=video, audio=audio,
                                                         send_audio=send_audio and audio and bool(self.microphone)))
        except BaseException:
            self._sessions.pop(session, None)
            worker.sessions.pop(session, None)
            raise
        log.info("session %s: receiving on worker %d, tile %s", session, worker.index, tile)
        return str(offer)

    async def answer_session(self, session: str, offer: str, *, tile: int | None = None, video: bool = True,
                             quality: Literal["thumb", "hd"] = "thumb") -> str:
        """Open a receive-only session by answering an offer (the SFU plane: the SFU offers to sinks); our complete
        SDP answer, to send as ``media.answer``. Video lands on ``tile`` (the first free one when None); an
        audio-only session (``video=False``) takes no tile."""
        wall = self._running()
        if session in self._sessions:
            raise ValueError(f"session {session} is already open")
        tile = self._tile_for(wall, tile) if video else None
        worker, generation = self._place(session, tile, LOAD.get(quality, 1) if video else 1)
        try:
            answer = await self._call(worker, AnswerReceive(session, tile, generation, offer))
        except BaseException:
            self._sessions.pop(session, None)
            worker.sessions.pop(session, None)
            raise
        log.info("session %s: receiving on worker %d, tile %s (answered)", session, worker.index, tile)
        return str(answer)

    async def publish_microphone(self, session: str) -> str:
        """Publish the desk's microphone into the SFU (SPEC §5.14.9: the desk talks in the SFU plane): our complete
        send-only offer, to send as ``media.offer``. Silent until keyed with `set_microphone`, like a voice link;
        `accept_answer` and `close_session` take it by its session as any other."""
        self._running()
        if session in self._sessions:
            raise ValueError(f"session {session} is already open")
        worker, _generation = self._place(session, None, 1)
        try:
            offer = await self._call(worker, OpenPublish(session))
        except BaseException:
            self._sessions.pop(session, None)
            worker.sessions.pop(session, None)
            raise
        log.info("session %s: the microphone published from worker %d", session, worker.index)
        return str(offer)

    def _tile_for(self, wall: FrameWall, tile: int | None) -> int:
        if tile is None:
            return self._free_tile(wall)
        if not 0 <= tile < wall.tiles:
            raise ValueError(f"tile {tile} is not on the wall (0..{wall.tiles - 1})")
        if any(s.tile == tile for s in self._sessions.values()):
            raise ValueError(f"tile {tile} already shows another session")
        return tile

    def _place(self, session: str, tile: int | None, load: int) -> tuple[_Worker, int]:
        """The least-loaded live worker for a new session, and the tile's next generation."""
        live = [w for w in self._workers if not w.lost]
        if not live:
            raise MediaWorkerLost("EOFError", "no media worker is running")
        worker = min(live, key=lambda w: (w.load, w.index))
        generation = 0
        if tile is not None:
            self._generations[tile] += 1
            generation = self._generations[tile]
        self._sessions[session] = _Session(session, worker.index, tile)
        worker.sessions[session] = load
        return worker, generation

    def set_quality(self, session: str, quality: Literal["thumb", "hd"]) -> None:
        """Note a session's new quality, which only re-weighs its worker's load for placing new sessions.

        The switch itself is the source's (SPEC: it changes resolution without renegotiation); the tile
        simply receives pictures of the new size.
        """
        found = self._sessions.get(session)
        if found is None:
            raise KeyError(f"no session {session}")
        worker = self._workers[found.worker]
        if session in worker.sessions and found.tile is not None:
            worker.sessions[session] = LOAD.get(quality, 1)

    async def accept_answer(self, session: str, sdp: str) -> None:
        """Apply the source's relayed SDP answer."""
        await self._call(self._worker_of(session), AcceptAnswer(session, sdp))

    async def close_session(self, session: str) -> bool:
        """End a session: its frames stop and its tile is emptied. False if it was not open."""
        found = self._sessions.get(session)
        if found is None:
            return False
        worker = self._workers[found.worker]
        try:
            if not worker.lost:
                await self._call(worker, CloseReceive(session))
        finally:
            self._sessions.pop(session, None)
            worker.sessions.pop(session, None)
        return True

    def _worker_of(self, session: str) -> _Worker:
        found = self._sessions.get(session)
        if found is None:
            raise KeyError(f"no session {session}")
        return self._workers[found.worker]

    def tile_of(self, session: str) -> int | None:
        """The tile a session's video lands on (None for audio-only or unknown sessions)."""
        found = self._sessions.get(session)
        return found.tile if found is not None else None

    def state_of(self, session: str) -> str | None:
        """The session's last reported media state (None if unknown)."""
        found = self._sessions.get(session)
        return found.state if found is not None else None

    def worker_of(self, session: str) -> int:
        """The index of the worker receiving a session."""
        return self._worker_of(session).index

    @property
    def sessions(self) -> list[str]:
        return list(self._sessions)

    async def stats(self, session: str | None = None) -> dict[str, SessionStats]:
        """Per-session receive stats (every session's when ``session`` is None)."""
        if session is not None:
            worker = self._worker_of(session)
            result = await self._call(worker, GetStats((session,)))
            assert isinstance(result, dict)
            return result
        merged: dict[str, SessionStats] = {}
        replies = await asyncio.gather(*(self._call(w, GetStats()) for w in self._workers if not w.lost))
        for reply in replies:
            assert isinstance(reply, dict)
            merged.update(reply)
        return merged

    async def ice_configurations(self) -> list[RTCConfiguration]:
        """Each live worker's peer-connection configuration as it uses it (its STUN/TURN servers; none unless
        configured): what diagnostics and tests check, since aiortc would fall back to a public STUN server."""
        replies = await asyncio.gather(*(self._call(w, GetConfiguration()) for w in self._workers if not w.lost))
        configurations = [reply for reply in replies if isinstance(reply, RTCConfiguration)]
        assert len(configurations) == len(replies)
        return configurations

    async def recent_audio(self, session: str, seconds: float = 1.0) -> npt.NDArray[np.int16]:
        """The last ``seconds`` of a session's received audio (mono, 48 kHz, int16)."""
        result = await self._call(self._worker_of(session), RecentAudio(session, seconds))
        assert isinstance(result, np.ndarray)
        return result

    async def set_microphone(self, sessions: Sequence[str], on: bool) -> int:
        """Key (or unkey) the microphone on voice links; how many of them changed. Unknown sessions are skipped."""
        by_worker: dict[int, list[str]] = {}
        for name in sessions:
            found = self._sessions.get(name)
            if found is not None:
                by_worker.setdefault(found.worker, []).append(name)
        replies = await asyncio.gather(*(self._call(self._workers[index], SetMicrophone(tuple(names), on))
                                         for index, names in by_worker.items() if not self._workers[index].lost))
        return sum(reply for reply in replies if isinstance(reply, int))

    async def drain_audio(self, positions: dict[str, int]) -> dict[str, tuple[int, npt.NDArray[np.int16]]]:
        """Audio received on each session since its position (a value this returned before, 0 at first):
        ``{session: (new position, mono 48 kHz int16)}``. Unknown sessions are left out."""
        by_worker: dict[int, list[tuple[str, int]]] = {}
        for name, position in positions.items():
            found = self._sessions.get(name)
            if found is not None:
                by_worker.setdefault(found.worker, []).append((name, position))
        replies = await asyncio.gather(*(self._call(self._workers[index], DrainAudio(tuple(pairs)))
                                         for index, pairs in by_worker.items() if not self._workers[index].lost))
        drained: dict[str, tuple[int, npt.NDArray[np.int16]]] = {}
        for reply in replies:
            assert isinstance(reply, dict)
            drained.update(reply)
        return drained

    async def tap_microphone(self, on: bool) -> bool:
        """Read the microphone into a worker's tap while the desk talks (``on``), for the recorder
        (media/mic_tap.py); whether that changed anything (False without a microphone)."""
        if not self.microphone:
            return False
        if self._tap is None or self._workers[self._tap[0]].lost:
            live = [w for w in self._workers if not w.lost]
            if not live or not on:
                return False
            self._tap = (live[0].index, 0)
        return bool(await self._call(self._workers[self._tap[0]], TapMicrophone(on)))

    async def drain_microphone(self) -> npt.NDArray[np.int16]:
        """The microphone's samples tapped since the last call (mono 48 kHz int16; empty when none)."""
        if self._tap is None or self._workers[self._tap[0]].lost:
            return np.zeros(0, dtype=np.int16)
        index, position = self._tap
        reply = await self._call(self._workers[index], DrainMicrophone(position))
        assert isinstance(reply, tuple)
        new_position, pcm = reply
        self._tap = (index, int(new_position))
        return np.asarray(pcm, dtype=np.int16)

    def read_tile(self, tile: int, since: int = -1) -> TileFrame | None:
        """The tile's latest frame if newer than ``since`` (a `TileFrame.seq`), else None; never blocks."""
        return self._running().read(tile, since)


def default_workers() -> int:
    """One worker per core the desk may use (at least one)."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
