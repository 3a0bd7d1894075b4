"""The video receive path below aiortc: a session's H.264 packets go from the socket to the decoder in one call.

aiortc keeps doing what it is good at and what happens rarely: ICE (aioice), the DTLS handshake, SRTP keys, RTCP
(sender reports in, receiver reports, NACK and PLI out), audio. What happens ~900 times a second per worker on the
30-feed wall, a video packet, no longer goes through aioice's STUN parse attempt, an asyncio queue and task hop,
aiortc's `RtpPacket`, header-extension map, statistics, NACK generator and jitter buffer: `FastVideo` sits on the
session's UDP sockets (the `datagram_received` of aioice's protocols), decrypts the packets of the negotiated H.264
and RTX payload types with the same libsrtp session aiortc set up, and hands them to a `media.rtp_video.H264Assembler`,
whose whole frames go to the session's `InlineDecoder` exactly as aiortc's jitter buffer handed them before.
Everything else (STUN, DTLS, RTCP, audio, any other payload type) takes aiortc's path unchanged, minus the failed
STUN parse for RTP/RTCP.

Its statistics live where aiortc keeps them (a `StreamStatistics` in the receiver's remote streams, fed here), so
aiortc's receiver reports, `getStats` and `media.receiver._primary_stream` see them as before. NACKs go out through
the receiver's `_send_rtcp_nack` (so `NackCounter` still counts them), keyframe requests through `_send_rtcp_pli`,
also when the decoder fails (aiortc's decoder-error flag).

Two implementations of the per-packet work, one policy:

- **compiled** (`media._rtpcore`, media/_rtpcore.c; the default when it was built, as `./dev setup` does): the
  datagram uvloop read goes from the socket's `datagram_received` to a whole frame without entering Python; SRTP runs
  in the libsrtp session aiortc set up (pylibsrtp's own, reached through cffi), and Python is called per frame, per
  NACK or keyframe request, per new source. It removed most of the worker's per-packet interpreter time on the
  30-feed wall (docs/benchmarks.md, "Media").
- **Python** (`media.rtp_video.H264Assembler` and `FastVideo._video`): the reference, fuzzed and tested against the
  compiled one packet for packet; used when the extension is not built or TRUNKDESK_VIDEO_PATH=python.

It rests on private details of aiortc/aioice/pylibsrtp (checked, not assumed): the receiver's codecs and remote
streams, the DTLS transport's `_rx_srtp`, the ICE transport's aioice `Connection` and its `_protocols`, and (for the
compiled path) pylibsrtp's cffi `ffi`/`lib` and its session's `_srtp`. `install` says whether it could; when it
cannot, the session keeps aiortc's path (`media.decode` then still decodes); when only the compiled path cannot be
used, the Python one is.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable
from typing import Any, Protocol

import pylibsrtp
from aiortc import RTCRtpReceiver
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpreceiver import StreamStatistics

from media.decode import InlineDecoder
from media.rtp_video import H264Assembler, RtpError, parse_rtp, unwrap_rtx

try:
    from media import _rtpcore  # type: ignore[attr-defined]
except ImportError:  # not built (no C compiler): the Python path
    _rtpcore = None

log = logging.getLogger(__name__)

__all__ = ["COMPILED", "CoreStatistics", "FastVideo", "ReceptionStatistics", "compiled_available"]

_CODECS = "_RTCRtpReceiver__codecs"
_STREAMS = "_RTCRtpReceiver__remote_streams"
_ERROR = "_RTCRtpReceiver__decoder_error"
#: fewest seconds between two keyframe requests (a keyframe takes a round trip and an encoder's effort)
PLI_INTERVAL = 0.5
#: bytes of kernel receive buffer asked for each video socket (`_enlarge_receive_buffer`)
RECEIVE_BUFFER = 1 << 20
VIDEO_CLOCK = 90000


def compiled_available() -> bool:
    """Whether media/_rtpcore.c was built into this installation."""
    return _rtpcore is not None


#: the per-packet work runs compiled (see the module docstring); TRUNKDESK_VIDEO_PATH=python keeps it in Python
COMPILED = compiled_available() and os.environ.get("TRUNKDESK_VIDEO_PATH", "").strip().lower() != "python"


class Counters(Protocol):
    """What both implementations count (H264Assembler's counters; `media._rtpcore.VideoPath` has the same)."""

    received: int
    duplicates: int
    late: int
    malformed: int
    lost: int
    nacked: int
    recovered: int
    frames: int
    dropped_frames: int
    resets: int


class ReceptionStatistics(StreamStatistics):
    """aiortc's per-SSRC reception statistics (RFC 3550 A.3, A.8), fed from header fields rather than packets."""

    def count(self, sequence: int, timestamp: int, now: float) -> None:
        in_order = self.max_seq is None or 0 < ((sequence - self.max_seq) & 0xFFFF) < 0x8000
        self.packets_received += 1
        if self.base_seq is None:
            self.base_seq = sequence
        if in_order:
            arrival = int(now * self._clockrate)
            if self.max_seq is not None and sequence < self.max_seq:
                self.cycles += 1 << 16
            self.max_seq = sequence
            if timestamp != self._last_timestamp and self.packets_received > 1 and self._last_arrival is not None \
                    and self._last_timestamp is not None:
                diff = abs((arrival - self._last_arrival) - (timestamp - self._last_timestamp))
                self._jitter_q4 += diff - ((self._jitter_q4 + 8) >> 4)
            self._last_arrival = arrival
            self._last_timestamp = timestamp


class CoreStatistics(StreamStatistics):
    """aiortc's per-SSRC reception statistics read from the compiled path, which counts them per packet (the same
    arithmetic as `ReceptionStatistics.count`); aiortc's receiver reports and `getStats` read it as before."""

    def __init__(self, core: Any) -> None:
        self._core = core
        self._clockrate = VIDEO_CLOCK
        self._expected_prior = 0
        self._received_prior = 0

    @property
    def base_seq(self) -> int | None:  # type: ignore[override]
        return self._core.base_seq  # type: ignore[no-any-return]

    @property
    def max_seq(self) -> int | None:  # type: ignore[override]
        return self._core.max_seq  # type: ignore[no-any-return]

    @property
    def cycles(self) -> int:  # type: ignore[override]
        return self._core.cycles  # type: ignore[no-any-return]

    @property
    def packets_received(self) -> int:  # type: ignore[override]
        return self._core.packets_received  # type: ignore[no-any-return]

    @property
    def _jitter_q4(self) -> int:  # type: ignore[override]
        return self._core.jitter_q4  # type: ignore[no-any-return]

    def add(self, packet: Any) -> None:
        """A packet of this source that took aiortc's own path (a payload type negotiated after the compiled path
        learnt its own, say): counted by the core like the others (aiortc calls this; the fields are read-only)."""
        self._core.count(packet.sequence_number, packet.timestamp)

    def snapshot(self) -> ReceptionStatistics:
        """The figures now, kept apart (the source changes: the core starts counting the new one)."""
        kept = ReceptionStatistics(VIDEO_CLOCK)
        kept.base_seq, kept.max_seq, kept.cycles = self.base_seq, self.max_seq, self.cycles
        kept.packets_received, kept._jitter_q4 = self.packets_received, self._jitter_q4
        kept._expected_prior, kept._received_prior = self._expected_prior, self._received_prior
        return kept


def _srtp_pointers(session: Any) -> tuple[int, int]:
    """pylibsrtp's ``srtp_unprotect`` and the session's ``srtp_t``, as addresses for the compiled path."""
    from pylibsrtp._binding import ffi, lib  # type: ignore[import-not-found]

    return (int(ffi.cast("uintptr_t", ffi.addressof(lib, "srtp_unprotect"))),
            int(ffi.cast("uintptr_t", session._srtp[0])))


#: libsrtp 2's srtp_unprotect, as pylibsrtp's cffi declares it (media/_rtpcore.c calls it through this signature)
_UNPROTECT_TYPE = "srtp_err_status_t(*)(struct srtp_ctx_t_ *, void *, int *)"


def _srtp_reachable() -> bool:
    try:
        from pylibsrtp._binding import ffi, lib

        # the compiled path calls this function pointer itself: its C signature must be libsrtp 2's, exactly
        return (ffi.typeof(ffi.addressof(lib, "srtp_unprotect")).cname == _UNPROTECT_TYPE
                and hasattr(pylibsrtp.Session(), "_srtp"))
    except Exception:  # another pylibsrtp: the Python path
        return False


def _enlarge_receive_buffer(transport: Any, name: str) -> None:
    """Give a video socket `RECEIVE_BUFFER` bytes of kernel buffer (best effort): a 720p keyframe arrives as a
    burst of tens of packets, and a paced worker (media/pacing.py) reads its sockets every few milliseconds. The
    kernel's default (about 200 KB, some 90 datagrams of 1,200 bytes) has little room to spare; the kernel may grant
    less than asked (``net.core.rmem_max``), which is logged."""
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None:
        return
    try:
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) < RECEIVE_BUFFER:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
            if granted < RECEIVE_BUFFER:  # Linux reports twice what it was asked for, within rmem_max
                log.info("%s: video socket buffer %d bytes (asked %d; see net.core.rmem_max)", name, granted,
                         RECEIVE_BUFFER)
    except OSError as exc:
        log.info("%s: video socket buffer left as it is: %s", name, exc)


class FastVideo:
    """One session's video packets, from its sockets to its decoder (see the module docstring)."""

    def __init__(self, name: str, receiver: RTCRtpReceiver, decoder: InlineDecoder, *,
                 clock: Callable[[], float] = time.monotonic, assembler: H264Assembler | None = None,
                 compiled: bool | None = None) -> None:
        self.name = name
        self._receiver = receiver
        self._decoder = decoder
        self._clock = clock
        #: the per-packet work compiled (`media._rtpcore.VideoPath`, made by `install`); None: in Python
        self._core: Any = None
        self._compiled = (COMPILED if compiled is None else compiled and compiled_available()) and assembler is None \
            and clock is time.monotonic
        self._python = assembler or H264Assembler()
        self._srtp_owner: Any = None
        self._connection: Any = None
        self._patched: list[tuple[Any, Any]] = []
        #: payload type → H.264 codec parameters (media) ; RTX payload types
        self._media: dict[int, Any] = {}
        self._rtx: set[int] = set()
        self._media_ssrc: int | None = None
        #: the compiled path's: the codec its frames are decoded with, aiortc's decoder-error flag (known once the
        #: payload types are)
        self._codec: Any = None
        self._error_flag: Any = None
        self._stats: ReceptionStatistics | None = None
        self._last_pli = -PLI_INTERVAL
        self._tasks: set[asyncio.Task[None]] = set()
        self.installed = False
        self._packets = 0
        self._bytes = 0
        self._undecryptable = 0
        self._unparsable = 0
        self._keyframe_requests = 0

    # ----- what it counted (from whichever implementation carries the packets) -----------------------------------

    @property
    def compiled(self) -> bool:
        """Whether the packets take the compiled path (known once installed)."""
        return self._core is not None

    @property
    def assembler(self) -> Counters:
        """The frame assembly's counters (frames, dropped_frames, lost, nacked, recovered, resets, ...)."""
        return self._core if self._core is not None else self._python

    @property
    def packets(self) -> int:
        return self._core.packets if self._core is not None else self._packets

    @property
    def bytes_received(self) -> int:
        return self._core.bytes if self._core is not None else self._bytes

    @property
    def undecryptable(self) -> int:
        return self._core.undecryptable if self._core is not None else self._undecryptable

    @property
    def unparsable(self) -> int:
        return self._core.unparsable if self._core is not None else self._unparsable

    @property
    def keyframe_requests(self) -> int:
        return self._core.keyframe_requests if self._core is not None else self._keyframe_requests

    # ----- installing ---------------------------------------------------------------------------------------------

    def install(self) -> bool:
        """Sit on the session's sockets (once the transports are final: after the answer); False when this aiortc
        is not built as expected (nothing changed then)."""
        dtls = getattr(self._receiver, "transport", None)
        ice = getattr(dtls, "transport", None)
        connection = getattr(ice, "_connection", None)
        protocols = getattr(connection, "_protocols", None)
        if (not hasattr(dtls, "_rx_srtp") or connection is None or not isinstance(protocols, list) or not protocols
                or not callable(getattr(connection, "data_received", None))
                or not isinstance(getattr(self._receiver, _CODECS, None), dict)
                or not isinstance(getattr(self._receiver, _STREAMS, None), dict)):
            log.warning("%s: aiortc/aioice are not as expected; video takes aiortc's receive path", self.name)
            return False
        self._srtp_owner, self._connection = dtls, connection
        if self._compiled and not _srtp_reachable():
            log.warning("%s: pylibsrtp is not as expected; video packets take the Python path", self.name)
            self._compiled = False
        if self._compiled:
            python = self._python
            self._core = _rtpcore.VideoPath(
                dtls, self._decoder, self._learn_types, _srtp_pointers, self._core_frame, self._core_nacks,
                self._core_keyframe, self._core_source, self._core_unparsable, max_wait=python.max_wait,
                max_packets=python.max_packets, max_gap=python.max_gap, nack_retry=python.nack_retry,
                nack_tries=python.nack_tries)
        for protocol in protocols:
            _enlarge_receive_buffer(getattr(protocol, "transport", None), self.name)
            original = protocol.datagram_received
            component = protocol.local_candidate.component
            if self._core is not None:
                protocol.datagram_received = self._core.tap(original, connection.data_received, component)
            else:
                protocol.datagram_received = self._receive_on(original, component)
            self._patched.append((protocol, original))
        self.installed = True
        return True

    def uninstall(self) -> None:
        for protocol, original in self._patched:
            protocol.datagram_received = original
        self._patched.clear()
        if self._core is not None:
            self._core.close()
        for task in list(self._tasks):
            task.cancel()

    def _receive_on(self, original: Callable[[bytes, Any], None], component: int) -> Callable[[bytes, Any], None]:
        data_received = self._connection.data_received
        video = self._video

        def datagram_received(data: bytes, addr: Any) -> None:
            if len(data) > 1 and 127 < data[0] < 192:  # RTP or RTCP: never STUN (00) or DTLS (20-63)
                if not video(data):
                    data_received(data, component)
            else:
                original(data, addr)

        return datagram_received

    def _learn(self) -> bool:
        codecs: dict[int, Any] = getattr(self._receiver, _CODECS, {})
        for payload_type, codec in codecs.items():
            mime = str(getattr(codec, "mimeType", "")).lower()
            if mime == "video/h264":
                self._media[payload_type] = codec
        for payload_type, codec in codecs.items():
            if str(getattr(codec, "mimeType", "")).lower() == "video/rtx" \
                    and getattr(codec, "parameters", {}).get("apt") in self._media:
                self._rtx.add(payload_type)
        return bool(self._media)

    # ----- the compiled path's calls back (per frame, NACK, keyframe request, new source) ------------------------

    def _learn_types(self) -> tuple[list[int], list[int]] | None:
        if not self._learn():
            return None
        self._codec = next(iter(self._media.values()))
        self._error_flag = getattr(self._receiver, _ERROR, None)
        return list(self._media), list(self._rtx)

    def _core_frame(self, data: bytes, pts: int) -> None:
        self._decoder.put((self._codec, JitterFrame(data, pts)))
        error = self._error_flag
        if error is not None and error.is_set():
            error.clear()
            self._core.want_keyframe = True

    def _core_nacks(self, sequences: list[int]) -> None:
        self._spawn(self._receiver._send_rtcp_nack(self._core.ssrc, sequences))

    def _core_keyframe(self) -> None:
        self._spawn(self._receiver._send_rtcp_pli(self._core.ssrc))

    def _core_source(self, ssrc: int) -> None:
        streams: dict[int, Any] = getattr(self._receiver, _STREAMS)
        previous = self._core.ssrc
        if previous is not None:
            log.info("%s: video source changed (SSRC %d → %d)", self.name, previous, ssrc)
            old = streams.get(previous)
            if isinstance(old, CoreStatistics):
                streams[previous] = old.snapshot()
        streams[ssrc] = CoreStatistics(self._core)

    def _core_unparsable(self, count: int, reason: str) -> None:
        log.warning("%s: unparsable video packet (%d so far): %s", self.name, count, reason)

    # ----- per packet ---------------------------------------------------------------------------------------------

    def _video(self, data: bytes) -> bool:
        """Handle ``data`` if it is this session's video RTP (True), else leave it to aiortc (False)."""
        second = data[1]
        if 191 < second < 224 or len(data) < 12:  # RTCP (payload types 192-223 in the second byte)
            return False
        payload_type = second & 0x7F
        if payload_type not in self._media and payload_type not in self._rtx:
            if self._media or not self._learn():
                return False  # not video of this session (or nothing negotiated yet)
            if payload_type not in self._media and payload_type not in self._rtx:
                return False
        srtp = self._srtp_owner._rx_srtp
        if srtp is None:
            return False  # before the DTLS handshake gave keys: aiortc's path (which drops it)
        if self._decoder.ended:
            return True  # the session is closing: nothing to decode into
        self._packets += 1
        self._bytes += len(data)
        try:
            plain = srtp.unprotect(data)
            header = parse_rtp(plain)
            payload = plain[header.start:header.end]
            if payload_type in self._rtx:
                if not payload:
                    return True  # padding-only probe
                sequence, payload = unwrap_rtx(payload)
            else:
                sequence = header.sequence
                if header.ssrc != self._media_ssrc:
                    self._new_source(header.ssrc)
                assert self._stats is not None
                self._stats.count(sequence, header.timestamp, self._clock())
        except pylibsrtp.Error:
            self._undecryptable += 1
            return True
        except RtpError as exc:
            self._unparsable += 1
            if self._unparsable == 1 or self._unparsable % 100 == 0:
                log.warning("%s: unparsable video packet (%d so far): %s", self.name, self._unparsable, exc)
            return True
        if self._media_ssrc is None:
            return True  # a retransmission before any media packet: nothing to place it in
        assembler = self._python
        frames = assembler.packet(sequence, header.timestamp, header.marker, payload, self._clock())
        if frames:
            codec = self._media.get(payload_type) or next(iter(self._media.values()))
            put = self._decoder.put
            for frame in frames:
                put((codec, JitterFrame(frame.data, frame.pts)))
            error = getattr(self._receiver, _ERROR, None)
            if error is not None and error.is_set():
                error.clear()
                assembler.want_keyframe = True
        nacks = assembler.take_nacks()
        if nacks:
            self._spawn(self._receiver._send_rtcp_nack(self._media_ssrc, sorted(set(nacks))))
        if assembler.want_keyframe:
            self._ask_keyframe()
        return True

    def _new_source(self, ssrc: int) -> None:
        if self._media_ssrc is not None:
            log.info("%s: video source changed (SSRC %d → %d)", self.name, self._media_ssrc, ssrc)
            self._python.reset()
        self._media_ssrc = ssrc
        streams: dict[int, Any] = getattr(self._receiver, _STREAMS)
        stats = streams.get(ssrc)
        if not isinstance(stats, ReceptionStatistics):
            stats = ReceptionStatistics(VIDEO_CLOCK)
            streams[ssrc] = stats
        self._stats = stats

    def _ask_keyframe(self) -> None:
        now = self._clock()
        if now - self._last_pli < PLI_INTERVAL or self._media_ssrc is None:
            return
        self._last_pli = now
        self._python.want_keyframe = False
        self._keyframe_requests += 1
        self._spawn(self._receiver._send_rtcp_pli(self._media_ssrc))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
