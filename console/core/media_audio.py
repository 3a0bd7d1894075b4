"""The desk's audio output: the voice links' received audio read into the mixer, and the mix rendered in time.

A mixin of `DeskMedia` (media_desk.py), kept apart to keep that file to the sessions themselves. The audio loop runs
from the engine's start, or from the first playback without an engine (a replay, a recording: `play`), so that the
mix is rendered, paced by the clock, whether or not any voice link is open. Every `AUDIO_TICK` seconds it reads the
links `DeskVoice.to_read` names (those being heard each tick, idle ones every `IDLE_READ_EVERY` seconds) and hands
what they brought to the mixer; while the microphone is tapped for the recorder (the voice loop decides that:
media_voice.py) it also drains the tap, once more after the tap stopped for what it still held.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import Any

from console.core.voice import DeskVoice
from media.audio import Pcm
from media.engine import MediaEngine, MediaWorkerError

logger = logging.getLogger(__name__)

__all__ = ["AUDIO_TICK", "IDLE_READ_EVERY", "AudioOutput"]

#: seconds between two reads of the voice links' audio (and renders of the mix)
AUDIO_TICK = 0.04
#: seconds between two reads of idle voice links (nobody heard on them: warm links, links after a burst)
IDLE_READ_EVERY = 0.5


class AudioOutput:
    """`ensure_audio`, `play` and the audio loop (see the module docstring)."""

    voice: DeskVoice
    engine: MediaEngine | None
    _closed: bool
    #: set by the voice loop (media_voice.py): the microphone is tapped, its tap still has samples to read
    _mic_tapped: bool
    _mic_draining: bool

    def _init_audio(self) -> None:
        self._audio_running = False

    def _spawn(self, coroutine: Awaitable[Any], name: str) -> None:
        raise NotImplementedError  # DeskMedia's

    def ensure_audio(self) -> None:
        """Run the audio loop (from the engine's start, or from the first playback without an engine)."""
        if not self._audio_running and not self._closed:
            self._audio_running = True
            self._spawn(self._audio_loop(), "desk-media-audio")

    def play(self, name: str, pcm: Pcm, gain: float) -> None:
        """Play ``pcm`` once into the mix under the live audio (a replay, a recording); replaces ``name``'s."""
        self.voice.mixer.overlay(name, pcm, gain)
        self.ensure_audio()

    async def _audio_loop(self) -> None:
        """Read the voice links' audio into the mixer and render the mix, paced by the clock."""
        loop = asyncio.get_running_loop()
        rendered_until = loop.time()
        read_all_at = 0.0
        while True:
            await asyncio.sleep(AUDIO_TICK)
            engine = self.engine
            now = time.monotonic()
            every = now >= read_all_at
            if every:
                read_all_at = now + IDLE_READ_EVERY
            positions = {link.session: link.position for link in self.voice.to_read(now, every)
                         if engine is not None and link.session is not None and link.session in engine.sessions}
            if positions and engine is not None:
                try:
                    drained = await engine.drain_audio(positions)
                except (MediaWorkerError, TimeoutError) as exc:
                    logger.warning("voice audio not read: %s", exc)
                    drained = {}
                for session, (position, pcm) in drained.items():
                    self.voice.take_audio(session, position, pcm)
            if engine is not None and self._mic_draining:
                self._mic_draining = self._mic_tapped  # once more after the tap stopped: what it still held
                try:
                    self.voice.take_own_audio(await engine.drain_microphone())
                except (MediaWorkerError, TimeoutError) as exc:
                    logger.warning("the microphone's audio not read: %s", exc)
            now = loop.time()
            count = int((now - rendered_until) * self.voice.mixer.rate)
            if count > 0:
                self.voice.mixer.render(count)
                rendered_until += count / self.voice.mixer.rate
