"""A media worker process: aiortc on its own asyncio loop, receiving sessions the desk's `MediaEngine` gives it.

Started with the ``spawn`` method (no inherited Qt or event-loop state) by `MediaEngine`; one per core, because
aiortc's RTP path runs on one thread per process. It restricts ICE to the allowed addresses, attaches the desk's
`FrameWall`, then serves commands from its pipe (media/commands.py) until `Shutdown` or until the desk's end of
the pipe closes, which also ends it if the desk dies.
"""

from __future__ import annotations

import asyncio
import logging
import os
from multiprocessing.connection import Connection

from aiortc import RTCIceServer

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
from media.decode import DecodeThread
from media.frames import FrameWall
from media.ice import ice_configuration, restrict_host_addresses
from media.mic_publisher import MicPublication
from media.mic_tap import MicrophoneTap
from media.pacing import ReceivePacer, interval_from_environment
from media.receiver import DecodeErrorCounter, ReceiveSession

log = logging.getLogger(__name__)

__all__ = ["MediaWorker", "run"]


class MediaWorker:
    """The sessions of one worker process and the command loop that drives them."""

    def __init__(self, config: WorkerConfig, connection: Connection) -> None:
        self.config = config
        self._connection = connection
        self._wall = FrameWall.attach(config.wall)
        self._configuration = ice_configuration([
            RTCIceServer(urls=list(server.urls), username=server.username, credential=server.credential)
            for server in config.ice_servers
        ])
        self._decode_errors = DecodeErrorCounter()
        #: decodes every session's video off the loop thread (media/decode.py)
        self._decoding = DecodeThread(f"media-{config.index}-decode")
        self.sessions: dict[str, ReceiveSession] = {}
        #: batches the loop's packet reading while video is received (media/pacing.py)
        self._pacer = ReceivePacer(interval_from_environment(), self._receiving_video)
        #: the desk's microphone published into the SFU (media/mic_publisher.py), by session
        self.publications: dict[str, MicPublication] = {}
        #: the desk's microphone read while the desk talks, for its recorder (media/mic_tap.py)
        self.mic_tap = MicrophoneTap(config.microphone, config.audio_keep)
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()

    def _send(self, message: object) -> None:
        try:
            self._connection.send(message)
        except (OSError, EOFError):  # the desk went away; the read side notices and stops us
            self._stopping.set()

    def _session_state(self, session: str, state: str) -> None:
        self._send(SessionState(session, state))

    async def serve(self) -> None:
        """Answer commands until told to stop or the desk hangs up."""
        loop = asyncio.get_running_loop()
        self._decode_errors.install()
        loop.add_reader(self._connection.fileno(), self._readable)
        self._send(WorkerReady(self.config.index, os.getpid()))
        try:
            await self._stopping.wait()
        finally:
            loop.remove_reader(self._connection.fileno())
            for session in self.sessions.values():
                await session.close()
            for publication in self.publications.values():
                await publication.close()
            self.sessions.clear()
            self.publications.clear()
            await self.mic_tap.close()
            self._decode_errors.uninstall()
            self._pacer.stop()
            self._decoding.stop()
            self._wall.close()

    def _readable(self) -> None:
        try:
            while self._connection.poll():
                request, command = self._connection.recv()
                task = asyncio.create_task(self._handle(request, command))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        except (EOFError, OSError):
            log.info("media worker %d: the desk hung up", self.config.index)
            self._stopping.set()

    async def _handle(self, request: int, command: Command) -> None:
        try:
            value = await self._execute(command)
        except Exception as exc:  # every failure is an answer to the desk, never the end of the worker
            log.warning("media worker %d: %s failed: %s", self.config.index, type(command).__name__, exc)
            self._send(Failure(request, type(exc).__name__, str(exc)))
        else:
            self._send(Reply(request, value))

    def _receiving_video(self) -> bool:
        return any(session.tile is not None for session in self.sessions.values())

    def _session(self, session: str) -> ReceiveSession:
        found = self.sessions.get(session)
        if found is None:
            raise KeyError(f"no session {session} on media worker {self.config.index}")
        return found

    async def _execute(self, command: Command) -> object:
        if isinstance(command, OpenReceive):
            if command.session in self.sessions:
                raise ValueError(f"session {command.session} is already open")
            receiver = ReceiveSession(command.session, wall=self._wall, tile=command.tile,
                                      generation=command.generation, video=command.video, audio=command.audio,
                                      configuration=self._configuration, decode_errors=self._decode_errors,
                                      on_state=self._session_state, audio_keep=self.config.audio_keep,
                                      microphone=self.config.microphone if command.send_audio else None,
                                      decoding=self._decoding)
            self.sessions[command.session] = receiver
            self._pacer.wake()
            try:
                return await receiver.offer()
            except BaseException:
                del self.sessions[command.session]
                await receiver.close()
                raise
        if isinstance(command, AnswerReceive):
            if command.session in self.sessions:
                raise ValueError(f"session {command.session} is already open")
            receiver = ReceiveSession(command.session, wall=self._wall, tile=command.tile,
                                      generation=command.generation, video=command.tile is not None,
                                      audio=command.tile is None, configuration=self._configuration,
                                      decode_errors=self._decode_errors, on_state=self._session_state,
                                      audio_keep=self.config.audio_keep, decoding=self._decoding)
            self.sessions[command.session] = receiver
            self._pacer.wake()
            try:
                return await receiver.answer(command.offer)
            except BaseException:
                del self.sessions[command.session]
                await receiver.close()
                raise
        if isinstance(command, OpenPublish):
            if command.session in self.sessions or command.session in self.publications:
                raise ValueError(f"session {command.session} is already open")
            publication = MicPublication(command.session, configuration=self._configuration,
                                         microphone=self.config.microphone, on_state=self._session_state)
            self.publications[command.session] = publication
            try:
                return await publication.offer()
            except BaseException:
                del self.publications[command.session]
                await publication.close()
                raise
        if isinstance(command, AcceptAnswer):
            published = self.publications.get(command.session)
            await (published or self._session(command.session)).accept_answer(command.sdp)
            return None
        if isinstance(command, CloseReceive):
            closing: ReceiveSession | MicPublication | None = self.sessions.pop(command.session, None)
            closing = closing or self.publications.pop(command.session, None)
            if closing is not None:
                await closing.close()
            return closing is not None
        if isinstance(command, GetStats):
            names = command.sessions if command.sessions is not None else tuple(self.sessions)
            stats: dict[str, SessionStats] = {}
            for name in names:
                if name in self.sessions:
                    found = await self.sessions[name].stats()
                    stats[name] = SessionStats(**{**found.__dict__, "worker": self.config.index})
            return stats
        if isinstance(command, RecentAudio):
            return self._session(command.session).audio_tail.last(command.seconds)
        if isinstance(command, SetMicrophone):
            changed = 0
            for name in command.sessions:
                link: ReceiveSession | MicPublication | None = self.sessions.get(name) or self.publications.get(name)
                if link is not None and link.mic_open != command.on:
                    link.mic_open = command.on
                    changed += 1
            return changed
        if isinstance(command, DrainAudio):
            drained: dict[str, tuple[int, object]] = {}
            for name, position in command.positions:
                if name in self.sessions:
                    pcm, now_at = self.sessions[name].audio_tail.since(position)
                    drained[name] = (now_at, pcm)
            return drained
        if isinstance(command, TapMicrophone):
            return self.mic_tap.set(command.on)
        if isinstance(command, DrainMicrophone):
            pcm, position = self.mic_tap.since(command.position)
            return position, pcm
        if isinstance(command, GetConfiguration):
            return self._configuration
        if isinstance(command, Shutdown):
            self._stopping.set()
            return None
        raise TypeError(f"unknown command {command!r}")


def run(connection: Connection, config: WorkerConfig) -> None:
    """The worker process's entry point (a `multiprocessing` target)."""
    logging.basicConfig(level=config.log_level,
                        format=f"%(asctime)s media-worker-{config.index} %(name)s %(levelname)s %(message)s")
    restrict_host_addresses(config.allowed_addresses)
    try:  # uvloop, where installed: measured about 10 % less CPU on the RTP thread (docs/benchmarks.md, "Media")
        import uvloop
    except ImportError:
        asyncio.run(MediaWorker(config, connection).serve())
    else:
        uvloop.run(MediaWorker(config, connection).serve())
