"""Pieces of the Janus tests: aiortc peers that publish to, subscribe from and talk in Janus rooms, and a Janus
started inside the test's network namespace.

Janus cannot run ICE over loopback, so every test body runs in a namespace of its own (tests/integration/netns.py):
Janus gathers on one end of the veth pair (10.200.0.1), aiortc on the other (10.200.0.2). The API stays on
127.0.0.1 inside the namespace. The peers are plain aiortc with our pre-encoded stamped clips (media/clips.py,
media/sources.py) and tones; what they receive is decoded and read back (stamps, sizes, tone levels).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import av
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from media.audio import AudioTail
from media.drain import TrackDrains
from media.ice import ice_configuration, restrict_host_addresses
from media.sender import h264_preferences
from media.sources import ClipTrack, ToneTrack
from media.stamp import read_frame_stamp
from testbed.janus import JanusConfig, JanusProcess
from tests.integration.netns import VethPair

VETH = VethPair()
JANUS_ADDRESS = VETH.ip
PEER_ADDRESS = VETH.peer_ip


def janus_config(**changes: object) -> JanusConfig:
    """Janus's configuration for a test namespace: ICE on its end of the veth pair only."""
    return JanusConfig(ice_enforce=(JANUS_ADDRESS,), **changes)  # type: ignore[arg-type]


def peers_on_veth() -> None:
    """aiortc in this process gathers on the other end of the veth pair only."""
    restrict_host_addresses([PEER_ADDRESS])


async def until(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``check`` every 20 ms; the seconds it took. AssertionError after ``timeout``."""
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)
    return time.monotonic() - began


class _Peer:
    """One aiortc peer connection with Janus: offers and answers SDP, drains what it receives into `_frame`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pc = RTCPeerConnection(ice_configuration())
        self.pc.on("track", self._track)
        self._drains = TrackDrains()

    async def _offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def accept(self, answer: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    async def answer(self, offer: str) -> str:
        """Answer Janus's offer (a VideoRoom subscription)."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return str(self.pc.localDescription.sdp)

    def _track(self, track: MediaStreamTrack) -> None:
        self._drains.start(track, self._frame)

    def _frame(self, frame: Any) -> None:
        """Each frame received (on any track); nothing is kept unless a subclass keeps it."""

    async def close(self) -> None:
        await self.pc.close()
        await self._drains.cancel()


class CameraPublisher(_Peer):
    """A terminal's camera: one PeerConnection, two H.264 tracks sent as pre-encoded (thumbnail, then HD)."""

    def __init__(self, thumb: Path, hd: Path) -> None:
        super().__init__("camera")
        self.tracks = {"thumb": ClipTrack(thumb), "hd": ClipTrack(hd)}
        self.mids: dict[str, str] = {}

    async def offer(self) -> str:
        for track in self.tracks.values():
            transceiver = self.pc.addTransceiver(track, direction="sendonly")
            transceiver.setCodecPreferences(h264_preferences())
        sdp = await self._offer()
        for name, track in self.tracks.items():
            for transceiver in self.pc.getTransceivers():
                if transceiver.sender.track is track:
                    self.mids[name] = str(transceiver.mid)
        return sdp

    def descriptions(self) -> dict[str, str]:
        """mid → description, for the VideoRoom ``publish`` request."""
        return {mid: name for name, mid in self.mids.items()}


class TileViewer(_Peer):
    """A console tile: answers Janus's subscription offer, decodes what arrives and reads each frame's stamp."""

    def __init__(self, name: str = "tile") -> None:
        super().__init__(name)
        self.frames = 0
        self.stamped: list[tuple[int, int]] = []
        self.size: tuple[int, int] | None = None
        self.sizes_seen: set[tuple[int, int]] = set()

    def _frame(self, frame: Any) -> None:
        if not isinstance(frame, av.VideoFrame):
            return
        self.frames += 1
        self.size = (frame.width, frame.height)
        self.sizes_seen.add(self.size)
        stamp = read_frame_stamp(frame)
        if stamp is not None:
            self.stamped.append(stamp)

    @property
    def last_stamp(self) -> tuple[int, int] | None:
        return self.stamped[-1] if self.stamped else None


class VoiceParty(_Peer):
    """A party of an AudioBridge room: sends a tone (or nothing) and keeps the last seconds of the mix it hears.
    Answering an offer instead (a VideoRoom subscription to someone's voice), it receives only."""

    def __init__(self, tone: float | None, name: str = "party") -> None:
        super().__init__(name)
        self.tone = ToneTrack(tone) if tone is not None else None
        self.heard = AudioTail(3.0)
        self.frames_heard = 0

    async def offer(self) -> str:
        if self.tone is not None:
            self.pc.addTransceiver(self.tone, direction="sendrecv")
        else:
            self.pc.addTransceiver("audio", direction="recvonly")
        return await self._offer()

    def _frame(self, frame: Any) -> None:
        if isinstance(frame, av.AudioFrame):
            self.frames_heard += 1
            self.heard.add(frame)


@contextlib.asynccontextmanager
async def janus_in_namespace(**changes: object) -> AsyncIterator[JanusProcess]:
    """Janus started with the namespace's configuration; on failure the tail of its log goes to stderr, which
    `run_in_netns` reports."""
    janus = JanusProcess(janus_config(**changes))
    await janus.start()
    try:
        yield janus
    except BaseException:
        sys.stderr.write(f"--- janus log (last lines)\n{janus.log_tail(60)}\n")
        raise
    finally:
        await janus.stop()
