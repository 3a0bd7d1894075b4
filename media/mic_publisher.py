"""The desk's microphone published into the SFU (SPEC.md §5.14.9, "Consoles talk"): the source end of a console's
voice publication, run in a media worker beside the receive sessions.

In the SFU plane the desk talks the way a terminal does: its microphone is published once, into the room of the
group it talks in, whatever the number of listeners, and the SFU relays it to the call's other parties. The source
offers: one send-only Opus m-line carrying the worker's reader of the microphone (`microphone_track`, the same spec
voice links and the recorder's tap use), let through only while the desk keys it (`mic_open`, set with
`SetMicrophone` like a voice link's): the desk keys it while it holds a floor, and sends nothing at all otherwise
(no RTP, as a terminal between bursts). The platform also has the SFU relay it only while the desk holds a floor.

A desk without a microphone still publishes (the platform asks whenever the desk talks), with a silent source it
never keys: the publication comes up, nothing is ever sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from media.sources import GatedTrack, ToneTrack, microphone_track

log = logging.getLogger(__name__)

__all__ = ["MicPublication"]


class MicPublication:
    """One voice publication of the desk: `offer`, then `accept_answer`; keyed through `mic_open`."""

    def __init__(self, session: str, *, configuration: RTCConfiguration, microphone: str,
                 on_state: Callable[[str, str], None]) -> None:
        self.session = session
        self.mic_open = False
        source = microphone_track(microphone) if microphone else ToneTrack(0.0, 0.0)
        self.track = GatedTrack(source, lambda: self.mic_open)
        self._on_state = on_state
        self._pc = RTCPeerConnection(configuration)
        self._pc.on("connectionstatechange", self._state_changed)
        self._closed = False

    @property
    def state(self) -> str:
        return str(self._pc.connectionState)

    def _state_changed(self) -> None:
        log.info("publication %s: media %s", self.session, self.state)
        self._on_state(self.session, self.state)

    async def offer(self) -> str:
        """Our complete send-only offer: the microphone (Opus), silent until keyed."""
        self._pc.addTransceiver(self.track, direction="sendonly")
        await self._pc.setLocalDescription(await self._pc.createOffer())
        return str(self._pc.localDescription.sdp)

    async def accept_answer(self, sdp: str) -> None:
        """The SFU's answer; the microphone flows once ICE and DTLS complete (and the desk keys it)."""
        await self._pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def close(self) -> None:
        """Stop sending and release the peer connection (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.mic_open = False
        await self._pc.close()
        self.track.stop()
        log.info("publication %s: closed after %d frames sent", self.session, self.track.frames_sent)
