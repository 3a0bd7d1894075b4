"""The source end of a publication in the SFU media plane: a terminal's camera (or microphone) offered to the SFU.

SPEC.md §5.14.9: in the SFU plane a terminal publishes each feed once, whatever the number of sinks, and it is the
source that offers (the SFU answers). A video publication is one peer connection with two H.264 tracks sent as
pre-encoded clips (aiortc has no simulcast): the thumbnail first, then HD. The HD track sends nothing while no
sink watches in HD (`send_hd`: the publication's quality on the platform), which saves the uplink; it restarts at
the clip's first keyframe. A voice publication is one send-only audio track (the terminal's microphone, keyed by
the floor).

Janus asks the publisher for a keyframe (RTCP PLI) when a new sink subscribes or a sink switches layers: the clip
then skips ahead to its next keyframe (`ClipTrack.request_keyframe`), so the new tile's first picture does not
wait for the clip's own keyframe interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import av
from aiortc import RTCIceServer, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.exceptions import InvalidAccessError, InvalidStateError, OperationError
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.ice import ice_configuration, require_host_addresses
from media.sender import NegotiationFailed, h264_preferences
from media.sources import ClipTrack, EncodedClip

log = logging.getLogger(__name__)

__all__ = ["FeedPublisher", "GatedClipTrack"]


ClipLoader = Callable[[], Awaitable[EncodedClip]]


class GatedClipTrack(MediaStreamTrack):
    """A clip track that sends only while ``gate()`` holds; each time the gate opens it starts over from the clip's
    first keyframe (a receiver switched to it can decode at once). The clip may be given as a loader, called the
    first time the gate opens (an HD clip takes seconds to encode: only terminals watched in HD need it)."""

    kind = "video"

    def __init__(self, clip: EncodedClip | ClipLoader, gate: Callable[[], bool], *, poll: float = 0.02) -> None:
        super().__init__()
        self.source: ClipTrack | None = ClipTrack(clip) if isinstance(clip, EncodedClip) else None
        self._load = clip if not isinstance(clip, EncodedClip) else None
        self.gate = gate
        self._poll = poll
        self._was_open = False

    async def recv(self) -> av.Packet:  # type: ignore[type-arg]
        while not self.gate():
            self._was_open = False
            if self.readyState != "live":
                raise MediaStreamError
            await asyncio.sleep(self._poll)
        if self.source is None:
            assert self._load is not None
            self.source = ClipTrack(await self._load())
        if not self._was_open:
            self._was_open = True
            self.source.switch(self.source.clip)
            self.source.resync()
        packet = await self.source.recv()
        return packet

    def request_keyframe(self) -> None:
        if self.source is not None:
            self.source.request_keyframe()

    def stop(self) -> None:
        super().stop()
        if self.source is not None:
            self.source.stop()


def _keyframes_on_request(sender: RTCRtpSender, track: ClipTrack | GatedClipTrack) -> None:
    """Make the sender's keyframe requests (PLI, FIR) reach the clip (aiortc only passes them to encoders)."""
    original = sender._send_keyframe

    def send_keyframe() -> None:
        track.request_keyframe()
        original()

    sender._send_keyframe = send_keyframe  # type: ignore[method-assign]


class FeedPublisher:
    """Offers a terminal's feed to the SFU: `offer`, then `accept_answer` (see the module docstring).

    ``thumb`` and ``hd`` are the clips of a video publication (HD sent only while `send_hd` is on, and ``hd`` may
    be a coroutine function loading its clip then); ``audio`` a microphone track of a voice publication.
    ``on_state`` hears the peer connection's state.
    """

    def __init__(self, *, thumb: EncodedClip | None = None, hd: EncodedClip | ClipLoader | None = None,
                 audio: MediaStreamTrack | None = None, allowed_addresses: Sequence[str],
                 ice_servers: Sequence[RTCIceServer] = (), on_state: Callable[[str], None] | None = None,
                 name: str = "", hd_on: bool = False) -> None:
        if thumb is None and audio is None:
            raise ValueError("a publication needs a video clip or an audio track")
        require_host_addresses(allowed_addresses)
        self.name = name
        self.hd_on = hd_on
        self.thumb = ClipTrack(thumb) if thumb is not None else None
        self.hd = GatedClipTrack(hd, lambda: self.hd_on) if hd is not None else None
        self.audio = audio
        self._on_state = on_state
        self._pc = RTCPeerConnection(ice_configuration(ice_servers))
        self._pc.on("connectionstatechange", self._state_changed)
        self._closed = False

    @property
    def connection_state(self) -> str:
        return str(self._pc.connectionState)

    def _state_changed(self) -> None:
        state = self.connection_state
        log.info("publication %s: media %s", self.name, state)
        if self._on_state is not None:
            self._on_state(state)

    def send_hd(self, on: bool) -> None:
        """Send the HD track (a sink watches in HD) or nothing on it."""
        if on != self.hd_on:
            log.info("publication %s: HD %s", self.name, "on" if on else "off")
        self.hd_on = on

    async def offer(self) -> str:
        """Our complete send-only offer: thumbnail then HD (H.264), or the microphone."""
        if self._closed:
            raise NegotiationFailed(f"publication {self.name} is closed")
        for track in (self.thumb, self.hd):
            if track is not None:
                transceiver = self._pc.addTransceiver(track, direction="sendonly")
                transceiver.setCodecPreferences(h264_preferences())
                _keyframes_on_request(transceiver.sender, track)
        if self.audio is not None:
            self._pc.addTransceiver(self.audio, direction="sendonly")
        await self._pc.setLocalDescription(await self._pc.createOffer())
        return str(self._pc.localDescription.sdp)

    async def accept_answer(self, sdp: str) -> None:
        """Apply the SFU's answer; media flows once ICE and DTLS complete."""
        try:
            await self._pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        except (ValueError, AttributeError, InvalidAccessError, InvalidStateError, OperationError) as exc:
            raise NegotiationFailed(f"publication {self.name}: cannot apply the answer: {exc}") from exc

    async def bytes_sent(self) -> dict[str, int]:
        """RTP payload bytes sent so far, by track (``thumb``, ``hd``, ``audio``)."""
        sent: dict[str, int] = {}
        names: dict[Any, str] = {self.thumb: "thumb", self.hd: "hd", self.audio: "audio"}
        for transceiver in self._pc.getTransceivers():
            name = names.get(transceiver.sender.track)
            if name is None:
                continue
            report = await transceiver.sender.getStats()
            sent[name] = sum(int(s.bytesSent) for s in report.values() if s.type == "outbound-rtp")
        return sent

    async def close(self) -> None:
        """Stop sending and release the peer connection (idempotent)."""
        if self._closed:
            return
        self._closed = True
        await self._pc.close()
        for track in (self.thumb, self.hd, self.audio):
            if track is not None:
                track.stop()
