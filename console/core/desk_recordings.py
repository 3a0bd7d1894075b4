"""The desk's recording commands: replay the last seconds of a group, play a recording, stop playing.

A mixin of `Desk` (desk.py), kept apart to keep that file to the platform's commands. What is recorded and how
is `DeskRecorder`'s (recordings.py); what plays goes into the desk's mix under the live audio
(`DeskMedia.play`), which keeps running as it was: no floor, call or voice link is touched.
"""

from __future__ import annotations

from typing import Any

from console.core.command_errors import CommandFailed
from console.core.media_desk import DeskMedia
from console.core.recordings import DeskRecorder, Replay
from media.audio import AUDIO_RATE, Pcm
from media.recording import RecordingError
from protocols import messages as wire
from protocols.constants import ErrorCode

__all__ = ["PLAYBACK", "PLAYBACK_GAIN", "RecordingCommands"]

#: gain of a replay or a recording played under the live audio (talkers of the selected group are at 1.0)
PLAYBACK_GAIN = 0.6
#: the mixer's name for what the desk plays back (one at a time: a new one replaces it)
PLAYBACK = "playback"


class RecordingCommands:
    """`Desk.replay`, `Desk.play_recording`, `Desk.stop_playback` (see the module docstring)."""

    recorder: DeskRecorder | None
    media: DeskMedia | None

    def _record(self, command: str, request: wire.Request | dict[str, Any], subjects: dict[str, str | None], *,
                result: dict[str, Any] | None = None, error: tuple[int, str] | None = None,
                outcome: str | None = None) -> None:
        raise NotImplementedError  # the desk's

    def _require_recorder(self, command: str, subjects: dict[str, str | None], request: dict[str, Any]) -> DeskRecorder:
        if self.recorder is None:
            self._record(command, request, subjects, error=(int(ErrorCode.NOT_FOUND), "this desk does not record"))
            raise CommandFailed(ErrorCode.NOT_FOUND, "this desk does not record")
        return self.recorder

    async def replay(self, group: str, seconds: float, *, play: bool = True) -> Replay:
        """The last ``seconds`` said in ``group`` (`DeskRecorder.replay`); with ``play`` (and media) it plays under
        the live audio, which goes on as it was (floors untouched). Usable headless: the audio is returned."""
        request = {"group": group, "seconds": seconds}
        recorder = self._require_recorder("replay", {"group": group}, request)
        try:
            replay = await recorder.replay(group, seconds)
        except ValueError as exc:
            self._record("replay", request, {"group": group}, error=(int(ErrorCode.BAD_MESSAGE), str(exc)))
            raise CommandFailed(ErrorCode.BAD_MESSAGE, str(exc)) from None
        if play and self.media is not None and len(replay.pcm):
            self.media.play(PLAYBACK, replay.pcm, PLAYBACK_GAIN)
        self._record("replay", request, {"group": group}, result={
            "seconds": round(replay.seconds, 2), "recordings": [s.id for s in replay.segments],
            "unreadable": list(replay.unreadable)})
        return replay

    async def play_recording(self, recording: str, *, play: bool = True) -> Pcm:
        """A recording's audio (an event's ``recording``); with ``play`` (and media) it plays under the live
        audio. `CommandFailed` (404) saying why when it cannot be read (pruned, missing, damaged)."""
        request = {"recording": recording}
        recorder = self._require_recorder("play_recording", {}, request)
        try:
            segment, pcm = await recorder.read(recording)
        except RecordingError as exc:
            self._record("play_recording", request, {}, error=(int(ErrorCode.NOT_FOUND), str(exc)))
            raise CommandFailed(ErrorCode.NOT_FOUND, str(exc)) from None
        if play and self.media is not None and len(pcm):
            self.media.play(PLAYBACK, pcm, PLAYBACK_GAIN)
        self._record("play_recording", request, {"group": segment.group, "call": segment.call,
                                                 "terminal": segment.talker},
                     result={"seconds": round(len(pcm) / AUDIO_RATE, 2)})
        return pcm

    def stop_playback(self) -> bool:
        """Stop a replay or recording playing; whether one was."""
        return self.media.voice.mixer.stop_overlay(PLAYBACK) if self.media is not None else False

    @property
    def playback_left(self) -> float:
        """Seconds of replay or recording still to play."""
        return self.media.voice.mixer.overlay_left(PLAYBACK) if self.media is not None else 0.0

