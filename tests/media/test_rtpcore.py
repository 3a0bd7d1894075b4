"""The compiled video receive path (media/_rtpcore.c) against its Python reference, packet for packet.

- `Assembler`: the same random streams (H.264 packetized as on the wire, then lost, duplicated, reordered,
  retransmitted late, jumped, corrupted; time moving in random steps) go into the Python `H264Assembler` and the
  compiled one; after every packet both must have handed out the same frames, asked again for the same sequence
  numbers, and counted the same.
- `parse_rtp`: the same answer as the Python one for any bytes.
- `VideoPath`: real SRTP (pylibsrtp sessions, as aiortc makes them) on whole clips: every frame comes out whole, a
  loss is asked again and repaired, a new source restarts the stream, garbage and forged packets are counted and
  dropped, a failing callback never escapes into the transport; any datagram at all is taken without a crash.
"""

from __future__ import annotations

import contextlib
import random
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pylibsrtp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from media.fast_video import _srtp_pointers
from media.rtp_video import H264Assembler, RtpError, parse_rtp
from media.sources import load_clip
from tests.media.rtpcore_support import CompiledAssembler, _rtpcore
from tests.media.test_rtp_video import annex_b, rtp_stream


def test_the_compiled_path_is_built() -> None:
    """`./dev setup` builds media/_rtpcore.c; the wall's CPU figure depends on it, so its absence fails here."""
    assert _rtpcore is not None, "media._rtpcore is not built: run ./dev setup (it needs gcc)"
    from media.fast_video import _srtp_reachable

    assert _srtp_reachable(), "pylibsrtp's srtp_unprotect is not libsrtp 2's: the compiled path would not be used"


# ----- Assembler: side by side --------------------------------------------------------------------------------


def synthetic_stream(rng: random.Random, frames: int, first_sequence: int) -> list[tuple[int, int, bool, bytes]]:
    """Packets of ``frames`` H.264-like access units: single NAL units, FU-A fragments and STAP-A aggregates,
    keyframes (IDR, SPS) now and then, the marker on each frame's last packet."""
    packets: list[tuple[int, int, bool, bytes]] = []
    sequence = first_sequence
    for index in range(frames):
        timestamp = (1000 + index * 3600) & 0xFFFFFFFF
        payloads: list[bytes] = []
        key = index % 10 == 0 or rng.random() < 0.05
        if key and rng.random() < 0.5:  # SPS + PPS aggregated, then the IDR
            payloads.append(bytes((24,)) + struct.pack("!H", 3) + b"\x67\x42\x00" + struct.pack("!H", 2) + b"\x68\xce")
        nal = 5 if key else 1
        size = rng.choice((10, 60, 300, 1500, 4000))
        body = rng.randbytes(size)
        if size <= 300 and rng.random() < 0.7:
            payloads.append(bytes((0x60 | nal,)) + body)
        else:
            chunks = [body[i:i + 700] for i in range(0, len(body), 700)]
            for n, chunk in enumerate(chunks):
                fu = nal | (0x80 if n == 0 else 0) | (0x40 if n == len(chunks) - 1 else 0)
                payloads.append(bytes((0x60 | 28, fu)) + chunk)
        for n, payload in enumerate(payloads):
            packets.append((sequence & 0xFFFF, timestamp, n == len(payloads) - 1, payload))
            sequence += 1
    return packets


def perturb(rng: random.Random, packets: list[tuple[int, int, bool, bytes]], loss: float,
            ) -> list[tuple[int, int, bool, bytes]]:
    """The packets as a bad network and a restarting sender deliver them."""
    out: list[tuple[int, int, bool, bytes]] = []
    late: list[tuple[int, int, bool, bytes]] = []
    for packet in packets:
        roll = rng.random()
        if roll < loss:
            if rng.random() < 0.6:
                late.append(packet)  # retransmitted a little later
            continue
        out.append(packet)
        if roll > 0.98:
            out.append(packet)  # duplicate
        if late and rng.random() < 0.3:
            out.append(late.pop(0))
        if rng.random() < 0.05 and len(out) > 2:
            out[-1], out[-2] = out[-2], out[-1]  # reordered
        if rng.random() < 0.005:
            sequence, timestamp, marker, _ = out[-1]
            out[-1] = (sequence, timestamp, marker, rng.randbytes(rng.randint(0, 3)))  # corrupted
    out.extend(late)
    return out


def compare_step(python: H264Assembler, compiled: CompiledAssembler, packet: tuple[int, int, bool, bytes],
                 now: float) -> None:
    sequence, timestamp, marker, payload = packet
    expected = python.packet(sequence, timestamp, marker, payload, now)
    got = compiled.packet(sequence, timestamp, marker, payload, now)
    assert got == expected, f"frames differ after packet {sequence} at {now:.3f}"
    assert sorted(compiled.take_nacks()) == sorted(python.take_nacks()), f"NACKs differ after packet {sequence}"
    for name in ("received", "duplicates", "late", "malformed", "lost", "nacked", "recovered", "frames",
                 "dropped_frames", "resets", "waiting", "want_keyframe"):
        assert getattr(compiled, name) == getattr(python, name), f"{name} differs after packet {sequence}"


@settings(max_examples=250, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), frames=st.integers(1, 80), first=st.integers(0, 0xFFFF),
       loss=st.sampled_from((0.0, 0.02, 0.1, 0.3)), max_step=st.sampled_from((0.0, 0.004, 0.04, 0.3)),
       jumps=st.booleans())
def test_the_compiled_assembler_does_what_the_python_one_does_packet_for_packet(
        seed: int, frames: int, first: int, loss: float, max_step: float, jumps: bool) -> None:
    rng = random.Random(seed)
    packets = perturb(rng, synthetic_stream(rng, frames, first), loss)
    if jumps:  # a restarted sender: the rest of the stream continues far away, then comes back
        cut = rng.randrange(len(packets)) if packets else 0
        offset = rng.choice((900, 1001, 3000, 5000, 40000))
        packets[cut:] = [((s + offset) & 0xFFFF, t, m, p) for s, t, m, p in packets[cut:]]
    python = H264Assembler(max_packets=rng.choice((32, 2048)), max_wait=rng.choice((0.05, 0.25)))
    compiled = CompiledAssembler(max_packets=python.max_packets, max_wait=python.max_wait)
    now = rng.random() * 100
    for packet in packets:
        compare_step(python, compiled, packet, now)
        now += rng.random() * max_step
        if rng.random() < 0.002:
            python.reset()
            compiled.reset()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF), st.booleans(),
                          st.binary(max_size=24) | st.sampled_from((b"\x7c\x85ab", b"\x7c\x05cd", b"\x7c\x45ef",
                                                                    b"\x18\x00\x01\x65", b"\x65xyz"))),
                max_size=80), st.floats(0.0, 0.2), st.sampled_from((4, 32, 2048)))
def test_on_arbitrary_packets_too(packets: list[tuple[int, int, bool, bytes]], step: float, max_packets: int) -> None:
    python = H264Assembler(max_packets=max_packets, max_gap=rng_gap(packets))
    compiled = CompiledAssembler(max_packets=max_packets, max_gap=python.max_gap)
    now = 0.0
    for packet in packets:
        compare_step(python, compiled, packet, now)
        now += step


def rng_gap(packets: list[Any]) -> int:
    return 1000 if len(packets) % 2 else 20000  # also a gap limit beyond the span limit (the span then decides)


def test_the_span_held_back_is_bounded_by_the_ring() -> None:
    """A stream that holds a gap while its sequence numbers run on far ahead (each step under max_gap) starts
    again rather than overrun the compiled ring: both implementations, the same way."""
    python, compiled = H264Assembler(max_wait=100.0), CompiledAssembler(max_wait=100.0)
    fragment = bytes((28, 0x05)) + b"x" * 10
    sequence = 0
    for _ in range(30):
        compare_step(python, compiled, (sequence & 0xFFFF, 0, False, fragment), 0.0)
        sequence += 900
    assert compiled.resets >= 5 and compiled.waiting <= 5


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=80))
def test_parse_rtp_answers_as_the_python_one(data: bytes) -> None:
    assert _rtpcore is not None
    try:
        header = parse_rtp(data)
    except RtpError:
        with pytest.raises(ValueError):
            _rtpcore.parse_rtp(data)
        return
    assert _rtpcore.parse_rtp(data) == (header.payload_type, header.marker, header.sequence, header.timestamp,
                                        header.ssrc, header.start, header.end)


# ----- VideoPath: real SRTP ---------------------------------------------------------------------------------------

KEY = bytes(range(30))  # AES128_CM_SHA1_80: 16-byte key, 14-byte salt
H264, RTX = 102, 103


class Owner:
    """Stands for aiortc's DTLS transport: where the receive session is found (None before the handshake)."""

    def __init__(self) -> None:
        self._rx_srtp: pylibsrtp.Session | None = None


class Decoder:
    ended = False


class Path_:
    """A VideoPath with recording callbacks, and the sender's side that protects what it is fed."""

    def __init__(self, *, key: bytes = KEY, profile: int = pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
                 max_wait: float = 0.25) -> None:
        assert _rtpcore is not None
        self.owner = Owner()
        self.decoder = Decoder()
        self.frames: list[tuple[bytes, int]] = []
        self.nacks: list[list[int]] = []
        self.keyframes = 0
        self.sources: list[int] = []
        self.warnings: list[tuple[int, str]] = []
        self.on_frame: Callable[[bytes, int], None] = lambda data, pts: self.frames.append((data, pts))
        self.path = _rtpcore.VideoPath(
            self.owner, self.decoder, lambda: ([H264], [RTX]), _srtp_pointers,
            lambda data, pts: self.on_frame(data, pts),  # noqa: PLW0108 (late bound: a test swaps on_frame)
            self.nacks.append, self._keyframe, self.sources.append,
            lambda count, reason: self.warnings.append((count, reason)), max_wait=max_wait)
        policy = pylibsrtp.Policy(key=key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND, srtp_profile=profile)
        policy.allow_repeat_tx = True  # a test sends some packets twice (before the keys, replays)
        self.tx = pylibsrtp.Session(policy)
        self.key, self.profile = key, profile

    def _keyframe(self) -> None:
        self.keyframes += 1

    def keys(self) -> None:
        """The DTLS handshake is done: the receive session exists."""
        self.owner._rx_srtp = pylibsrtp.Session(pylibsrtp.Policy(
            key=self.key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND, srtp_profile=self.profile))

    def datagram(self, sequence: int, timestamp: int, marker: bool, payload: bytes, *, ssrc: int = 0x1234,
                 payload_type: int = H264) -> bytes:
        header = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | payload_type, sequence, timestamp, ssrc)
        return self.tx.protect(header + payload)


@pytest.fixture(name="clip_packets")
def clip_packets_fixture(make_clip: Callable[..., Path]) -> tuple[list[bytes], list[tuple[int, int, bool, bytes]]]:
    clip = load_clip(make_clip("thumb", 4, seconds=2.0))
    return [annex_b(unit) for unit in clip.units], rtp_stream(clip.units, first_sequence=65500)


def test_every_frame_of_a_clip_comes_out_whole_through_srtp(
        clip_packets: tuple[list[bytes], list[tuple[int, int, bool, bytes]]]) -> None:
    units, packets = clip_packets
    path = Path_()
    first = path.datagram(*packets[0])
    assert path.path.packet(first) is False, "no keys yet: left to aiortc (which drops it), as the Python path does"
    path.keys()
    for packet in packets:
        assert path.path.packet(path.datagram(*packet)) is True
    assert [data for data, _ in path.frames] == units
    assert [pts for _, pts in path.frames][:3] == [0, 3600, 7200]
    assert (path.path.frames, path.path.packets, path.path.undecryptable, path.path.unparsable) == (
        len(units), len(packets), 0, 0)
    assert path.sources == [0x1234] and path.path.ssrc == 0x1234
    assert path.path.packets_received == len(packets) and path.path.base_seq == packets[0][0]
    assert path.path.max_seq == packets[-1][0] and path.path.cycles == 1 << 16, "the sequence wrapped once"


@pytest.mark.parametrize("profile", [pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
                                     pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM], ids=["gcm128", "gcm256"])
def test_the_gcm_profiles_aiortc_prefers_decrypt_too(profile: int) -> None:
    key = bytes(range(28)) if profile == pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM else bytes(range(44))
    path = Path_(key=key, profile=profile)
    path.keys()
    for n in range(3):
        path.path.packet(path.datagram(n, n * 3600, True, b"\x65" + bytes(50)))
    assert len(path.frames) == 3 and path.path.undecryptable == 0


def test_a_loss_is_asked_again_and_its_retransmission_over_rtx_repairs_the_frame(
        clip_packets: tuple[list[bytes], list[tuple[int, int, bool, bytes]]]) -> None:
    units, packets = clip_packets
    path = Path_()
    path.keys()
    lost = 30
    for packet in packets[:lost] + packets[lost + 1:lost + 4]:
        path.path.packet(path.datagram(*packet))
    assert path.nacks == [[packets[lost][0]]], "asked again as soon as the gap showed"
    sequence, timestamp, marker, payload = packets[lost]
    rtx = path.datagram(7, timestamp, marker, struct.pack("!H", sequence) + payload, ssrc=0x5678, payload_type=RTX)
    path.path.packet(rtx)
    for packet in packets[lost + 4:]:
        path.path.packet(path.datagram(*packet))
    assert [data for data, _ in path.frames] == units
    assert (path.path.recovered, path.path.lost, path.path.dropped_frames) == (1, 0, 0)
    assert path.sources == [0x1234], "a retransmission is not a new source"


def test_a_new_source_restarts_the_stream_from_its_keyframe(
        clip_packets: tuple[list[bytes], list[tuple[int, int, bool, bytes]]]) -> None:
    units, packets = clip_packets
    path = Path_()
    path.keys()
    for packet in packets[:40]:
        path.path.packet(path.datagram(*packet))
    shown = len(path.frames)
    for sequence, timestamp, marker, payload in packets:
        path.path.packet(path.datagram((sequence + 20000) & 0xFFFF, timestamp, marker, payload, ssrc=0x9999))
    assert [data for data, _ in path.frames[shown:]] == units
    assert path.sources == [0x1234, 0x9999] and path.path.packets_received == len(packets), "statistics restarted"


def test_garbage_and_forged_packets_are_counted_and_dropped_and_the_stream_goes_on(
        clip_packets: tuple[list[bytes], list[tuple[int, int, bool, bytes]]]) -> None:
    units, packets = clip_packets
    path = Path_()
    path.keys()
    forged = struct.pack("!BBHII", 0x80, H264, 5, 0, 0x1234) + bytes(60)  # not protected
    assert path.path.packet(forged) is True and path.path.undecryptable == 1
    assert path.path.packet(b"\x80\xe0" + bytes(30)) is False, "RTCP is aiortc's"
    assert path.path.packet(b"\x80\x60" + bytes(10)) is False, "shorter than a header: aiortc's"
    assert path.path.packet(struct.pack("!BBHII", 0x80, 96, 1, 0, 1) + bytes(20)) is False, "another payload type"
    replay = path.datagram(*packets[0])
    for packet in packets:
        path.path.packet(path.datagram(*packet))
    assert path.path.packet(replay) is True and path.path.undecryptable == 2, "a replayed packet is refused by SRTP"
    short_rtx = path.datagram(9, 0, False, b"\x01", ssrc=0x5678, payload_type=RTX)
    assert path.path.packet(short_rtx) is True
    assert path.path.unparsable == 1 and path.warnings == [(1, "RTX payload without its original sequence number")]
    assert path.path.packet(bytes(3000)) is False, "not RTP (first byte 0): aiortc's"
    assert [data for data, _ in path.frames] == units


def test_a_failing_callback_drops_the_datagram_and_never_reaches_the_transport(
        clip_packets: tuple[list[bytes], list[tuple[int, int, bool, bytes]]]) -> None:
    _, packets = clip_packets
    path = Path_()
    path.keys()
    passed: list[tuple[bytes, Any]] = []
    tap = path.path.tap(lambda data, addr: passed.append((data, addr)), lambda data, component: passed.append(
        (data, component)), 1)

    def broken(data: bytes, pts: int) -> None:
        raise RuntimeError("the decoder is gone")

    path.on_frame = broken
    unraisable: list[Any] = []
    import sys
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        for packet in packets[:10]:
            assert tap(path.datagram(*packet), ("127.0.0.1", 5000)) is None
    finally:
        sys.unraisablehook = hook
    assert unraisable and isinstance(unraisable[0].exc_value, RuntimeError)
    assert passed == [], "video never goes to aiortc's path, even when our callback fails"
    stun = b"\x00\x01" + bytes(18)
    tap(stun, ("127.0.0.1", 5000))
    rtcp = b"\x80\xc8" + bytes(26)
    tap(rtcp, ("127.0.0.1", 5000))
    assert passed == [(stun, ("127.0.0.1", 5000)), (rtcp, 1)], "STUN to the protocol, RTCP to the connection"


def test_a_closed_path_takes_its_video_and_holds_nothing(
        clip_packets: tuple[list[bytes], list[tuple[int, int, bool, bytes]]]) -> None:
    _, packets = clip_packets
    path = Path_()
    path.keys()
    for packet in packets[:5]:
        path.path.packet(path.datagram(*packet))
    path.path.close()
    assert path.path.packet(path.datagram(*packets[5])) is True
    assert path.path.waiting == 0 and path.path.packets == 5 and path.path.closed


def test_an_ended_decoder_stops_the_counting(clip_packets: tuple[list[bytes], list[tuple[int, int, bool, bytes]]],
                                             ) -> None:
    _, packets = clip_packets
    path = Path_()
    path.keys()
    path.decoder.ended = True
    assert path.path.packet(path.datagram(*packets[0])) is True and path.path.packets == 0


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=1600) | st.builds(lambda pt, body: bytes((0x80, pt)) + body,
                                                     st.sampled_from((H264, RTX, 0x80 | H264, 0xC8)),
                                                     st.binary(max_size=200)), max_size=20), st.booleans())
def test_any_datagram_is_taken_without_a_crash(datagrams: list[bytes], protect: bool) -> None:
    path = Path_()
    path.keys()
    for datagram in datagrams:
        data = datagram
        if protect and len(data) <= 1400:
            with contextlib.suppress(pylibsrtp.Error):  # what libsrtp will not protect goes as it is
                data = path.tx.protect(datagram)
        assert path.path.packet(data) in (True, False)
    assert path.path.waiting <= 2048


def test_a_packet_of_the_source_taking_aiortcs_path_is_counted_not_a_crash(
        clip_packets: tuple[list[bytes], list[tuple[int, int, bool, bytes]]]) -> None:
    """aiortc's receiver calls `add` on the statistics of any SSRC it sees: a packet of our source with a payload
    type the compiled path does not know (renegotiated after it learnt) goes there. Found by the Janus-plane tests:
    a read-only `CoreStatistics` ended aiortc's DTLS transport with an AttributeError."""
    from aiortc.rtp import RtpPacket

    from media.fast_video import CoreStatistics

    _, packets = clip_packets
    path = Path_()
    path.keys()
    for packet in packets[:5]:
        path.path.packet(path.datagram(*packet))
    stats = CoreStatistics(path.path)
    assert path.path.packet(path.datagram(packets[5][0], packets[5][1], False, b"\x65", payload_type=97)) is False
    stats.add(RtpPacket(payload_type=97, sequence_number=packets[5][0], timestamp=packets[5][1], ssrc=0x1234))
    assert stats.packets_received == 6 and stats.max_seq == packets[5][0]
    assert stats.packets_lost == 0 and stats.fraction_lost == 0
