"""Decode a received video track on the worker's own loop thread, instead of in aiortc's decoder thread.

aiortc gives every `RTCRtpReceiver` a decoder thread fed through an unbounded `queue.Queue`, and hands each
decoded frame back to the event loop with `asyncio.run_coroutine_threadsafe` into another unbounded queue that
the track's reader drains. With 15 feeds in a worker that is 15 threads fighting the loop thread for the GIL at
every packet (each `recvfrom` and each SRTP call releases it), plus a future, a task and a self-pipe wake-up
per frame. Measured on the 30-feed wall (docs/benchmarks.md, "Media"), this hand-off cost more CPU than the
decoding itself.

`InlineDecoder` stands in for that queue: aiortc's receiver `put`s each encoded frame as its jitter buffer
completes it, and the frame is decoded with one PyAV codec context per track, either right there on the loop
thread or, as the media workers do it, on the worker's one `DecodeThread`; each picture goes straight to a
callback (the session's tile), on the decoding thread. No future, task or self-pipe per frame. The decoder
thread aiortc still starts asks `get` once, is told the stream ended, and exits at once.

Measured on the 30-feed wall (2 workers, runs alternated on the same machine): per frame received, a worker
spends about a fifth less CPU than on aiortc's path (a third less with the bandwidth estimator also off, see
media/receiver.py). Decoding on the loop thread costs about the same, but a worker that is one busy thread falls
behind first when other programs load the machine (its RTP reading waits for each 720p decode, and the kernel's
socket buffers then hold seconds of a thumbnail feed), so the workers use the thread.

This rests on two private details of aiortc's `RTCRtpReceiver` (checked for, not assumed): its decoder queue
attribute, and that the decoder thread reads only that queue. `take_over` says whether it could install
itself; when it cannot (another aiortc version), the session keeps aiortc's own path and drains the track.
Decoding errors are counted here and raise aiortc's decoder-error flag, so the receiver still asks the source
for a keyframe (RTCP PLI) exactly as aiortc's own thread would make it.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

import av
from aiortc import RTCRtpReceiver
from aiortc.codecs import get_decoder
from aiortc.codecs.base import Decoder
from aiortc.codecs.h264 import H264Decoder

log = logging.getLogger(__name__)

__all__ = ["DecodeThread", "InlineDecoder", "take_over"]

#: the private attributes of aiortc's RTCRtpReceiver this relies on (name-mangled)
_QUEUE = "_RTCRtpReceiver__decoder_queue"
_THREAD = "_RTCRtpReceiver__decoder_thread"
_ERROR = "_RTCRtpReceiver__decoder_error"


class InlineDecoder:
    """Decodes a receiver's encoded frames as they are handed over (see the module docstring).

    Without ``thread`` each frame is decoded at once, on the loop thread; with one, the frame is queued to that
    `DecodeThread` (shared by every session of the worker) and decoded there. ``on_frame(frame)`` gets every
    decoded picture on the thread that decoded it; ``on_end()`` is called once, on the loop thread, when the
    receiver stops (aiortc's end-of-stream, the `None` it puts). `stop` ends it from our side; once it returns,
    ``on_frame`` is not called again.
    """

    def __init__(self, name: str, on_frame: Callable[[av.VideoFrame], None],
                 on_end: Callable[[], None] | None = None, thread: DecodeThread | None = None) -> None:
        self.name = name
        self._on_frame = on_frame
        self._on_end = on_end
        self._thread = thread
        #: held while a frame is decoded and handed on, so that `stop` can wait for the one in flight
        self._busy = threading.Lock()
        self._decoder: Decoder | None = None
        self._codec: Any = None
        self._codec_name = ""
        self._context: Any = None
        #: aiortc's flag asking the receiver to send a PLI (set by `take_over`)
        self._error_flag: threading.Event | None = None
        self.encoded = 0
        self.decoded = 0
        self.errors = 0
        self.ended = False
        self._callback_failed = False

    # ----- the queue.Queue interface aiortc uses -----------------------------------------------------------

    def put(self, item: tuple[Any, Any] | None) -> None:
        """An encoded frame ``(codec parameters, JitterFrame)`` to decode now, or None: the stream ended."""
        if item is None:
            self._end()
            return
        if self.ended:
            return
        self.encoded += 1
        if self._thread is not None:
            self._thread.submit(self, item)
        else:
            self.decode(item)

    def decode(self, item: tuple[Any, Any]) -> None:
        """Decode one encoded frame and hand on its pictures (on the loop thread, or on the `DecodeThread`)."""
        with self._busy:
            if not self.ended:
                self._decode(item)

    def _decode(self, item: tuple[Any, Any]) -> None:
        codec, encoded = item
        if codec is not self._codec or self._decoder is None:  # (`codec.name` is computed: not per frame)
            if self._decoder is None or codec.name != self._codec_name:
                self._decoder = get_decoder(codec)
                self._codec_name = codec.name
                # H.264: its PyAV context, fed directly (aiortc's wrapper adds a call and a time base per frame)
                context = getattr(self._decoder, "codec", None)
                self._context = context if isinstance(self._decoder, H264Decoder) and isinstance(
                    context, av.CodecContext) else None
            self._codec = codec
        try:
            frames: list[Any] = (self._decode_h264(encoded.data, encoded.timestamp) if self._context is not None
                                 else self._decoder.decode(encoded))
        except av.FFmpegError as exc:
            # keep the decoder's state (as aiortc does): resetting it would fail every frame until a keyframe
            self.errors += 1
            if self._error_flag is not None:
                self._error_flag.set()  # the receiver sends a PLI with its next packet
            if self.errors == 1 or self.errors % 100 == 0:
                log.warning("%s: cannot decode a %s frame (%d so far): %s", self.name, codec.name, self.errors, exc)
            return
        for frame in frames:
            self.decoded += 1
            try:
                self._on_frame(frame)
            except Exception:  # never into aiortc's packet path: that would end the transport
                if not self._callback_failed:
                    log.exception("%s: a decoded frame could not be handed on", self.name)
                self._callback_failed = True

    def _decode_h264(self, data: bytes, pts: int) -> list[Any]:
        """One H.264 access unit through the session's PyAV context (a method of its own: bench/_profile.py finds
        the decoding by its name)."""
        packet = av.Packet(data)
        packet.pts = pts
        return self._context.decode(packet)  # type: ignore[no-any-return]

    def put_nowait(self, item: tuple[Any, Any] | None) -> None:
        self.put(item)

    def get(self, block: bool = True, timeout: float | None = None) -> tuple[Any, Any] | None:
        """What aiortc's decoder thread reads: the end at once, so that the thread exits."""
        return None

    # ----- ours --------------------------------------------------------------------------------------------

    def stop(self) -> None:
        """No more pictures: wait for a frame being decoded on the `DecodeThread` (a few ms at most), drop the
        queued ones. Safe to call more than once; ``on_end`` is not called."""
        with self._busy:
            self.ended = True
            self._decoder = None  # frees the codec context (and its frame pool) now

    def _end(self) -> None:
        if self.ended:
            return
        self.stop()
        if self._on_end is not None:
            self._on_end()


class DecodeThread:
    """One thread per worker process that decodes every session's video, in the order the frames completed.

    The loop thread only puts each encoded frame in a `queue.SimpleQueue` (C code: no Python lock or condition
    per frame); decoding runs here, mostly outside the GIL (PyAV releases it inside FFmpeg), so the RTP path keeps
    its pace while a 720p frame decodes, and a machine under load still gives the worker two threads' share of
    CPU rather than one. One thread rather than aiortc's one per receiver: 15 decoder threads contending for the
    GIL cost more than they decode.
    """

    _STOP = object()

    def __init__(self, name: str = "video-decode") -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        #: the most frames ever waiting (a decoder that cannot keep up shows here first)
        self.deepest = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, decoder: InlineDecoder, item: tuple[Any, Any]) -> None:
        """Queue a frame of ``decoder`` (called on the loop thread)."""
        self._queue.put((decoder, item))
        self.deepest = max(self.deepest, self._queue.qsize())

    def _run(self) -> None:
        get = self._queue.get
        while True:
            work = get()
            if work is self._STOP:
                return
            decoder, item = work
            try:
                decoder.decode(item)
            except Exception:  # one session's trouble must not end every session's decoding
                log.exception("%s: decoding failed", decoder.name)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop once the frames queued before are decoded (each decoder's own `stop` drops its frames)."""
        self._queue.put(self._STOP)
        self._thread.join(timeout)


def take_over(receiver: RTCRtpReceiver, decoder: InlineDecoder) -> bool:
    """Make ``decoder`` the receiver's decoder queue, before the receiver starts; False (and nothing changed)
    when this aiortc's receiver is not built the way this module expects, or has already started."""
    current = getattr(receiver, _QUEUE, None)
    error_flag = getattr(receiver, _ERROR, None)
    if (not isinstance(current, queue.Queue) or getattr(receiver, _THREAD, False) is not None
            or not isinstance(error_flag, threading.Event)):
        log.warning("%s: aiortc's receiver is not as expected; decoding in aiortc's own thread", decoder.name)
        return False
    setattr(receiver, _QUEUE, decoder)
    decoder._error_flag = error_flag
    return True
