"""A lightweight sink in the caller's own process: what a field terminal's screen shows of a feed pushed to it.

The desk receives through its `MediaEngine` (worker processes, shared-memory wall); a simulated terminal that a
dispatcher pushes a feed to needs far less: one receive-only peer connection whose offer it sends itself (SPEC
§5.14: the sink offers), a drain loop (aiortc decodes into unbounded queues: always drain) and the newest
picture, kept so that a test can read its stamp. In the SFU plane a terminal is also the sink of a dispatcher's
voice (SPEC §5.14.9, "Consoles talk"): the audio the SFU relays is kept in `heard`, as a voice link's is.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import av
from aiortc import RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from media.audio import AudioTail
from media.drain import TrackDrains
from media.ice import ice_configuration, require_host_addresses
from media.sender import h264_preferences

log = logging.getLogger(__name__)

__all__ = ["FeedViewer"]


class FeedViewer:
    """Receives one video feed as its session's sink: `offer`, then `accept_answer`; `frames` and `last` follow.
    Audio it is offered (a dispatcher's voice through the SFU) is kept: the last ``hear_seconds`` in `heard`."""

    def __init__(self, *, allowed_addresses: Sequence[str], ice_servers: Sequence[RTCIceServer] = (),
                 name: str = "", hear_seconds: float = 5.0) -> None:
        require_host_addresses(allowed_addresses)
        self.name = name
        #: decoded pictures received so far, and the newest one
        self.frames = 0
        self.last: av.VideoFrame | None = None
        #: what was heard (mono 48 kHz), and how many audio frames
        self.heard = AudioTail(hear_seconds)
        self.frames_heard = 0
        self._pc = RTCPeerConnection(ice_configuration(ice_servers))
        self._pc.on("track", self._track)
        self._drains = TrackDrains()
        self._closed = False

    @property
    def connection_state(self) -> str:
        return str(self._pc.connectionState)

    async def offer(self) -> str:
        """Our complete receive-only offer (H.264 video, as the sources send)."""
        transceiver = self._pc.addTransceiver("video", direction="recvonly")
        transceiver.setCodecPreferences(h264_preferences())
        await self._pc.setLocalDescription(await self._pc.createOffer())
        return str(self._pc.localDescription.sdp)

    async def accept_answer(self, sdp: str) -> None:
        await self._pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def answer(self, offer: str) -> str:
        """Answer an offer instead (the SFU media plane: the SFU offers to sinks); our complete answer."""
        await self._pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await self._pc.setLocalDescription(await self._pc.createAnswer())
        return str(self._pc.localDescription.sdp)

    def _track(self, track: MediaStreamTrack) -> None:
        self._drains.start(track, self._frame, name=f"view-{self.name}-{track.kind}")

    def _frame(self, frame: Any) -> None:
        if isinstance(frame, av.VideoFrame):
            self.frames += 1
            self.last = frame
        elif isinstance(frame, av.AudioFrame):
            self.frames_heard += 1
            self.heard.add(frame)

    async def close(self) -> None:
        """Close the peer connection and wait for the drain to end (idempotent)."""
        if self._closed:
            return
        self._closed = True
        await self._pc.close()
        await self._drains.wait(2.0)
        log.info("viewer %s: closed after %d frames", self.name, self.frames)
