"""Voice recordings as Opus in Ogg: write mono 48 kHz PCM into a file as it comes, read a file back as PCM.

Opus is what the voice links carry and what the desk re-encodes into: at 24 kbit/s mono (constrained VBR) it
keeps speech (and the test tones) intact at about 3 kB a second. Writing and reading are plain blocking calls
(PyAV, no asyncio, no clock): the desk runs them on its recording thread, never on the event loop or GUI thread.

Every failure to read a file is one error type, `RecordingError`, whose message names the file and says
what is wrong (missing, empty, not Ogg Opus, damaged); a truncated file reads as the audio it still holds,
and the caller that knows how long it should be (`read_ogg_opus`'s ``expected`` samples) gets a
`RecordingError` saying how much is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import av
import av.error
import numpy as np

from media.audio import AUDIO_RATE, Pcm

logger = logging.getLogger(__name__)

__all__ = ["BITRATE", "OggOpusWriter", "RecordingError", "read_ogg_opus"]

#: bits per second of recorded voice (Opus, mono)
BITRATE = 24_000
#: samples one Opus frame may add or lose at the ends of a file (20 ms)
_FRAME_SLACK = AUDIO_RATE // 50


class RecordingError(Exception):
    """A recording cannot be written or read; the message names the file and says why."""


class OggOpusWriter:
    """One Ogg Opus file, written as PCM arrives (`write`), finished by `close` (which returns the samples written).

    ``tags`` (Ogg comments, e.g. holder, group, call) are stored in the file so that it says what it is even
    without the desk's index.
    """

    def __init__(self, path: Path, *, tags: Mapping[str, str] | None = None, rate: int = AUDIO_RATE,
                 bitrate: int = BITRATE) -> None:
        self.path = path
        self.rate = rate
        self.samples = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # through an unbuffered file with a small I/O buffer: each Ogg page (about a second of audio) reaches
            # the disk as it is made, so a crash loses at most the last second or two of a burst
            self._file = open(path, "wb", buffering=0)  # noqa: SIM115 - closed in close()
        except OSError as exc:
            raise RecordingError(f"cannot write the recording {path}: {exc}") from exc
        try:
            self._container = av.open(self._file, "w", format="ogg", buffer_size=4096)
            for key, value in (tags or {}).items():
                self._container.metadata[key] = value
            self._stream = self._container.add_stream("libopus", rate=rate, layout="mono")
            self._stream.codec_context.bit_rate = bitrate
            # constrained VBR keeps the rate near ``bitrate`` whatever the sound (a pure tone doubles it in VBR)
            self._stream.codec_context.options = {"vbr": "constrained", "application": "voip"}
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            self._file.close()
            raise RecordingError(f"cannot write the recording {path}: {exc}") from exc
        self._closed = False

    def write(self, pcm: Pcm) -> None:
        """Append mono int16 samples at the writer's rate."""
        if self._closed:
            raise RecordingError(f"the recording {self.path} is closed")
        if not len(pcm):
            return
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(pcm, dtype=np.int16).reshape(1, -1), format="s16",
                                           layout="mono")
        frame.sample_rate = self.rate
        frame.pts = self.samples
        self.samples += len(pcm)
        try:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        except (av.error.FFmpegError, OSError) as exc:
            raise RecordingError(f"cannot write the recording {self.path}: {exc}") from exc

    def close(self) -> int:
        """Flush the encoder and finish the file (idempotent); the samples written."""
        if self._closed:
            return self.samples
        self._closed = True
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        except (av.error.FFmpegError, OSError) as exc:
            raise RecordingError(f"cannot finish the recording {self.path}: {exc}") from exc
        finally:
            try:
                self._container.close()
            finally:
                self._file.close()
        return self.samples


def read_ogg_opus(path: Path, *, expected: int | None = None) -> Pcm:
    """The recording at ``path`` as mono int16 PCM at 48 kHz.

    `RecordingError` when the file is missing, empty, not Ogg Opus or undecodable, and, given the ``expected``
    number of samples (from the desk's index), when it holds clearly fewer (truncated or damaged).
    """
    if not path.is_file():
        raise RecordingError(f"the recording {path} is missing")
    if path.stat().st_size == 0:
        raise RecordingError(f"the recording {path} is empty")
    parts: list[Pcm] = []
    try:
        with av.open(str(path), "r") as container:
            if not container.streams.audio:
                raise RecordingError(f"the recording {path} holds no audio")
            stream = container.streams.audio[0]
            if stream.codec_context.name != "opus":
                raise RecordingError(f"the recording {path} is {stream.codec_context.name}, not Opus")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=AUDIO_RATE)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    parts.append(out.to_ndarray().reshape(-1).astype(np.int16, copy=False))
            for out in resampler.resample(None):
                parts.append(out.to_ndarray().reshape(-1).astype(np.int16, copy=False))
    except RecordingError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise RecordingError(f"the recording {path} cannot be read (not Ogg Opus, or damaged): {exc}") from exc
    pcm: Pcm = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
    if expected is not None and len(pcm) + _FRAME_SLACK < expected:
        raise RecordingError(f"the recording {path} is damaged or truncated: {len(pcm) / AUDIO_RATE:.2f} s of "
                             f"{expected / AUDIO_RATE:.2f} s can be read")
    return pcm
