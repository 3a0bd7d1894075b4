"""Recording what the desk hears, and instant replay: the desk's side of `RecordingStore` (recording_store.py).

Where the audio comes from: the voice links' received PCM, which the desk already reads from its media workers
every `AUDIO_TICK` for the mixer (`DeskVoice.take_audio`). The same chunks are handed to `DeskRecorder.take_audio`
on the event loop, which only decides where they belong (a dictionary look-up and a copy into a ring) and
queues them; the store's writer thread encodes them to Opus and writes the files. Re-encoding costs well under
one percent of a core per talker (bench/bench_recording.py); taking the received Opus packets as they are would
need a hook in aiortc's receive path, which the workers do not have. The dispatcher's own voice comes the same way:
its microphone, tapped in a media worker while the desk talks (media/mic_tap.py), is handed in under the dispatcher's
id (`DeskVoice.take_own_audio`), and ``heard`` (`DeskVoice.recorded`) names the call it talks in.

What a segment is: one talker's audio in one call, from the first audio the desk hears of a talk burst until the
talker no longer holds the floor (plus `LINGER`, for audio still in flight), cut every `MAX_SEGMENT` seconds and
after `SILENCE_CLOSE` seconds without audio (a full-duplex call). Each finished segment leaves a ``talk_burst``
event in the event log carrying the recording's id, which the log pane plays. Separately, every change of a
call's floor holder (the world's calls, the desk itself included) is kept as a `FloorHold`: who held the floor
from when to when.

Replay (`replay`): the last N seconds of what was said in a group: its segments back to back (newest last, a
`REPLAY_GAP` pause between two), the burst in progress included, cut to N seconds. It reads finished segments
from disk in a thread and open ones from memory, so it works the same after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from console.core.eventlog import EventLog
from console.core.recording_store import FloorHold, RecordingStore, Segment
from console.core.world import World
from media.audio import AUDIO_RATE, Pcm, PcmRing
from media.recording import RecordingError
from protocols import messages as wire

logger = logging.getLogger(__name__)

__all__ = ["LINGER", "LIVE_TAIL", "MAX_SEGMENT", "REPLAY_CHOICES", "REPLAY_GAP", "SILENCE_CLOSE", "DeskRecorder",
           "RecordingOptions", "Replay"]

#: seconds a talker's audio still belongs to its burst after the floor left it (audio in flight)
LINGER = 0.6
#: longest segment in seconds; a longer burst (or full-duplex call) goes on in a new segment
MAX_SEGMENT = 300.0
#: seconds without audio after which a segment is closed though its talker is still heard
SILENCE_CLOSE = 5.0
#: seconds of replay offered in the desk (the groups pane's menu)
REPLAY_CHOICES = (15, 30, 60)
#: pause between two talk bursts in a replay, seconds
REPLAY_GAP = 0.3
#: seconds of a segment being recorded kept in memory for replay
LIVE_TAIL = max(REPLAY_CHOICES) + 1.0
#: seconds between two looks at the open segments
TICK = 0.25

HeardFn = Callable[[], dict[str, wire.CallInfo]]


@dataclass(frozen=True)
class RecordingOptions:
    """Where recordings go and how long they stay (settings ``recording.folder`` and ``recording.keep_days``)."""

    folder: Path
    keep_days: float = 30.0


@dataclass(frozen=True)
class Replay:
    """The last seconds of a group's voice: ``pcm`` (mono 48 kHz int16), the segments it came from (oldest
    first), and those that could not be read (with why)."""

    group: str
    pcm: Pcm
    segments: tuple[Segment, ...]
    unreadable: tuple[str, ...] = ()

    @property
    def seconds(self) -> float:
        return len(self.pcm) / AUDIO_RATE


@dataclass
class _Recording:
    """A segment being recorded: its index entry, how much it holds, its newest audio (for replay)."""

    segment: Segment
    tail: PcmRing
    samples: int = 0
    last_audio: float = 0.0
    #: monotonic time its talker stopped being heard in its call (None while heard)
    unheard_since: float | None = None
    opened_at: float = field(default_factory=time.monotonic)


class DeskRecorder:
    """Records the talkers the desk hears and the floor holders of the calls it sees (see the module docstring).

    ``heard()`` says whose voice (a terminal's, or the dispatcher's own) belongs to which call now
    (`DeskVoice.recorded`). Call `take_audio` with
    each chunk a voice link brought, `handle` after the world applied each notification, and `close` at the end.
    """

    def __init__(self, options: RecordingOptions, *, log: EventLog, world: World, heard: HeardFn,
                 clock: Callable[[], float] = time.time) -> None:
        self.options = options
        self.store = RecordingStore(options.folder, keep_days=options.keep_days, clock=clock)
        self.log = log
        self.world = world
        self._heard = heard
        self.clock = clock
        #: segments being recorded, by talker
        self.recording: dict[str, _Recording] = {}
        #: the floor holder the store was last told of, by call
        self._holders: dict[str, tuple[str, str, str | None]] = {}
        #: samples received from talkers the desk does not hear in any call (dropped)
        self.unattributed = 0
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    # ----- audio ------------------------------------------------------------------------------

    def take_audio(self, terminal: str, pcm: Pcm) -> None:
        """A voice link's received samples (mono 48 kHz int16): append them to the talker's segment."""
        if self._closed or not len(pcm):
            return
        self._ensure_ticking()
        now = time.monotonic()
        call = self._heard().get(terminal)
        current = self.recording.get(terminal)
        if current is not None and call is not None and current.segment.call != call.id:
            self._finish(current)  # the talker moved on to another call
            current = None
        if current is None:
            if call is None:
                self.unattributed += len(pcm)
                return
            current = self._start(terminal, call, len(pcm))
        elif current.samples >= MAX_SEGMENT * AUDIO_RATE:
            self._finish(current)
            if call is None:
                return
            current = self._start(terminal, call, len(pcm))
        current.samples += len(pcm)
        current.last_audio = now
        current.tail.add_pcm(pcm)
        self.store.append(current.segment.id, pcm.copy())

    def _start(self, terminal: str, call: wire.CallInfo, first: int) -> _Recording:
        started_ms = int(self.clock() * 1000) - first * 1000 // AUDIO_RATE
        segment = self.store.open_segment(Segment(uuid.uuid4().hex[:16], call.id, call.group, call.kind, terminal,
                                                  started_ms))
        found = self.recording[terminal] = _Recording(segment, PcmRing(LIVE_TAIL))
        logger.info("recording %s in %s (%s)", terminal, call.group or call.id, segment.id)
        return found

    def _finish(self, found: _Recording) -> Segment:
        """Close a segment: its file is finished on the writer thread; the event log learns of the talk burst."""
        segment = found.segment
        self.recording.pop(segment.talker, None)
        ended_ms = segment.started_ms + found.samples * 1000 // AUDIO_RATE
        self.store.close_segment(segment.id, ended_ms)
        seconds = round(found.samples / AUDIO_RATE, 2)
        self.log.record("talk_burst", actor=segment.talker, at_ms=segment.started_ms,
                        terminal=segment.talker if segment.talker in self.world.terminals else None,
                        group=segment.group, call=segment.call,
                        summary={"talker": segment.talker, "group": segment.group, "call_kind": segment.call_kind,
                                 "seconds": seconds, "recording": segment.id},
                        data={"recording": segment.id, "file": segment.file, "started_ms": segment.started_ms,
                              "ended_ms": ended_ms, "samples": found.samples})
        logger.info("recorded %s in %s: %.1f s (%s)", segment.talker, segment.group or segment.call, seconds,
                    segment.id)
        return segment

    def tick(self, now: float | None = None) -> list[Segment]:
        """Close the segments whose talker is no longer heard (after `LINGER`) or silent too long; the closed."""
        now = time.monotonic() if now is None else now
        heard = self._heard() if self.recording else {}
        closed = []
        for terminal, found in list(self.recording.items()):
            call = heard.get(terminal)
            if call is not None and call.id == found.segment.call:
                found.unheard_since = None
                if now - found.last_audio < SILENCE_CLOSE:
                    continue
            elif found.unheard_since is None:
                found.unheard_since = now
            if now - max(found.unheard_since or 0.0, found.last_audio) >= LINGER:
                closed.append(self._finish(found))
        return closed

    # ----- floor holders ----------------------------------------------------------------------

    def handle(self, message: wire.Message) -> None:
        """After the world applied a notification: keep the floor holders' timeline."""
        if isinstance(message, wire.FloorGranted | wire.FloorTaken | wire.FloorIdle | wire.CallEnded
                      | wire.CallStarted | wire.Snapshot):
            self._ensure_ticking()
            self.sync_holders()

    def sync_holders(self) -> None:
        """Tell the store of every call whose floor holder changed since the last look."""
        now_ms = int(self.clock() * 1000)
        calls = self.world.calls
        for call_id in list(self._holders):
            info = calls.get(call_id)
            if info is None or info.holder != self._holders[call_id][0]:
                del self._holders[call_id]
                self.store.hold_ended(call_id, now_ms)
        for info in calls.values():
            if info.holder is not None and info.id not in self._holders:
                priority = str(info.holder_priority or "normal")
                self._holders[info.id] = (info.holder, priority, info.group)
                self.store.hold_started(FloorHold(info.id, info.group, info.holder, priority, now_ms))

    # ----- replay and playback ----------------------------------------------------------------

    async def replay(self, group: str, seconds: float) -> Replay:
        """The last ``seconds`` said in ``group`` (see the module docstring); empty when nothing was. A burst still
        in progress gives at most its last `LIVE_TAIL` seconds (what is kept of it in memory)."""
        if seconds <= 0:
            raise ValueError(f"replay needs a positive number of seconds (got {seconds})")
        need = int(seconds * AUDIO_RATE)
        gap = int(REPLAY_GAP * AUDIO_RATE)
        live = sorted((r for r in self.recording.values() if r.segment.group == group),
                      key=lambda r: r.segment.started_ms)
        pieces: list[tuple[Segment, Pcm]] = [(r.segment, r.tail.last(seconds)) for r in live]
        have = sum(len(p) + gap for _s, p in pieces)
        skip = {r.segment.id for r in live}
        older, unreadable = await asyncio.to_thread(self._read_back, group, need - have, gap, skip)
        pieces = sorted(older + pieces, key=lambda item: item[0].started_ms)
        joined: list[Pcm] = []
        for n, (_segment, pcm) in enumerate(pieces):
            if n:
                joined.append(np.zeros(gap, dtype=np.int16))
            joined.append(pcm)
        pcm = np.concatenate(joined)[-need:] if joined else np.zeros(0, dtype=np.int16)
        return Replay(group, pcm, tuple(s for s, _p in pieces), tuple(unreadable))

    def _read_back(self, group: str, need: int, gap: int, skip: set[str]) -> tuple[list[tuple[Segment, Pcm]],
                                                                                    list[str]]:
        """Finished segments of ``group``, newest first, until ``need`` samples (runs in a thread)."""
        found: list[tuple[Segment, Pcm]] = []
        unreadable: list[str] = []
        if need <= 0:
            return found, unreadable
        self.store.flush()
        for segment in self.store.segments(group=group, finished=True, limit=100):
            if segment.id in skip:
                continue
            try:
                pcm = self.store.read(segment)
            except RecordingError as exc:
                logger.warning("replay of %s: %s", group, exc)
                unreadable.append(str(exc))
                continue
            found.append((segment, pcm))
            need -= len(pcm) + gap
            if need <= 0:
                break
        return found, unreadable

    async def read(self, recording: str) -> tuple[Segment, Pcm]:
        """A recording's index entry and audio (read in a thread); `RecordingError` saying why it cannot be had."""
        def read() -> tuple[Segment, Pcm]:
            self.store.flush()
            segment = self.store.segment(recording)
            if segment is None:
                raise RecordingError(f"no recording {recording} (pruned, or never made)")
            return segment, self.store.read(segment)

        return await asyncio.to_thread(read)

    # ----- lifecycle --------------------------------------------------------------------------

    def _ensure_ticking(self) -> None:
        if self._task is None and not self._closed:
            with contextlib.suppress(RuntimeError):  # no running loop: `tick` is called by hand
                self._task = asyncio.get_running_loop().create_task(self._run(), name="desk-recorder")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            try:
                self.tick()
            except Exception:  # a bug here must not stop recording
                logger.exception("recorder tick failed")

    async def close(self) -> None:
        """Finish every segment and floor hold, then the store (its files are complete on disk)."""
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for found in list(self.recording.values()):
            self._finish(found)
        now_ms = int(self.clock() * 1000)
        for call in list(self._holders):
            self.store.hold_ended(call, now_ms)
        self._holders.clear()
        await asyncio.to_thread(self.store.close)
