"""The desk's voice links, carried out: the voice plan followed, links pulled, the microphone keyed and tapped.

A mixin of `DeskMedia` (media_desk.py), kept apart to keep that file to the sessions themselves. `DeskVoice`
(voice.py) decides, without I/O, which voice links are wanted, which are keyed and when the desk talks; this mixin
does what it decides, in one loop that wakes whenever floors, calls or links change (`_voice_changed`) and at least
each `ACTIVITY_EVERY` seconds for idle links:

- it pulls the links the plan opens (`voice_link`; just after a failover with patience, `MediaRestoring._ask`) and
  stops those it closes;
- it keys and unkeys the links' microphones in the engine, and the desk's SFU publication (`SfuTalk`);
- while the desk talks it taps the microphone for the recorder (media/mic_tap.py), the audio loop (media_audio.py)
  draining what the tap holds;
- it starts the engine ahead of need for a desk that keeps warm links or taps its microphone, so that a first talker
  loses at most its link's set-up; a failed start is tried again after `VOICE_START_RETRY` seconds, not at every turn;
- it tells the platform each second that the desk sends media in the calls it holds (`media.activity`).

The loop starts with the first message the desk receives (`_follow_voice`), not with the engine: the engine starts
only once a link (or the microphone's tap) is wanted.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from console.core.media_records import Pull
from console.core.voice import DeskVoice
from console.core.world import World
from media.engine import MediaEngine, MediaWorkerError
from protocols import messages as wire

if TYPE_CHECKING:
    from console.core.media_desk import MediaOptions

logger = logging.getLogger(__name__)

__all__ = ["ACTIVITY_EVERY", "VOICE_START_RETRY", "VoiceLinks"]

#: seconds between two `media.activity` reports while the desk talks (the platform's T1 is 4 s)
ACTIVITY_EVERY = 1.0
#: seconds before a failed start of the engine ahead of need (warm links, the microphone's tap) is tried again
VOICE_START_RETRY = 30.0


class VoiceLinks:
    """The voice loop and what it does each turn (see the module docstring)."""

    settings: MediaOptions
    voice: DeskVoice
    world: World
    engine: MediaEngine | None
    _starting: asyncio.Future[MediaEngine] | None
    _closed: bool
    _tasks: set[asyncio.Task[Any]]
    #: a defaultdict (DeskMedia's): a source with no pull yet has an empty deque
    _pulls: dict[str, collections.deque[Pull]]
    _voice_changed: asyncio.Event
    restoring_until: float

    def _init_voice_links(self) -> None:
        self._activity_sent: dict[str, float] = {}
        self._voice_task: asyncio.Task[None] | None = None
        #: the microphone is tapped for the recorder (the desk talks), and its tap still has samples to read
        self._mic_tapped = False
        self._mic_draining = False
        #: monotonic time before which the engine is not started again ahead of need (after a failed start)
        self._start_again_at = 0.0

    async def start(self) -> MediaEngine:
        raise NotImplementedError  # DeskMedia's

    def _spawn(self, coroutine: Awaitable[Any], name: str) -> None:
        raise NotImplementedError  # DeskMedia's

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        raise NotImplementedError  # DeskMedia's

    def _send(self, message: wire.Notification) -> None:
        raise NotImplementedError  # DeskMedia's

    async def _stop(self, session: str, command: str, *, quiet: bool = False, record: bool = True) -> None:
        raise NotImplementedError  # DeskMedia's

    def _forget_pull(self, source: str, pull: Pull) -> None:
        raise NotImplementedError  # DeskMedia's

    async def _ask(self, command: str, request: wire.Request, *, until: float | None = None,
                   **subjects: str | None) -> wire.Ok:
        raise NotImplementedError  # MediaRestoring's

    def _stale_answer(self, session: str, command: str) -> None:
        raise NotImplementedError  # MediaRestoring's

    async def _key_publication(self, engine: MediaEngine) -> None:
        raise NotImplementedError  # SfuTalk's

    @property
    def talking_through_sfu(self) -> bool:
        raise NotImplementedError  # SfuTalk's

    # ----- the loop ---------------------------------------------------------------------------

    def _follow_voice(self) -> None:
        """Run the voice loop from the first message on (it starts the engine only once a link is wanted)."""
        if self._voice_task is None and self.settings.voice and not self._closed:
            self._voice_task = asyncio.get_running_loop().create_task(self._voice_loop(), name="desk-media-voice")
            self._tasks.add(self._voice_task)
            self._voice_task.add_done_callback(self._task_done)

    async def _voice_loop(self) -> None:
        """Carry out the voice plan whenever floors, calls or links change (and each second, for idle links)."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._voice_changed.wait(), ACTIVITY_EVERY)
            self._voice_changed.clear()
            engine = self.engine
            plan = self.voice.plan(time.monotonic(), engine.sessions if engine is not None else ())
            for terminal in plan.open:
                self._spawn(self._pull_voice(terminal), f"desk-voice-{terminal}")
            if (engine is None and self._starting is None and self.voice.warm_links and self.world.affiliations
                    and time.monotonic() >= self._start_again_at):
                # a desk that keeps warm links has its engine ready before anyone talks, even with no link yet: a
                # first talker then loses at most its link's set-up, not the engine's start (about half a second)
                self._spawn(self._start_for_voice(), "desk-media-start-warm")
            for session in plan.close:
                self._spawn(self._stop(session, "voice_stop", quiet=True), f"desk-voice-stop-{session}")
            if engine is not None:
                if plan.unkey:
                    await engine.set_microphone(plan.unkey, False)
                if plan.key:
                    await engine.set_microphone(plan.key, True)
                await self._key_publication(engine)
            await self._follow_microphone(engine)
            self._report_activity()

    async def _follow_microphone(self, engine: MediaEngine | None) -> None:
        """Tap the microphone for the recorder while the desk talks, links or not (media/mic_tap.py); the engine
        is started for it if it is not yet."""
        wanted = bool(self.settings.microphone) and bool(self.voice.speaking())
        if wanted == self._mic_tapped:
            return
        if engine is None:
            if wanted:
                self._spawn(self._start_for_voice(), "desk-media-start-microphone")
            return
        try:
            await engine.tap_microphone(wanted)
        except (MediaWorkerError, TimeoutError) as exc:
            logger.warning("the microphone is not %s for recording: %s", "tapped" if wanted else "untapped", exc)
            return
        self._mic_tapped = wanted
        self._mic_draining = True

    async def _start_for_voice(self) -> None:
        """Start the engine ahead of need (warm links, the microphone's tap); a failed start is tried again after
        `VOICE_START_RETRY` seconds, not at every turn of the voice loop."""
        try:
            await self.start()
        except (MediaWorkerError, RuntimeError, TimeoutError, OSError) as exc:
            logger.warning("media engine not started for voice: %s", exc)
            self._start_again_at = time.monotonic() + VOICE_START_RETRY
            return
        self._voice_changed.set()

    # ----- links and activity -----------------------------------------------------------------

    async def _pull_voice(self, terminal: str) -> None:
        await self.start()
        pull = Pull("voice")
        self._pulls[terminal].append(pull)
        now = time.monotonic()
        try:  # just after a failover the talker may not be back on the new active yet: patience
            ok = await self._ask("voice_link", wire.VideoPull(id=0, source=terminal, media="audio"),
                                 until=self.restoring_until if now < self.restoring_until else None, terminal=terminal)
        except Exception as exc:  # a refused or lost request: the next plan asks again if still wanted
            logger.info("voice link to %s not opened: %s", terminal, exc)
            self._forget_pull(terminal, pull)
            if not pull.stale:
                self.voice.failed(terminal, time.monotonic())
            return
        if pull.stale:  # asked before a failover: the plan asks the new active afresh
            self._stale_answer(str(ok.result["session"]), "voice_stop")
            link = self.voice.links.get(terminal)
            if link is not None and link.session is None:
                del self.voice.links[terminal]
            self._voice_changed.set()
            return
        if pull.session is None:
            pull.session = str(ok.result["session"])

    def _report_activity(self) -> None:
        """Tell the platform the desk sends media in the calls it holds (SPEC: `media.activity` each second)."""
        if not self.voice.keyed_sessions() and not self.talking_through_sfu:
            self._activity_sent.clear()
            return
        now = time.monotonic()
        for call in self.voice.holding():
            if now - self._activity_sent.get(call, 0.0) >= ACTIVITY_EVERY * 0.9:
                self._activity_sent[call] = now
                self._send(wire.MediaActivity(call=call, sending=True))
