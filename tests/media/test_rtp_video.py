"""The lean video receive path's per-packet part (media/rtp_video.py): real clips packetized by aiortc's own H.264
packetizer go in, whole frames must come out byte for byte and decode to the stamped pictures; loss, reordering,
retransmission, a jump of the sender, and any bytes at all (hypothesis) behave as the module promises."""

from __future__ import annotations

import random
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
from aiortc.codecs.h264 import H264Encoder
from hypothesis import given, settings
from hypothesis import strategies as st

from media.rtp_video import H264Assembler, RtpError, depayload_h264, parse_rtp, unwrap_rtx
from media.sources import load_clip
from media.stamp import read_frame_stamp
from tests.media.rtpcore_support import COMPILED_AND_PYTHON, MakeAssembler

START = b"\x00\x00\x00\x01"


def rtp_stream(units: list[bytes], *, first_sequence: int = 65500, fps: int = 25) -> list[tuple[int, int, bool, bytes]]:
    """(sequence, timestamp, marker, payload) of every packet of ``units``, as aiortc's sender packetizes them."""
    packets = []
    sequence = first_sequence
    for index, unit in enumerate(units):
        payloads = H264Encoder._packetize(H264Encoder._split_bitstream(unit))
        for n, payload in enumerate(payloads):
            packets.append((sequence & 0xFFFF, (index * 90000 // fps) & 0xFFFFFFFF, n == len(payloads) - 1, payload))
            sequence += 1
    return packets


def annex_b(unit: bytes) -> bytes:
    """A unit as the assembler writes it: every NAL unit behind a 4-byte start code."""
    return b"".join(START + nal for nal in H264Encoder._split_bitstream(unit))


def feed(assembler: H264Assembler | Any, packets: list[tuple[int, int, bool, bytes]], now: float = 0.0,
         step: float = 0.001) -> list[bytes]:
    out = []
    for sequence, timestamp, marker, payload in packets:
        out += [frame.data for frame in assembler.packet(sequence, timestamp, marker, payload, now)]
        now += step
    return out


@COMPILED_AND_PYTHON
def test_every_frame_of_an_hd_and_a_thumbnail_clip_comes_out_whole_and_decodes_to_its_stamp(
        make_assembler: MakeAssembler, make_clip: Callable[..., Path]) -> None:
    for quality in ("hd", "thumb"):
        clip = load_clip(make_clip(quality, 7, seconds=2.0))
        packets = rtp_stream(clip.units)
        assert len(packets) > len(clip.units), "the clip is fragmented (FU-A) as on the wire"
        assembler = make_assembler()
        frames = feed(assembler, packets)
        assert frames == [annex_b(unit) for unit in clip.units], quality
        assert (assembler.frames, assembler.dropped_frames, assembler.lost, assembler.nacked) == (len(clip.units), 0,
                                                                                                  0, 0)
        codec = av.CodecContext.create("h264", "r")
        stamps = [read_frame_stamp(picture) for data in frames
                  for picture in codec.decode(av.Packet(data))]
        assert [s[1] for s in stamps if s is not None][:5] == [0, 1, 2, 3, 4]
        assert {s[0] for s in stamps if s is not None} == {7}


@COMPILED_AND_PYTHON
def test_reordered_packets_still_make_whole_frames(make_assembler: MakeAssembler,
                                                  make_clip: Callable[..., Path]) -> None:
    clip = load_clip(make_clip("hd", 3, seconds=1.0))
    packets = rtp_stream(clip.units)
    rng = random.Random(5)
    shuffled = list(packets)
    for i in range(0, len(shuffled) - 3, 7):  # swap neighbours here and there
        j = i + rng.randint(1, 3)
        shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
    assembler = make_assembler()
    assert feed(assembler, shuffled) == [annex_b(unit) for unit in clip.units]
    assert assembler.lost == 0 and assembler.recovered > 0


@COMPILED_AND_PYTHON
def test_a_lost_packet_is_asked_again_at_once_and_its_retransmission_completes_the_frame(
        make_assembler: MakeAssembler, make_clip: Callable[..., Path]) -> None:
    clip = load_clip(make_clip("hd", 3, seconds=1.0))
    packets = rtp_stream(clip.units)
    assembler = make_assembler()
    lost_at = 20
    lost = packets[lost_at]
    before = feed(assembler, packets[:lost_at])
    after = feed(assembler, packets[lost_at + 1:lost_at + 3], now=0.01)
    assert assembler.take_nacks() == [lost[0]], "asked again as soon as the gap showed"
    assert after == []
    # the retransmission (RFC 4588: original sequence number in front of the payload) completes what was held
    sequence, payload = unwrap_rtx(struct.pack("!H", lost[0]) + lost[3])
    repaired = feed(assembler, [(sequence, lost[1], lost[2], payload)], now=0.02)
    rest = feed(assembler, packets[lost_at + 3:], now=0.03)
    assert before + repaired + rest == [annex_b(unit) for unit in clip.units]
    assert (assembler.recovered, assembler.lost, assembler.dropped_frames) == (1, 0, 0)


@COMPILED_AND_PYTHON
def test_a_gap_never_repaired_is_given_up_the_feed_resumes_at_the_next_keyframe_and_asks_for_one(
        make_assembler: MakeAssembler, make_clip: Callable[..., Path]) -> None:
    clip = load_clip(make_clip("hd", 3, seconds=3.0))  # keyframes every second: frames 0, 25, 50
    packets = rtp_stream(clip.units)
    assembler = make_assembler(max_wait=0.2)  # room for the NACK and its two re-asks (50 ms, then 100 ms later)
    lost_at = 60  # inside a P-frame of the first second
    frames = feed(assembler, packets[:lost_at], step=0.004) + feed(assembler, packets[lost_at + 1:], now=0.5,
                                                                  step=0.004)
    units = [annex_b(unit) for unit in clip.units]
    lost_frame = next(i for i, unit in enumerate(units) if unit not in frames)
    assert lost_frame < 25
    # nothing after the broken frame until the keyframe of the next second; from there on, everything
    assert frames == units[:lost_frame] + units[25:]
    assert assembler.lost == 1 and assembler.want_keyframe
    assert assembler.dropped_frames == 25 - lost_frame
    assert assembler.take_nacks().count(packets[lost_at][0]) == assembler.nack_tries, "asked again, a few times"
    assert assembler.waiting < 50, "nothing held once the gap was given up"


@COMPILED_AND_PYTHON
def test_a_sender_that_jumps_is_followed_from_its_next_keyframe(make_assembler: MakeAssembler,
                                                                make_clip: Callable[..., Path]) -> None:
    clip = load_clip(make_clip("thumb", 3, seconds=2.0))
    assembler = make_assembler()
    first = feed(assembler, rtp_stream(clip.units[:30], first_sequence=100))
    second = feed(assembler, rtp_stream(clip.units, first_sequence=40000))
    assert len(first) == 30 and second == [annex_b(unit) for unit in clip.units]
    assert assembler.resets == 1


@COMPILED_AND_PYTHON
def test_the_held_packets_stay_bounded_whatever_is_lost(make_assembler: MakeAssembler) -> None:
    assembler = make_assembler(max_packets=64, max_wait=10.0)
    fragment = bytes((28, 0x05)) + b"x" * 100  # FU-A middle fragments of an IDR: no frame ever ends
    for sequence in range(1, 5000, 2):  # every other packet lost, never repaired, never a marker
        assembler.packet(sequence & 0xFFFF, 0, False, fragment, 0.0)
        assert assembler.waiting <= 65


def test_rtp_headers_with_csrcs_extension_and_padding_are_parsed() -> None:
    payload = b"\x65abc"
    extension = struct.pack("!HH", 0xBEDE, 1) + b"\x10\x00\x00\x00"
    data = struct.pack("!BBHII", 0x80 | 0x20 | 0x10 | 1, 0x80 | 102, 7, 90000, 0xABCDEF) + b"CSRC" + extension \
        + payload + b"\x00\x00\x03"
    header = parse_rtp(data)
    assert (header.payload_type, header.marker, header.sequence, header.timestamp, header.ssrc) == (102, True, 7,
                                                                                                    90000, 0xABCDEF)
    assert data[header.start:header.end] == payload
    assert depayload_h264(payload) == (START + payload, True, True)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=64))
def test_parse_rtp_raises_only_rtp_error_on_any_bytes(data: bytes) -> None:
    try:
        header = parse_rtp(data)
    except RtpError:
        return
    assert 12 <= header.start <= header.end <= len(data)


@COMPILED_AND_PYTHON
@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF), st.booleans(), st.binary(max_size=40)),
                max_size=60), st.floats(0.0, 0.05))
def test_the_assembler_takes_any_packets_without_raising_and_stays_bounded(make_assembler: MakeAssembler,
        packets: list[tuple[int, int, bool, bytes]], step: float) -> None:
    assembler = make_assembler(max_packets=32)
    now = 0.0
    for sequence, timestamp, marker, payload in packets:
        for frame in assembler.packet(sequence, timestamp, marker, payload, now):
            assert frame.data.startswith(START)
        assert assembler.waiting <= 33
        assert all(0 <= n <= 0xFFFF for n in assembler.take_nacks())
        now += step
