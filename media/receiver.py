"""One receive session in a media worker: the sink's peer connection, its drained tracks and their counters.

The sink offers (SPEC.md §5.14): receive-only video (H.264, what our sources send) and, when asked, audio; a
voice link also sends the desk's microphone on its audio (send-receive), let through only while the desk keys it
(`mic_open`: the desk holds the floor of a call the source takes part in). The offer is complete (aiortc
gathers every candidate in `setLocalDescription`). Every received track is drained for as long as it lives,
whether or not a tile shows it: aiortc decodes into unbounded queues, so a track nobody reads grows without limit.
Video frames go to the session's tile of the `FrameWall`; audio keeps a short tail.

Video is handed over as the jitter buffer completes each frame (`media.decode`) and decoded on the worker's one
decode thread (or on the loop thread when no `DecodeThread` is given), not in aiortc's per-receiver decoder
thread: those hand-offs cost more than the decoding (see that module). Audio (a few voice links, 50 small frames
a second) keeps aiortc's path.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.audio import AudioTail
from media.commands import SessionStats, StreamStats
from media.decode import DecodeThread, InlineDecoder, take_over
from media.fast_video import FastVideo
from media.frames import FrameWall
from media.sender import h264_preferences
from media.sources import GatedTrack, microphone_track

log = logging.getLogger(__name__)

__all__ = ["AudioTail", "DecodeErrorCounter", "ReceiveSession", "StreamCounter"]

#: aiortc's receive-side bandwidth estimator (private, name-mangled): None turns REMB off
_ESTIMATOR = "_RTCRtpReceiver__remote_bitrate_estimator"
#: window of the frame-rate estimate, seconds
FPS_WINDOW = 2.0
#: longest wait for a drain loop to end after its peer connection closed
DRAIN_END_TIMEOUT = 2.0
#: video packets take `media.fast_video`'s path (compiled when built; TRUNKDESK_VIDEO_PATH=python keeps it in Python)
#: unless TRUNKDESK_VIDEO_PATH=aiortc (diagnostic switches: A/B runs, or a fall-back should an aiortc release break
#: it; docs/configuration.md)
FAST_VIDEO = os.environ.get("TRUNKDESK_VIDEO_PATH", "fast").strip().lower() != "aiortc"


class DecodeErrorCounter(logging.Handler):
    """Counts aiortc's "failed to decode" warnings per decoder thread (aiortc keeps no such counter itself)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.by_thread: collections.Counter[int] = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread is not None and "failed to decode" in str(record.msg):
            self.by_thread[record.thread] += 1

    def install(self) -> None:
        logging.getLogger("aiortc.rtcrtpreceiver").addHandler(self)

    def uninstall(self) -> None:
        logging.getLogger("aiortc.rtcrtpreceiver").removeHandler(self)


def _decoder_thread(receiver: RTCRtpReceiver) -> threading.Thread | None:
    """The receiver's decoder thread (private to aiortc: looked up defensively, only to attribute errors)."""
    thread = getattr(receiver, "_RTCRtpReceiver__decoder_thread", None)
    return thread if isinstance(thread, threading.Thread) else None


class NackCounter:
    """Counts the distinct packets a video receiver asks again (NACK): the packets lost on the way, before
    retransmission repairs them (aiortc's own loss counter only sees what stays lost). Wraps the receiver's
    private NACK sender (looked up defensively: without it nothing is counted)."""

    KEEP = 4096

    def __init__(self, receiver: RTCRtpReceiver) -> None:
        self.count = 0
        self._asked: dict[int, None] = {}
        send = getattr(receiver, "_send_rtcp_nack", None)
        if send is None:
            return

        async def counting(media_ssrc: int, lost: list[int]) -> None:
            for sequence in lost:
                if sequence not in self._asked:
                    self._asked[sequence] = None
                    self.count += 1
            while len(self._asked) > self.KEEP:  # sequence numbers wrap: forget the oldest
                del self._asked[next(iter(self._asked))]
            await send(media_ssrc, lost)

        receiver._send_rtcp_nack = counting  # type: ignore[method-assign]


def _primary_stream(receiver: RTCRtpReceiver) -> tuple[int, int, float] | None:
    """(packets received, packets lost, jitter in ms) of the receiver's media stream, read from aiortc's own
    statistics (private: looked up defensively). Its `getStats` reports every SSRC of a receiver under one id, so
    once a retransmission (RTX) arrives the report shows the RTX stream's counts instead; the media stream is the
    one with the most packets."""
    streams = getattr(receiver, "_RTCRtpReceiver__remote_streams", None)
    if not isinstance(streams, dict) or not streams:
        return None
    try:
        stream = max(streams.values(), key=lambda s: s.packets_received)
        clock_rate = getattr(stream, "_clockrate", 0) or (90000 if receiver.track.kind == "video" else 48000)
        return int(stream.packets_received), max(0, int(stream.packets_lost)), stream.jitter * 1000.0 / clock_rate
    except (AttributeError, TypeError, ValueError, ZeroDivisionError):
        return None


class StreamCounter:
    """Frames, rate, freezes and age of one track, counted by its drain loop."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.frames = 0
        self.last: float | None = None
        self.mean_gap: float | None = None
        self.freezes = 0
        self.freeze_seconds = 0.0
        self.width = 0
        self.height = 0
        self._recent: collections.deque[float] = collections.deque()

    def frame(self, now: float) -> None:
        if self.last is not None:
            gap = now - self.last
            if self.mean_gap is not None and self.frames > 5 and gap > max(3 * self.mean_gap, self.mean_gap + 0.15):
                self.freezes += 1
                self.freeze_seconds += gap
            self.mean_gap = gap if self.mean_gap is None else 0.9 * self.mean_gap + 0.1 * gap
        self.frames += 1
        self.last = now
        self._recent.append(now)
        self._prune(now)

    def _prune(self, now: float) -> None:
        while self._recent and self._recent[0] < now - FPS_WINDOW:
            self._recent.popleft()

    def fps(self, now: float) -> float:
        # read without pruning: `frame` may run on the decode thread meanwhile (list() copies under the GIL)
        recent = [t for t in list(self._recent) if t >= now - FPS_WINDOW]
        if len(recent) < 2:
            return 0.0
        return (len(recent) - 1) / max(now - recent[0], 1e-6)

    def snapshot(self, now: float, *, decode_errors: int, packets_received: int, packets_lost: int,
                 jitter_ms: float = 0.0, packets_nacked: int = 0, video_path: str = "") -> StreamStats:
        return StreamStats(kind=self.kind, frames=self.frames, fps=round(self.fps(now), 2),
                           last_frame_age=None if self.last is None else now - self.last, freezes=self.freezes,
                           freeze_seconds=round(self.freeze_seconds, 3), decode_errors=decode_errors,
                           packets_received=packets_received, packets_lost=packets_lost, width=self.width,
                           height=self.height, jitter_ms=round(jitter_ms, 2), packets_nacked=packets_nacked,
                           video_path=video_path)


class ReceiveSession:
    """The sink of one media session (see the module docstring)."""

    def __init__(self, session: str, *, wall: FrameWall, tile: int | None, generation: int, video: bool,
                 audio: bool, configuration: RTCConfiguration, decode_errors: DecodeErrorCounter,
                 on_state: Callable[[str, str], None], audio_keep: float = 2.0,
                 microphone: str | None = None, decoding: DecodeThread | None = None) -> None:
        if not video and not audio:
            raise ValueError(f"session {session}: nothing to receive")
        self.session = session
        self.tile = tile
        self.generation = generation
        self._wall = wall
        self._want_video = video
        self._want_audio = audio
        #: the desk's microphone (a `microphone_track` spec) sent on the audio while `mic_open`; None: receive only
        self._microphone = microphone if audio else None
        self.mic_open = False
        self._mic: GatedTrack | None = None
        self._decode_errors = decode_errors
        #: the worker's video decode thread (None: decode on the loop thread as frames complete)
        self._decoding = decoding
        self._on_state = on_state
        self.video = StreamCounter("video")
        self.audio = StreamCounter("audio")
        self.audio_tail = AudioTail(audio_keep)
        self._receivers: dict[str, RTCRtpReceiver] = {}
        #: the video decoder on the loop thread (None: aiortc's own decoder thread, the track drained)
        self._video_decoder: InlineDecoder | None = None
        self._drains: set[asyncio.Task[None]] = set()
        self._write_failed = False
        self._closed = False
        self._nacks: NackCounter | None = None
        #: the lean video path (None: aiortc's, see `media.fast_video`); installed once the transports are final
        self._fast: FastVideo | None = None
        self._pc = RTCPeerConnection(configuration)
        self._pc.on("track", self._track)
        self._pc.on("connectionstatechange", self._state_changed)
        if tile is not None:
            wall.clear(tile, generation)

    @property
    def state(self) -> str:
        return str(self._pc.connectionState)

    def _state_changed(self) -> None:
        log.info("session %s: media %s", self.session, self.state)
        self._on_state(self.session, self.state)

    async def offer(self) -> str:
        """Our complete receive-only SDP offer."""
        if self._want_video:
            transceiver = self._pc.addTransceiver("video", direction="recvonly")
            transceiver.setCodecPreferences(h264_preferences())
            self._prepare_video(transceiver.receiver)
        if self._want_audio and self._microphone:
            self._mic = GatedTrack(microphone_track(self._microphone), lambda: self.mic_open)
            self._pc.addTransceiver(self._mic, direction="sendrecv")
        elif self._want_audio:
            self._pc.addTransceiver("audio", direction="recvonly")
        await self._pc.setLocalDescription(await self._pc.createOffer())
        return str(self._pc.localDescription.sdp)

    async def answer(self, offer: str) -> str:
        """Answer the SFU's offer instead of offering (SPEC §5.14.9: the SFU offers to sinks); our complete answer.
        Whatever the offer sends is received as `offer` would: video onto the tile, decoded inline, audio kept."""
        await self._pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        for transceiver in self._pc.getTransceivers():
            if transceiver.kind == "video" and self._video_decoder is None:
                self._prepare_video(transceiver.receiver)
        await self._pc.setLocalDescription(await self._pc.createAnswer())
        self._install_fast()
        return str(self._pc.localDescription.sdp)

    def _prepare_video(self, receiver: RTCRtpReceiver) -> None:
        """Before the video receiver starts: count its NACKs, decode with our decoder (`media.decode`), and
        estimate no bandwidth. aiortc's receive-side estimator (REMB) runs a delay-based model on every packet
        and reports every 500 ms, or every packet while it thinks the link overused; on the 30-feed wall it was
        about 15 % of the worker's CPU. REMB only steers a live encoder, and our sources send fixed-rate layers
        the desk picks itself (thumbnail or HD), so the desk sends none (RTCP receiver reports, NACK and PLI
        are unchanged)."""
        self._nacks = NackCounter(receiver)
        decoder = InlineDecoder(f"session {self.session}", self._show, thread=self._decoding)
        if take_over(receiver, decoder):
            self._video_decoder = decoder
            if FAST_VIDEO:
                self._fast = FastVideo(f"session {self.session}", receiver, decoder)
        if hasattr(receiver, _ESTIMATOR):
            setattr(receiver, _ESTIMATOR, None)

    async def accept_answer(self, sdp: str) -> None:
        """Apply the source's answer; media flows once ICE and DTLS complete."""
        await self._pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        self._install_fast()

    def _install_fast(self) -> None:
        """Put the video on the lean path now that the transports are final (bundled onto one); aiortc's path if
        it cannot be installed."""
        if self._fast is not None and not self._fast.installed and not self._fast.install():
            self._fast = None

    @property
    def fast_video(self) -> FastVideo | None:
        """The lean video path when it carries this session's video (diagnostics, tests)."""
        return self._fast

    def _track(self, track: MediaStreamTrack) -> None:
        for transceiver in self._pc.getTransceivers():
            if transceiver.receiver.track is track:
                self._receivers[track.kind] = transceiver.receiver
        if track.kind == "video" and self._video_decoder is not None:
            return  # decoded as it arrives (`_show`); the track itself carries nothing
        drain = self._drain_video(track) if track.kind == "video" else self._drain_audio(track)
        task = asyncio.create_task(drain, name=f"drain-{self.session}-{track.kind}")
        self._drains.add(task)
        task.add_done_callback(self._drains.discard)

    def _show(self, frame: av.VideoFrame) -> None:
        """A decoded picture: count it and put it on the tile."""
        now = time.monotonic()
        self.video.frame(now)
        self.video.width, self.video.height = frame.width, frame.height
        if self.tile is None or self._closed:
            return
        try:
            self._wall.write(self.tile, frame, timestamp=now)
        except (ValueError, av.FFmpegError) as exc:  # keep receiving whatever the picture does
            if not self._write_failed:
                log.warning("session %s: cannot show %dx%d %s frames on tile %d: %s", self.session,
                            frame.width, frame.height, frame.format.name, self.tile, exc)
            self._write_failed = True

    async def _drain_video(self, track: MediaStreamTrack) -> None:
        """aiortc's own path (when `take_over` could not install the inline decoder)."""
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if isinstance(frame, av.VideoFrame):
                self._show(frame)
            else:
                self.video.frame(time.monotonic())

    async def _drain_audio(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.audio.frame(time.monotonic())
            if isinstance(frame, av.AudioFrame):
                self.audio_tail.add(frame)

    async def stats(self) -> SessionStats:
        now = time.monotonic()
        packets: dict[str, tuple[int, int, float]] = {}
        for kind, rtp_receiver in self._receivers.items():
            primary = _primary_stream(rtp_receiver) if not self._closed else None
            if primary is not None:
                packets[kind] = primary
        bytes_received = self._transport_bytes()
        if bytes_received is None or len(packets) < len(self._receivers):
            # aiortc's full report (a few hundred microseconds a session): only when its counters are not at hand
            report: dict[str, Any] = dict(await self._pc.getStats()) if not self._closed else {}
            bytes_received = 0
            for entry in report.values():
                if entry.type == "inbound-rtp":
                    packets.setdefault(entry.kind, (entry.packetsReceived, entry.packetsLost, 0.0))
                elif entry.type == "transport":
                    bytes_received = max(bytes_received, entry.bytesReceived)
        if self._fast is not None:
            bytes_received += self._fast.bytes_received  # the lean path's datagrams bypass the transport's counters
        streams: dict[str, StreamStats | None] = {}
        for kind, counter, wanted in (("video", self.video, self._want_video), ("audio", self.audio,
                                                                                 self._want_audio)):
            receiver = self._receivers.get(kind)
            if kind == "video" and self._video_decoder is not None:
                errors = self._video_decoder.errors
            else:
                thread = _decoder_thread(receiver) if receiver is not None else None
                errors = self._decode_errors.by_thread.get(thread.ident, 0) if thread and thread.ident else 0
            received, lost, jitter = packets.get(kind, (0, 0, 0.0))
            nacked = self._nacks.count if kind == "video" and self._nacks is not None else 0
            streams[kind] = counter.snapshot(now, decode_errors=errors, packets_received=received,
                                             packets_lost=lost, jitter_ms=jitter, packets_nacked=nacked,
                                             video_path=self._video_path() if kind == "video" else "",
                                             ) if wanted else None
        return SessionStats(session=self.session, worker=-1, tile=self.tile, state=self.state,
                            bytes_received=bytes_received, video=streams["video"], audio=streams["audio"])

    def _video_path(self) -> str:
        if self._fast is not None:
            return "compiled" if self._fast.compiled else "python"
        return "aiortc"

    def _transport_bytes(self) -> int | None:
        """Bytes the session's (bundled) transport received, read off aiortc's counter (private: None if absent)."""
        if self._closed:
            return None
        transports = {id(t.receiver.transport): t.receiver.transport for t in self._pc.getTransceivers()}
        counts = [getattr(t, "_RTCDtlsTransport__rx_bytes", None) for t in transports.values()]
        if not counts or not all(isinstance(c, int) for c in counts):
            return None
        return max(c for c in counts if isinstance(c, int))

    async def close(self) -> None:
        """Close the peer connection, wait for the drains to end, empty the tile."""
        if self._closed:
            return
        self._closed = True
        self.mic_open = False
        await self._pc.close()
        if self._fast is not None:
            self._fast.uninstall()
        if self._video_decoder is not None:
            self._video_decoder.stop()  # no picture lands on the tile after this (it may be given to another)
        if self._mic is not None:
            self._mic.stop()
        drains = set(self._drains)
        if drains:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*drains, return_exceptions=True), DRAIN_END_TIMEOUT)
        if self.tile is not None:
            self._wall.clear(self.tile, self.generation)
        log.info("session %s: closed after %d video and %d audio frames", self.session, self.video.frames,
                 self.audio.frames)
        if self._fast is not None:
            fast, assembled = self._fast, self._fast.assembler
            log.info("session %s: video path: %d packets, %d frames, %d dropped, %d lost, %d asked again, "
                     "%d repaired, %d keyframe requests, %d unparsable, %d undecryptable, %d resets", self.session,
                     fast.packets, assembled.frames, assembled.dropped_frames, assembled.lost, assembled.nacked,
                     assembled.recovered, fast.keyframe_requests, fast.unparsable, fast.undecryptable,
                     assembled.resets)
