"""What the desk's `MediaEngine` and its media workers say over their pipe: commands, replies, events, stats.

Plain picklable dataclasses. A command travels as ``(request_id, command)``; the worker answers
``Reply(request_id, value)`` or ``Failure(request_id, kind, text)``, and reports on its own with events
(`WorkerReady`, `SessionState`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AcceptAnswer",
    "AnswerReceive",
    "CloseReceive",
    "Command",
    "DrainAudio",
    "DrainMicrophone",
    "Failure",
    "GetConfiguration",
    "GetStats",
    "IceServer",
    "OpenPublish",
    "OpenReceive",
    "RecentAudio",
    "Reply",
    "SessionState",
    "SessionStats",
    "SetMicrophone",
    "Shutdown",
    "StreamStats",
    "TapMicrophone",
    "WorkerConfig",
    "WorkerReady",
]


@dataclass(frozen=True)
class IceServer:
    """A STUN/TURN server the user configured (none by default)."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker needs at start-up."""

    index: int
    wall: str
    allowed_addresses: tuple[str, ...]
    ice_servers: tuple[IceServer, ...] = ()
    log_level: int = 30
    #: seconds of received audio each session keeps for `RecentAudio` and `DrainAudio`
    audio_keep: float = 2.0
    #: the desk's microphone for voice links (a `media.sources.microphone_track` spec; "" for none)
    microphone: str = ""


# ----- commands ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenReceive:
    """Open a receive-only session as the sink; the reply is the complete SDP offer to relay."""

    session: str
    tile: int | None
    generation: int
    video: bool = True
    audio: bool = False
    #: a voice link: also send the worker's microphone on the audio, while keyed with `SetMicrophone`
    send_audio: bool = False


@dataclass(frozen=True)
class AnswerReceive:
    """Open a receive-only session by answering the SFU's offer (SPEC §5.14.9); the reply is the complete answer."""

    session: str
    tile: int | None
    generation: int
    offer: str


@dataclass(frozen=True)
class OpenPublish:
    """Publish the desk's microphone into the SFU (SPEC §5.14.9: a console talks in the SFU plane); the reply is the
    complete send-only offer. Silent until keyed with `SetMicrophone`, like a voice link."""

    session: str


@dataclass(frozen=True)
class AcceptAnswer:
    """The source's SDP answer, relayed by the platform."""

    session: str
    sdp: str


@dataclass(frozen=True)
class CloseReceive:
    """End a session, stop its frames and empty its tile."""

    session: str


@dataclass(frozen=True)
class GetStats:
    """Stats of some sessions (all of the worker's when ``sessions`` is None)."""

    sessions: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RecentAudio:
    """The last ``seconds`` of a session's received audio, mono 48 kHz int16."""

    session: str
    seconds: float = 1.0


@dataclass(frozen=True)
class SetMicrophone:
    """Key (``on``) or unkey the microphone of voice links; the reply is how many sessions changed."""

    sessions: tuple[str, ...]
    on: bool


@dataclass(frozen=True)
class DrainAudio:
    """Received audio added since each ``(session, position)``; the reply maps session to ``(position, pcm)``."""

    positions: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class TapMicrophone:
    """Read the desk's microphone into the worker's tap (``on``: the desk talks) or stop; the reply is whether that
    changed anything (media/mic_tap.py)."""

    on: bool


@dataclass(frozen=True)
class DrainMicrophone:
    """The microphone's samples tapped since ``position``; the reply is ``(new position, pcm)``."""

    position: int


@dataclass(frozen=True)
class GetConfiguration:
    """The worker's peer-connection configuration (the `RTCConfiguration` its sessions are made with)."""


@dataclass(frozen=True)
class Shutdown:
    """Close every session and exit."""


Command = (OpenReceive | AnswerReceive | OpenPublish | AcceptAnswer | CloseReceive | GetStats | RecentAudio
           | SetMicrophone | DrainAudio | TapMicrophone | DrainMicrophone | GetConfiguration | Shutdown)


# ----- replies and events -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    request: int
    value: object


@dataclass(frozen=True)
class Failure:
    """A command failed: ``kind`` is the exception's class name."""

    request: int
    kind: str
    text: str


@dataclass(frozen=True)
class WorkerReady:
    """The worker runs and accepts commands."""

    index: int
    pid: int


@dataclass(frozen=True)
class SessionState:
    """A session's peer connection changed state (connecting, connected, failed, closed)."""

    session: str
    state: str


@dataclass(frozen=True)
class StreamStats:
    """One received track, as its drain loop saw it."""

    kind: str
    frames: int
    #: frames per second over the last two seconds
    fps: float
    #: seconds since the last frame (None before the first)
    last_frame_age: float | None
    #: gaps longer than max(3 x mean gap, mean gap + 150 ms), the WebRTC stats definition of a freeze
    freezes: int
    freeze_seconds: float
    #: frames the decoder refused (aiortc logs and drops them)
    decode_errors: int
    packets_received: int
    packets_lost: int
    width: int = 0
    height: int = 0
    #: RTP interarrival jitter of the stream (RFC 3550), ms
    jitter_ms: float = 0.0
    #: packets found missing and asked again (NACK): lost on the way, before any repair (video only)
    packets_nacked: int = 0
    #: which code carried the video packets: "compiled" (media/_rtpcore.c), "python" (media/rtp_video.py) or
    #: "aiortc" (its own receive path); "" for audio
    video_path: str = ""


@dataclass(frozen=True)
class SessionStats:
    """A receive session: its state, where it runs, what it received."""

    session: str
    worker: int
    tile: int | None
    state: str
    bytes_received: int
    video: StreamStats | None
    audio: StreamStats | None
