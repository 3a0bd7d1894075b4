"""The emergency alert tone: a two-pitch pip pattern repeating until every emergency is acknowledged.

The WAV is generated with the standard library's ``wave`` at first use into the user's cache folder (nothing to
ship, nothing to decode). Sound is played with QtMultimedia's `QSoundEffect`. A desk without a sound device, or
without QtMultimedia at all, still runs: every failure to play is logged once, never raised.
"""

from __future__ import annotations

import logging
import math
import struct
import wave
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir
from PySide6.QtCore import QObject, QUrl

logger = logging.getLogger(__name__)

RATE = 22050
#: (frequency Hz, seconds); 0 Hz is silence. Two rising pip pairs, then a pause before the loop repeats.
PATTERN: tuple[tuple[float, float], ...] = ((988, 0.16), (0, 0.05), (1319, 0.16), (0, 0.12),
                                            (988, 0.16), (0, 0.05), (1319, 0.16), (0, 0.6))
TONE_NAME = "emergency-alert-1.wav"


def tone_path(folder: Path | None = None) -> Path:
    """The tone's WAV file, written now if it is not there yet."""
    folder = folder or Path(user_cache_dir("trunkdesk")) / "sounds"
    path = folder / TONE_NAME
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        write_tone(partial)
        partial.replace(path)  # never a half-written file under the real name
    return path


def write_tone(path: Path, pattern: tuple[tuple[float, float], ...] = PATTERN, rate: int = RATE) -> None:
    """Write ``pattern`` as 16-bit mono PCM, each pip shaped with a short fade so that it does not click."""
    frames = bytearray()
    fade = int(rate * 0.008)
    for frequency, seconds in pattern:
        count = int(rate * seconds)
        for i in range(count):
            if frequency <= 0:
                sample = 0.0
            else:
                envelope = min(1.0, i / fade, (count - 1 - i) / fade) if fade else 1.0
                sample = 0.6 * envelope * math.sin(2 * math.pi * frequency * i / rate)
            frames += struct.pack("<h", int(sample * 32767))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))


class AlertTone(QObject):
    """Plays the tone in a loop between `start` and `stop`; silent (and logging why) where sound cannot play."""

    def __init__(self, parent: QObject | None = None, *, folder: Path | None = None) -> None:
        super().__init__(parent)
        self._folder = folder
        self._effect: Any = None
        self._broken = False
        self._warned = False
        #: the tone should sound now (whether or not the machine can play it)
        self.sounding = False
        #: the dispatcher silenced it until the next new alert
        self.muted = False

    def start(self) -> None:
        """Sound the tone (again) unless it already sounds or the dispatcher muted it."""
        if self.sounding or self.muted:
            return
        self.sounding = True
        effect = self._ensure_effect()
        if effect is None:
            return
        try:
            effect.play()
        except Exception:  # a sound backend error must never stop the desk
            self._fail("playing the alert tone failed")

    def stop(self) -> None:
        if not self.sounding:
            return
        self.sounding = False
        if self._effect is not None:
            try:
                self._effect.stop()
            except Exception:
                self._fail("stopping the alert tone failed")

    def mute(self, muted: bool = True) -> None:
        """Silence the tone (until `mute(False)`, which the banner does when a new alert arrives)."""
        self.muted = muted
        if muted:
            self.stop()

    def _ensure_effect(self) -> Any:
        if self._effect is not None or self._broken:
            return self._effect
        try:
            from PySide6.QtMultimedia import QSoundEffect

            path = tone_path(self._folder)
            effect = QSoundEffect(self)
            effect.setSource(QUrl.fromLocalFile(str(path)))
            effect.setLoopCount(QSoundEffect.Loop.Infinite.value)
            effect.setVolume(1.0)
            effect.statusChanged.connect(self._on_status)
        except Exception:
            self._fail("the alert tone cannot be played here")
            return None
        self._effect = effect
        return effect

    def _on_status(self) -> None:
        effect = self._effect
        if effect is not None and effect.status() == effect.Status.Error and not self._warned:
            self._warned = True
            logger.warning("the alert tone cannot be played (no sound device?): the banner still shows alerts")

    def _fail(self, what: str) -> None:
        if not self._broken:
            logger.warning("%s; the banner still shows alerts", what, exc_info=True)
        self._broken = True


__all__ = ["PATTERN", "RATE", "AlertTone", "tone_path", "write_tone"]
