"""H.264 over RTP, received lean: parse a packet, depayload it, assemble whole frames, ask again for what is lost.

This is the receive path's per-packet work without I/O or clock (time comes in as ``now``), so it can be tested and
fuzzed alone; `media.fast_video` wires it under aiortc's handshake. It replaces, for video only, aiortc's per-packet
Python (its `RtpPacket` objects, header-extension parsing, statistics, NACK generator, a 512-slot jitter buffer and
an asyncio queue hop per datagram), which on the 30-feed wall cost about as much CPU as decoding (docs/benchmarks.md,
"Media").

What a dispatcher wants from it decides the policy (RFC 3550, RFC 4585 NACK/PLI, RFC 6184 packetization mode 1):

- a frame goes to the decoder as soon as all its packets are here (marker bit, or the next timestamp), in order;
- a missing packet is asked again at once (NACK) and a few times more while it may still arrive;
- a gap that is not repaired within ``max_wait`` is given up: the frames it broke are dropped, the stream resumes
  at the next whole frame and waits for a keyframe (and asks for one: PLI) rather than show a smeared picture or
  hold the feed back (aiortc's buffer could hold a feed ~12 s on a gap that was never repaired);
- memory is bounded (``max_packets`` held, ``max_span`` sequence numbers from the first held back to the newest)
  whatever arrives.

media/_rtpcore.c is this module compiled (same policy, same counters, the same frames for the same packets: tested
side by side in tests/media/test_rtpcore.py); this one stays the reference and the fallback.

Bad input never raises out of `H264Assembler.packet`: a packet that is not H.264 mode-1 is counted as malformed and
the frame it belonged to is dropped. `parse_rtp` raises `RtpError` for what is not RTP at all.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = ["AssembledFrame", "H264Assembler", "RtpError", "RtpHeader", "depayload_h264", "parse_rtp", "unwrap_rtx"]

_START = b"\x00\x00\x00\x01"
#: NAL unit types that make a frame a place to start decoding: an IDR slice, or a sequence parameter set
_KEY_TYPES = frozenset((5, 7))
_FU_A = 28
_STAP_A = 24
_HEADER = struct.Struct("!BBHII")
#: how far before the first packet of a stream a reordered packet is still taken as its start
_EARLY = 64
#: sequence numbers held back at most (media/_rtpcore.c's RING)
MAX_SPAN = 4096


class RtpError(ValueError):
    """A datagram or payload that cannot be what it claims (truncated, wrong version, bad padding, ...)."""


@dataclass(frozen=True, slots=True)
class RtpHeader:
    payload_type: int
    marker: bool
    sequence: int
    timestamp: int
    ssrc: int
    #: where the payload starts and ends in the datagram (after CSRCs and extensions; before padding)
    start: int
    end: int


def parse_rtp(data: bytes) -> RtpHeader:
    """The fixed header of an RTP packet and where its payload lies (RFC 3550 §5.1); `RtpError` if it is not one."""
    if len(data) < 12:
        raise RtpError(f"RTP packet of {len(data)} bytes is shorter than its 12-byte header")
    first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
    if first >> 6 != 2:
        raise RtpError(f"RTP version {first >> 6} (expected 2)")
    start = 12 + 4 * (first & 0x0F)
    end = len(data)
    if first & 0x10:  # header extension: profile (2 bytes), length in 32-bit words (2 bytes), the words
        if end < start + 4:
            raise RtpError("RTP header extension is truncated")
        start += 4 + 4 * ((data[start + 2] << 8) | data[start + 3])
    if first & 0x20:  # padding: its length is the last byte
        padding = data[-1]
        if padding == 0:
            raise RtpError("RTP padding of length 0")
        end -= padding
    if start > end:
        raise RtpError(f"RTP header and padding ({start} + {len(data) - end} bytes) exceed the packet ({len(data)})")
    return RtpHeader(second & 0x7F, bool(second & 0x80), sequence, timestamp, ssrc, start, end)


def unwrap_rtx(payload: bytes) -> tuple[int, bytes]:
    """A retransmission's payload (RFC 4588): the original sequence number, and the original payload."""
    if len(payload) < 2:
        raise RtpError("RTX payload without its original sequence number")
    return (payload[0] << 8) | payload[1], payload[2:]


def depayload_h264(payload: bytes) -> tuple[bytes, bool, bool]:
    """An RTP payload of H.264 (RFC 6184, packetization mode 1) as Annex B bytes; whether it begins a NAL unit;
    whether it carries an IDR slice or an SPS. `RtpError` for what mode 1 does not allow."""
    if len(payload) < 2:
        raise RtpError(f"H.264 payload of {len(payload)} bytes")
    header = payload[0]
    nal_type = header & 0x1F
    if 0 < nal_type < 24:
        return _START + payload, True, nal_type in _KEY_TYPES
    if nal_type == _FU_A:
        fu = payload[1]
        original = fu & 0x1F
        if fu & 0x80:
            return _START + bytes(((header & 0xE0) | original,)) + payload[2:], True, original in _KEY_TYPES
        return payload[2:], False, original in _KEY_TYPES
    if nal_type == _STAP_A:
        parts: list[bytes] = []
        key = False
        at, size_all = 1, len(payload)
        while at < size_all:
            if at + 2 > size_all:
                raise RtpError("STAP-A length field is truncated")
            size = (payload[at] << 8) | payload[at + 1]
            at += 2
            if size == 0 or at + size > size_all:
                raise RtpError(f"STAP-A unit of {size} bytes does not fit")
            key = key or (payload[at] & 0x1F) in _KEY_TYPES
            parts.append(_START)
            parts.append(payload[at:at + size])
            at += size
        return b"".join(parts), True, key
    raise RtpError(f"H.264 NAL unit type {nal_type} is not allowed in packetization mode 1")


@dataclass(frozen=True, slots=True)
class AssembledFrame:
    """A whole access unit, Annex B, ready for the decoder."""

    data: bytes
    #: RTP timestamp (90 kHz), unwrapped from the stream's first packet
    pts: int
    keyframe: bool


#: a stored packet: (RTP timestamp, marker, Annex B bytes (b"" for padding-only), begins a NAL, key NAL, malformed)
_Entry = tuple[int, bool, bytes, bool, bool, bool]


class H264Assembler:
    """Packets of one H.264 stream in, whole frames out (see the module docstring for the policy).

    Call `packet` for every media packet (retransmissions unwrapped first); it returns the frames completed by
    it, in order. Afterwards `take_nacks` gives the sequence numbers to ask again now, and `want_keyframe` says a
    keyframe should be asked for (the caller sends the PLI and clears the flag). Counters are public.
    """

    def __init__(self, *, max_wait: float = 0.25, max_packets: int = 2048, max_gap: int = 1000,
                 nack_retry: float = 0.05, nack_tries: int = 3, max_span: int = MAX_SPAN) -> None:
        self.max_wait = max_wait
        self.max_packets = max_packets
        self.max_gap = max_gap
        #: the most sequence numbers held back at once (first waiting to newest); a stream that would need more
        #: starts again, as one that jumps does (the compiled assembler holds them in a ring of this size)
        self.max_span = max_span
        self.nack_retry = nack_retry
        self.nack_tries = nack_tries
        self._packets: dict[int, _Entry] = {}
        #: missing sequence numbers (extended) → (when first missed, NACKs sent)
        self._missing: dict[int, tuple[float, int]] = {}
        self._nacks: list[int] = []
        self._highest: int | None = None
        #: first sequence number of the next frame to hand out; everything before is done with
        self._next = 0
        #: _next.._scan are all here (the contiguous run being assembled)
        self._scan = -1
        self._need_key = True
        #: nothing handed out or given up since the stream (re)started: its start may still move earlier
        self._fresh = True
        self._renack_at = 0.0
        self._ts_base: int | None = None
        self.want_keyframe = False
        self.received = 0
        self.duplicates = 0
        self.late = 0
        self.malformed = 0
        self.lost = 0
        self.nacked = 0
        self.recovered = 0
        self.frames = 0
        self.dropped_frames = 0
        self.resets = 0

    # ----- in ----------------------------------------------------------------------------------------------------

    def packet(self, sequence: int, timestamp: int, marker: bool, payload: bytes, now: float) -> list[AssembledFrame]:
        """One media packet (16-bit ``sequence``); the frames it completed."""
        self.received += 1
        highest = self._highest
        if highest is None:
            self._highest = highest = sequence
            self._next, self._scan = sequence, sequence - 1
            self._ts_base = timestamp
            ext = sequence
        else:
            delta = (sequence - highest) & 0xFFFF
            ext = highest + delta if delta < 0x8000 else highest + delta - 0x10000
        if ext - highest > self.max_gap or self._next - ext > self.max_gap \
                or max(ext, highest) - min(ext, self._next) >= self.max_span:
            # the stream jumped (a restarted sender, a new source behind the same SSRC): start again from here
            self._reset(ext)
            self._highest = highest = ext
        elif ext < self._next:
            if not (self._fresh and self._next - ext < _EARLY):
                self.late += 1
                return []
            # the stream's first packets came in out of order: start from this earlier one
            for earlier in range(ext + 1, self._next):
                self._missing[earlier] = (now, 1)
            self._next, self._scan = ext, ext - 1
        elif ext in self._packets:
            self.duplicates += 1
            return []
        try:
            data, begins, key = depayload_h264(payload) if payload else (b"", False, False)
            bad = False
        except RtpError:
            data, begins, key, bad = b"", False, False, True
            self.malformed += 1
        self._packets[ext] = (timestamp, marker, data, begins, key, bad)
        if ext > highest:
            for missed in range(highest + 1, ext):
                self._missing[missed] = (now, 1)
                self._nacks.append(missed & 0xFFFF)
                self.nacked += 1
            self._highest = ext
        elif self._missing.pop(ext, None) is not None:
            self.recovered += 1
        frames: list[AssembledFrame] = []
        self._advance(frames)
        if self._missing:
            self._repair(now, frames)
        return frames

    def take_nacks(self) -> list[int]:
        """Sequence numbers (16-bit) to ask again now; each is returned once per attempt."""
        nacks, self._nacks = self._nacks, []
        return nacks

    def reset(self) -> None:
        """Forget the stream (its source changed): the next packet starts afresh, waiting for a keyframe."""
        self._packets.clear()
        self._missing.clear()
        self._nacks.clear()
        self._highest = None
        self._ts_base = None
        self._need_key = True
        self._fresh = True

    @property
    def waiting(self) -> int:
        """Packets held (not yet part of a frame handed out)."""
        return len(self._packets)

    # ----- assembling --------------------------------------------------------------------------------------------

    def _advance(self, frames: list[AssembledFrame]) -> None:
        """Hand out every frame the contiguous run now completes."""
        packets = self._packets
        at = self._scan + 1
        entry = packets.get(at)
        while entry is not None:
            if at > self._next and entry[0] != packets[self._next][0]:
                self._finish(self._next, at - 1, frames)  # the timestamp moved on without a marker
                self._next = at
            self._scan = at
            if entry[1]:
                self._finish(self._next, at, frames)
                self._next = at + 1
            at += 1
            entry = packets.get(at)

    def _finish(self, first: int, last: int, frames: list[AssembledFrame]) -> None:
        self._fresh = False
        pop = self._packets.pop
        entries = [pop(sequence) for sequence in range(first, last + 1)]
        content = [e for e in entries if e[2] or e[5]]
        if not content:
            return  # padding only
        whole = content[0][3] and not any(e[5] for e in content)
        key = any(e[4] for e in content)
        if not whole or (self._need_key and not key):
            self.dropped_frames += 1
            self._need_key = True
            self.want_keyframe = True
            return
        self._need_key = False
        self.frames += 1
        base = self._ts_base if self._ts_base is not None else content[0][0]
        frames.append(AssembledFrame(b"".join(e[2] for e in content), (content[0][0] - base) & 0xFFFFFFFF, key))

    def _repair(self, now: float, frames: list[AssembledFrame]) -> None:
        """Ask again for what is still missing; give a gap up once it is too old or too much is held."""
        missing = self._missing
        if now >= self._renack_at:
            self._renack_at = now + self.nack_retry
            for sequence, (since, tries) in list(missing.items()):
                if tries < self.nack_tries and now - since >= self.nack_retry * tries:
                    missing[sequence] = (since, tries + 1)
                    self._nacks.append(sequence & 0xFFFF)
        gap = self._scan + 1
        if self._highest is None or gap > self._highest:
            return  # nothing held back
        noted = missing.get(gap)
        too_old = noted is None or now - noted[0] > self.max_wait
        if too_old or len(self._packets) > self.max_packets:
            self._give_up(gap, frames)

    def _give_up(self, gap: int, frames: list[AssembledFrame]) -> None:
        """Drop what the gap at ``gap`` broke and resume after the next frame's end held (or reset)."""
        packets = self._packets
        highest = self._highest if self._highest is not None else gap
        end = next((s for s in range(gap + 1, highest + 1) if (e := packets.get(s)) is not None and e[1]), None)
        if end is None:
            if len(packets) > self.max_packets:
                self._reset(highest + 1)
            return  # wait for the end of a frame to resume at
        self._fresh = False
        for sequence in range(self._next, end + 1):
            if packets.pop(sequence, None) is None and self._missing.pop(sequence, None) is not None:
                self.lost += 1
        self.dropped_frames += 1
        self._next, self._scan = end + 1, end
        self._need_key = True
        self.want_keyframe = True
        self._advance(frames)

    def _reset(self, start: int) -> None:
        self.lost += len(self._missing)
        self.resets += 1
        self._packets.clear()
        self._missing.clear()
        self._next, self._scan = start, start - 1
        self._need_key = True
        self._fresh = True
        self.want_keyframe = True
