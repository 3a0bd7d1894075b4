"""The source end answers a sink's offer completely, only with H.264 video, and again on renegotiation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.ice import ice_configuration
from media.sender import NegotiationFailed, VideoSender, h264_preferences
from media.stamp import read_frame_stamp
from tests.media.conftest import LOOPBACK

pytestmark = pytest.mark.timeout(60)


class Sink:
    """A bare aiortc sink in the test process, offering as a console would."""

    def __init__(self, codecs: list[object] | None = None) -> None:
        self.pc = RTCPeerConnection(ice_configuration())
        transceiver = self.pc.addTransceiver("video", direction="recvonly")
        transceiver.setCodecPreferences(codecs if codecs is not None else h264_preferences())  # type: ignore[arg-type]
        self.stamps: list[tuple[int, int] | None] = []
        self.pc.on("track", self._track)
        self._drains: list[asyncio.Task[None]] = []

    def _track(self, track: MediaStreamTrack) -> None:
        async def drain() -> None:
            while True:
                try:
                    frame = await track.recv()
                except MediaStreamError:
                    return
                self.stamps.append(read_frame_stamp(frame))  # type: ignore[arg-type]

        self._drains.append(asyncio.create_task(drain()))

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def answered(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def frames(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        target = len(self.stamps) + count
        while len(self.stamps) < target:
            assert time.monotonic() < deadline, f"only {len(self.stamps)} frames"
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        await self.pc.close()
        await asyncio.gather(*self._drains)


async def test_the_answer_is_complete_sendonly_h264_on_loopback(make_clip: Callable[..., Path]) -> None:
    sink = Sink()
    sender = VideoSender(make_clip("thumb", 2), allowed_addresses=LOOPBACK, name="TR-0002")
    try:
        answer = await sender.answer(await sink.offer())
        candidates = [line.split() for line in answer.splitlines() if line.startswith("a=candidate:")]
        assert candidates and {c[4] for c in candidates} == {"127.0.0.1"} and {c[7] for c in candidates} == {"host"}
        assert "a=sendonly" in answer
        rtpmaps = [line for line in answer.splitlines() if line.startswith("a=rtpmap:")]
        assert rtpmaps and all("H264/90000" in line for line in rtpmaps)
        await sink.answered(answer)
        await sender.wait_connected()
        await sink.frames(10)
        assert {s[0] for s in sink.stamps if s is not None} == {2}
        assert sender.frames_sent >= 10
    finally:
        await sender.close()
        await sink.close()
    assert sender.connection_state == "closed"


async def test_a_renegotiation_is_answered_on_the_same_session(make_clip: Callable[..., Path]) -> None:
    sink = Sink()
    sender = VideoSender(make_clip("thumb", 3), allowed_addresses=LOOPBACK)
    try:
        await sink.answered(await sender.answer(await sink.offer()))
        await sink.frames(5)
        await sink.answered(await sender.answer(await sink.offer()))
        await sink.frames(10)
        assert sender.connection_state == "connected"
    finally:
        await sender.close()
        await sink.close()


async def test_an_offer_without_h264_is_refused(make_clip: Callable[..., Path]) -> None:
    vp8 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/VP8"]
    sink = Sink(codecs=vp8)  # type: ignore[arg-type]
    sender = VideoSender(make_clip("thumb", 4), allowed_addresses=LOOPBACK)
    try:
        with pytest.raises(NegotiationFailed, match="cannot answer"):
            await sender.answer(await sink.offer())
    finally:
        await sender.close()
        await sink.close()
    with pytest.raises(NegotiationFailed, match="closed"):
        await sender.answer("v=0")


def test_a_sender_needs_something_to_send_and_agrees_on_addresses(make_clip: Callable[..., Path]) -> None:
    with pytest.raises(ValueError, match="needs a clip"):
        VideoSender(None, allowed_addresses=LOOPBACK)
    with pytest.raises(ValueError, match="gathers media candidates on"):
        VideoSender(make_clip("thumb", 4), allowed_addresses=["127.0.0.9"])
