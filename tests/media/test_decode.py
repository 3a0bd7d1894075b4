"""The receive path's video decoding without aiortc's decoder threads (media/decode.py).

Unit tests feed a real stamped clip's access units, as aiortc's jitter buffer hands them over, to `InlineDecoder`
(on the calling thread, or through a `DecodeThread`) and read the stamps of the pictures that come out. The last
tests install the decoder in real aiortc receivers: one checks `take_over` against aiortc's private layout, one
runs a whole `ReceiveSession` over loopback WebRTC from a `VideoSender`, with some RTP dropped on the way.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path

import av
import pytest
from aiortc import RTCPeerConnection, RTCRtpCodecParameters
from aiortc.jitterbuffer import JitterFrame

from media.decode import DecodeThread, InlineDecoder, take_over
from media.frames import FrameWall
from media.ice import ice_configuration
from media.receiver import DecodeErrorCounter, ReceiveSession
from media.sender import VideoSender
from media.sources import EncodedClip, load_clip
from media.stamp import read_frame_stamp
from tests.media.conftest import LOOPBACK

pytestmark = pytest.mark.timeout(60)

H264 = RTCRtpCodecParameters(mimeType="video/H264", clockRate=90000, payloadType=102)
SOURCE = 23


@pytest.fixture(scope="module")
def clip(make_clip: Callable[..., Path]) -> EncodedClip:
    return load_clip(make_clip("thumb", SOURCE, seconds=2.0))


async def until(check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


def encoded(clip: EncodedClip) -> list[tuple[RTCRtpCodecParameters, JitterFrame]]:
    """The clip's access units as aiortc's receiver puts them in its decoder queue."""
    return [(H264, JitterFrame(data=unit, timestamp=n * 3600)) for n, unit in enumerate(clip.units)]


class Pictures:
    """Collects what a decoder hands on: stamps, and the threads it was called on."""

    def __init__(self) -> None:
        self.stamps: list[tuple[int, int] | None] = []
        self.threads: set[int] = set()
        self.ended = 0

    def frame(self, frame: av.VideoFrame) -> None:
        self.stamps.append(read_frame_stamp(frame))
        self.threads.add(threading.get_ident())

    def end(self) -> None:
        self.ended += 1


def test_every_access_unit_decodes_to_its_own_stamped_picture_on_the_calling_thread(clip: EncodedClip) -> None:
    seen = Pictures()
    decoder = InlineDecoder("test", seen.frame, seen.end)
    for item in encoded(clip):
        decoder.put(item)
    assert seen.stamps == [(SOURCE, n) for n in range(len(clip.units))]
    assert seen.threads == {threading.get_ident()}
    assert (decoder.encoded, decoder.decoded, decoder.errors) == (len(clip.units), len(clip.units), 0)


def test_a_broken_frame_is_counted_raises_the_pli_flag_and_decoding_goes_on(clip: EncodedClip) -> None:
    seen = Pictures()
    decoder = InlineDecoder("test", seen.frame)
    flag = threading.Event()
    decoder._error_flag = flag  # what take_over wires to the receiver's own flag
    items = encoded(clip)
    decoder.put(items[0])  # the keyframe
    decoder.put((H264, JitterFrame(data=b"\x00\x00\x00\x01\x65" + b"\xff" * 64, timestamp=1)))
    assert decoder.errors == 1 and flag.is_set()
    for item in items[1:]:
        decoder.put(item)
    assert seen.stamps[0] == (SOURCE, 0)
    assert seen.stamps[-1] == (SOURCE, len(clip.units) - 1), "later frames still decode"


def test_the_end_of_the_stream_is_told_once_and_later_frames_are_ignored(clip: EncodedClip) -> None:
    seen = Pictures()
    decoder = InlineDecoder("test", seen.frame, seen.end)
    items = encoded(clip)
    decoder.put(items[0])
    decoder.put(None)
    decoder.put(None)
    decoder.put(items[1])
    assert seen.ended == 1 and decoder.ended
    assert seen.stamps == [(SOURCE, 0)]
    assert decoder.get() is None, "aiortc's decoder thread is told to end at once"


def test_a_failing_picture_handler_never_reaches_aiortcs_packet_path(clip: EncodedClip) -> None:
    calls: list[int] = []

    def broken(frame: av.VideoFrame) -> None:
        calls.append(frame.width)
        raise RuntimeError("painter gone")

    decoder = InlineDecoder("test", broken)
    for item in encoded(clip)[:5]:
        decoder.put(item)  # raises nothing
    assert len(calls) == 5


def test_the_decode_thread_decodes_every_sessions_frames_in_order_off_the_calling_thread(clip: EncodedClip) -> None:
    thread = DecodeThread("test-decode")
    try:
        first, second = Pictures(), Pictures()
        a = InlineDecoder("a", first.frame, thread=thread)
        b = InlineDecoder("b", second.frame, thread=thread)
        for item in encoded(clip):
            a.put(item)
            b.put(item)
        deadline = time.monotonic() + 10
        while len(first.stamps) + len(second.stamps) < 2 * len(clip.units) and time.monotonic() < deadline:
            time.sleep(0.01)
        expected = [(SOURCE, n) for n in range(len(clip.units))]
        assert first.stamps == expected and second.stamps == expected
        assert first.threads == second.threads and threading.get_ident() not in first.threads
        assert thread.deepest >= 1
        # stopped: nothing more is handed on, whatever was queued or is put later
        for item in encoded(clip)[:10]:
            a.put(item)
        a.stop()
        count = len(first.stamps)
        a.put(encoded(clip)[0])
        time.sleep(0.2)
        assert len(first.stamps) == count and a.ended
    finally:
        thread.stop()


async def test_take_over_replaces_the_queue_of_an_unstarted_aiortc_receiver_only() -> None:
    pc = RTCPeerConnection(ice_configuration([]))
    try:
        receiver = pc.addTransceiver("video", direction="recvonly").receiver
        ours = InlineDecoder("test", lambda frame: None)
        assert take_over(receiver, ours)
        assert receiver._RTCRtpReceiver__decoder_queue is ours  # type: ignore[attr-defined]
        assert ours._error_flag is receiver._RTCRtpReceiver__decoder_error  # type: ignore[attr-defined]
        assert not take_over(receiver, InlineDecoder("again", lambda frame: None)), "only aiortc's own queue"
    finally:
        await pc.close()


@pytest.mark.parametrize("threaded", [False, True], ids=["loop-thread", "decode-thread"])
async def test_a_session_shows_a_lossy_feed_through_the_inline_decoder_and_stops_painting_when_closed(
        make_clip: Callable[..., Path], threaded: bool) -> None:
    wall = FrameWall.create(tiles=2, max_width=640, max_height=360)
    thread = DecodeThread() if threaded else None
    sender = VideoSender(make_clip("thumb", SOURCE), allowed_addresses=LOOPBACK, rtp_loss=0.05, loss_seed=7)
    session = ReceiveSession("S-1", wall=wall, tile=1, generation=5, video=True, audio=False,
                             configuration=ice_configuration([]), decode_errors=DecodeErrorCounter(),
                             on_state=lambda session, state: None, decoding=thread)
    try:
        await session.accept_answer(await sender.answer(await session.offer()))
        await until(lambda: session.video.frames >= 50 and sender.rtp_dropped >= 3, 20)
        decoder = session._video_decoder
        assert decoder is not None, "the inline decoder took over from aiortc's thread"
        assert decoder.decoded >= 50 and session.video.frames == decoder.decoded
        assert sender.rtp_dropped >= 3, "some RTP was lost on the way (and repaired or concealed)"
        picture = wall.read(1)
        assert picture is not None and picture.generation == 5
        assert read_frame_stamp(picture.luma()) is not None
        stats = await session.stats()
        assert stats.video is not None and stats.video.frames >= 50 and stats.video.decode_errors == decoder.errors
    finally:
        await session.close()
        await sender.close()
    try:
        assert decoder.ended and not wall.has_picture(1), "closed: the tile is empty and stays so"
        await asyncio.sleep(0.3)
        assert not wall.has_picture(1)
    finally:
        if thread is not None:
            thread.stop()
        wall.close()
