"""The source end of a media session: a simulated camera (and/or microphone) answering the sink's SDP offer.

SPEC.md §5.14: the sink offers (receive-only), the source answers with a complete SDP (no trickle ICE: aiortc
gathers every candidate before `setLocalDescription` returns). The video is a pre-encoded clip sent without
re-encoding (`ClipTrack`), so the offer must allow H.264; the answer takes nothing else for video.
A renegotiation (a new offer on the same session) is answered on the same peer connection.
A voice link (`hear`) also receives the sink's audio (a dispatcher talking to this terminal): its decoded
samples are kept in `heard`, drained for as long as the track lives.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import av
from aiortc import RTCIceServer, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.exceptions import InvalidAccessError, InvalidStateError, OperationError
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecCapability
from aiortc.rtp import is_rtcp

from media.audio import AudioTail
from media.drain import TrackDrains
from media.ice import ice_configuration, require_host_addresses
from media.sources import ClipTrack, EncodedClip

log = logging.getLogger(__name__)

__all__ = ["NegotiationFailed", "VideoSender", "h264_preferences"]


class NegotiationFailed(ValueError):
    """The remote SDP cannot be answered (no common codec, malformed SDP, closed session)."""


def h264_preferences() -> list[RTCRtpCodecCapability]:
    """aiortc's H.264 codec capabilities (every profile and packetisation mode it knows), for video transceivers."""
    capabilities = RTCRtpSender.getCapabilities("video")
    return [codec for codec in capabilities.codecs if codec.mimeType.lower() == "video/h264"]


class VideoSender:
    """Sends a looping pre-encoded clip (and optionally an audio track) to the sink that offers.

    ``allowed_addresses`` are the media addresses (or interface names) this process gathers ICE candidates on
    (media/ice.py); ``ice_servers`` stays empty unless the user configured STUN/TURN servers.
    ``on_state`` hears the peer connection's state (``connecting``, ``connected``, ``failed``, ``closed``):
    a terminal ends a session whose media failed with ``video.stop``. With ``hear`` the audio is send-receive
    and what the sink sends is kept in `heard` (the last ``hear_seconds``).

    ``rtp_loss`` (a share, 0 to 1; changeable at any time through `rtp_loss`) drops that share of the RTP packets
    this sender would put on the wire, retransmissions included, RTCP never: a lossy radio link, for real, to
    test what the desk makes of it (quality plots and warnings).
    """

    def __init__(
        self,
        clip_path: Path | str | EncodedClip | None,
        *,
        allowed_addresses: Sequence[str],
        audio: MediaStreamTrack | None = None,
        ice_servers: Sequence[RTCIceServer] = (),
        on_state: Callable[[str], None] | None = None,
        name: str = "",
        hear: bool = False,
        hear_seconds: float = 5.0,
        rtp_loss: float = 0.0,
        loss_seed: int | None = None,
    ) -> None:
        if clip_path is None and audio is None and not hear:
            raise ValueError("a sender needs a clip, an audio track or both")
        require_host_addresses(allowed_addresses)
        self.name = name
        self.video = ClipTrack(clip_path) if clip_path is not None else None
        self.audio = audio
        self._on_state = on_state
        self.hear = hear
        #: what the sink sent us on a voice link (mono 48 kHz), newest last
        self.heard = AudioTail(hear_seconds)
        #: audio frames received from the sink
        self.frames_heard = 0
        self._drains = TrackDrains()
        self._pc = RTCPeerConnection(ice_configuration(ice_servers))
        self._pc.on("connectionstatechange", self._state_changed)
        self._pc.on("track", self._track)
        self._prepared = False
        self._closed = False
        self.rtp_loss = rtp_loss
        #: RTP packets dropped by `rtp_loss` so far
        self.rtp_dropped = 0
        self._loss_random = random.Random(loss_seed)
        self._lossy: set[int] = set()

    @property
    def rtp_loss(self) -> float:
        """The share of RTP packets dropped before they reach the wire (0: none)."""
        return self._rtp_loss

    @rtp_loss.setter
    def rtp_loss(self, share: float) -> None:
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"rtp_loss is a share between 0 and 1, got {share}")
        self._rtp_loss = share

    def _drop_on(self, transport: Any) -> None:
        """Put the loss in front of a DTLS transport's RTP output (once per transport)."""
        if transport is None or id(transport) in self._lossy:
            return
        self._lossy.add(id(transport))
        send = transport._send_rtp

        async def lossy_send(data: bytes) -> None:
            if self._rtp_loss > 0.0 and not is_rtcp(data) and self._loss_random.random() < self._rtp_loss:
                self.rtp_dropped += 1
                return
            await send(data)

        transport._send_rtp = lossy_send

    @property
    def connection_state(self) -> str:
        """The peer connection's state: new, connecting, connected, failed or closed."""
        return str(self._pc.connectionState)

    @property
    def frames_sent(self) -> int:
        """Video frames handed to the packetiser so far."""
        return self.video.frames_sent if self.video is not None else 0

    def _state_changed(self) -> None:
        state = self.connection_state
        log.info("sender %s: media %s", self.name, state)
        if self._on_state is not None:
            self._on_state(state)

    def _prepare(self) -> None:
        """Send-only transceivers made before the offer is applied, so that the answer carries our tracks."""
        if self._prepared:
            return
        self._prepared = True
        if self.video is not None:
            transceiver = self._pc.addTransceiver(self.video, direction="sendonly")
            transceiver.setCodecPreferences(h264_preferences())
        if self.audio is not None:
            self._pc.addTransceiver(self.audio, direction="sendrecv" if self.hear else "sendonly")
        elif self.hear:
            self._pc.addTransceiver("audio", direction="recvonly")

    def _track(self, track: MediaStreamTrack) -> None:
        if track.kind != "audio" or not self.hear:
            return
        self._drains.start(track, self._heard, name=f"hear-{self.name}")

    def _heard(self, frame: Any) -> None:
        if isinstance(frame, av.AudioFrame):
            self.frames_heard += 1
            self.heard.add(frame)

    async def answer(self, offer_sdp: str) -> str:
        """Apply the sink's complete SDP offer and return our complete answer (every candidate included)."""
        if self._closed:
            raise NegotiationFailed(f"sender {self.name} is closed")
        self._prepare()
        try:
            await self._pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            answer = await self._pc.createAnswer()
            await self._pc.setLocalDescription(answer)
        except (ValueError, AttributeError, InvalidAccessError, InvalidStateError, OperationError) as exc:
            raise NegotiationFailed(f"sender {self.name}: cannot answer the offer: {exc}") from exc
        for transceiver in self._pc.getTransceivers():
            self._drop_on(transceiver.sender.transport)
        description = self._pc.localDescription
        log.info("sender %s: answered (%d characters)", self.name, len(description.sdp))
        return str(description.sdp)

    def switch_clip(self, clip_path: Path | str | EncodedClip) -> None:
        """Send another clip from the next frame on, without renegotiation (SPEC: ``video.quality``)."""
        if self.video is None:
            raise ValueError(f"sender {self.name} sends no video")
        self.video.switch(clip_path)

    async def wait_connected(self, timeout: float = 10.0) -> None:
        """Return once media is connected; raise TimeoutError, or ConnectionError if it failed or closed."""
        async with asyncio.timeout(timeout):
            while self.connection_state != "connected":
                if self.connection_state in ("failed", "closed"):
                    raise ConnectionError(f"sender {self.name}: media {self.connection_state}")
                await asyncio.sleep(0.02)

    async def close(self) -> None:
        """Stop sending and release the peer connection (idempotent)."""
        if self._closed:
            return
        self._closed = True
        await self._pc.close()
        for track in (self.video, self.audio):
            if track is not None:
                track.stop()
        await self._drains.wait(2.0)
